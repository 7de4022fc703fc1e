import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PolicyConfigSchema } from '../../../../shared/domain/control.js';
import { checkPolicy, policyRangeIssues } from '../../../../main/core/control/policyChecks.js';
import { BUILTIN_MODELS } from '../../../../main/core/models.js';

const models = BUILTIN_MODELS;
const H100 = models.find((m) => m.id === 'H100-SXM')!;
const int = (min: number, max: number) => fc.integer({ min, max });

/** Valid clock caps for a model: within its clock range, T2 lock not above T1. */
const capsFor = (m: (typeof models)[number]) =>
  fc.tuple(int(m.minClockMHz, m.maxClockMHz), int(m.minClockMHz, m.maxClockMHz), int(m.minClockMHz, m.maxClockMHz)).map(([a, b, c]) => ({ lowT1MHz: Math.max(a, b), lowT2MHz: Math.min(a, b), highT2MHz: c }));

/** Policy input whose every given field lies in range; omitted fields come from the schema's defaults. */
const validInput = fc.record(
  {
    polca: fc.record(
      {
        thresholds: int(0, 148).chain((t1) => int(t1 + 1, 149).chain((t2) => int(t2 + 1, 150).map((b) => ({ t1Pct: t1, t2Pct: t2, brakePct: b })))),
        releaseHysteresisPct: int(0, 50),
        minHoldS: int(0, 3600),
        brakeReleaseS: int(0, 3600),
        clockCaps: fc.record(Object.fromEntries(models.map((m) => [m.id, capsFor(m)])), { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ).map(({ thresholds, ...rest }) => ({ ...thresholds, ...rest })),
    actuation: fc.record(
      { outOfBandCapS: int(0, 600), brakeS: int(0, 600), inBandS: int(0, 600), capPath: fc.constantFrom('outOfBand', 'inBand'), minChangeIntervalS: int(0, 3600), correctionS: int(0, 600) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

/** One field set out of its range, with the path a refusal must name. */
const outOfRange = fc.oneof(
  fc.record({ field: fc.constantFrom('t1Pct', 't2Pct', 'brakePct'), v: fc.oneof(int(151, 1000), int(-1000, -1)) }).map(({ field, v }) => ({ input: { polca: { [field]: v } }, path: `policy.polca.${field}` })),
  fc.record({ field: fc.constantFrom('outOfBandCapS', 'brakeS', 'inBandS', 'correctionS'), v: fc.oneof(int(601, 10_000), int(-1000, -1)) }).map(({ field, v }) => ({ input: { actuation: { [field]: v } }, path: `policy.actuation.${field}` })),
  fc
    .record({ m: fc.constantFrom(...models), field: fc.constantFrom('lowT1MHz', 'lowT2MHz', 'highT2MHz'), high: fc.boolean(), by: int(1, 5000) })
    .map(({ m, field, high, by }) => {
      // Start from caps that pass, then move one field out of the model's clock range (staying positive for the schema).
      const caps = { lowT1MHz: m.maxClockMHz, lowT2MHz: m.minClockMHz, highT2MHz: m.maxClockMHz, [field]: high ? m.maxClockMHz + by : Math.max(0.5, m.minClockMHz - by) };
      return { input: { polca: { clockCaps: { [m.id]: caps } } }, path: `policy.polca.clockCaps.${m.id}.${field}` };
    }),
);

describe('policy range checks', () => {
  it('property: every config the schema builds from in-range input (defaults for the rest) is accepted as parsed', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const parsed = PolicyConfigSchema.parse(input);
        expect(policyRangeIssues(parsed, models)).toEqual([]);
        const r = checkPolicy(input, models);
        expect(r.ok && r.policy).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
    expect(checkPolicy({}, models)).toEqual({ ok: true, policy: PolicyConfigSchema.parse({}) });
  });

  it('property: a field out of range is refused, naming the field\'s path', () => {
    fc.assert(
      fc.property(outOfRange, ({ input, path }) => {
        const r = checkPolicy(input, models);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.issues.map((i) => i.path)).toContain(path);
        expect(r.message).toMatch(/^policy\./);
        expect(r.message).toContain(`${path}: `);
      }),
      { numRuns: 300 },
    );
  });

  it('messages: the first range issue; T2 lock above T1; unknown models are not checked; schema issues all listed', () => {
    const bad = checkPolicy({ polca: { clockCaps: { 'H100-SXM': { lowT1MHz: 3000, lowT2MHz: 3100, highT2MHz: 1800 } } } }, models);
    expect(bad).toMatchObject({ ok: false, message: `policy.polca.clockCaps.H100-SXM.lowT1MHz: 3000 MHz is outside H100-SXM's clock range ${H100.minClockMHz}–${H100.maxClockMHz} MHz` });
    expect(!bad.ok && bad.issues.map((i) => i.path)).toEqual(['policy.polca.clockCaps.H100-SXM.lowT1MHz', 'policy.polca.clockCaps.H100-SXM.lowT2MHz', 'policy.polca.clockCaps.H100-SXM.lowT2MHz']);
    expect(checkPolicy({ polca: { clockCaps: { 'H100-SXM': { lowT1MHz: 1500, lowT2MHz: 1600, highT2MHz: 1800 } } } }, models)).toMatchObject({
      ok: false,
      message: 'policy.polca.clockCaps.H100-SXM.lowT2MHz: the T2 lock (1600 MHz) must not be above the T1 lock (1500 MHz)',
    });
    expect(checkPolicy({ polca: { clockCaps: { 'X-1': { lowT1MHz: 9000, lowT2MHz: 9500, highT2MHz: 1 } } } }, models).ok).toBe(true);
    const zod = checkPolicy({ polca: { t2Pct: 300 }, actuation: { brakeS: -1 } }, models);
    expect(!zod.ok && zod.message.split('; ').map((x) => x.split(':')[0])).toEqual(['policy.polca.t2Pct', 'policy.polca.t2Pct', 'policy.actuation.brakeS']);
    expect(checkPolicy(42, models)).toMatchObject({ ok: false, issues: [{ path: 'policy.(root)' }] });
  });
});
