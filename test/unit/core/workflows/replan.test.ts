import { describe, expect, it } from 'vitest';
import { BACK_AFTER_S, DEEPER_AFTER_S } from '../../../../main/core/control/reconfig.js';
import { planWorkflow, sloTarget } from '../../../../main/core/workflows/planner.js';
import { INSTANCE_START_MIN, initialReplan, REPLAN_LEVELS, stepReplan, type ReplanInput, type ReplanState, type RowSlice } from '../../../../main/core/workflows/replan.js';
import { WorkflowSchema } from '../../../../shared/domain/workflows.js';

const wf = WorkflowSchema.parse({
  id: 'doc-qa',
  slo: 'good',
  trace: 'code',
  tasks: [
    { id: 'rerank', models: ['bge-reranker-base', 'bge-reranker-v2-m3'], tokens: { in: 2000, out: 1 } },
    { id: 'answer', models: ['llama-3.1-8b', 'llama-3.1-70b'], tokens: { in: 1500, out: 200 }, minQuality: 0.8 },
  ],
});
const tokens = [
  { in: 2000, out: 1 },
  { in: 1500, out: 200 },
];
const targetS = sloTarget(wf, tokens);
const slice: RowSlice = { workflow: wf, tokens, targetS, share: 1, rps: 4, plan: planWorkflow(wf, 4 * 1.2 * 1.3, tokens, targetS), racks: [0] };

/** The row at `pct` % of a 100 kW budget, its workflow racks drawing 70 kW; cool GPUs and air. */
const input = (pct: number, stale = false): ReplanInput => ({
  view: { rowPct: pct, hottestGpuC: 50, slowdownC: 89, hottestInletC: 22, stale },
  rowW: pct * 1000,
  budgetW: 100_000,
  workflowW: 70_000,
  slices: [slice],
});

type Step = typeof stepReplan;
const LAND_MS = INSTANCE_START_MIN * 60_000;

/** Feed `pcts` (one per second from `t0Ms`) and return every change with its time. */
function run(step: Step, from: ReplanState, t0Ms: number, pcts: ReadonlyArray<number | 'stale'>) {
  let s = from;
  const changes: Array<{ tMs: number; from: number; to: number; ratio: number }> = [];
  pcts.forEach((p, k) => {
    const tMs = t0Ms + k * 1000;
    const r = step(s, p === 'stale' ? input(95, true) : input(p), tMs);
    s = r.state;
    if (r.change) changes.push({ tMs, from: r.change.from, to: r.change.to, ratio: r.change.ratio });
  });
  return { state: s, changes };
}
const secs = (n: number, p: number | 'stale') => Array.from({ length: n }, () => p);

/** Deepens only once the pressure has stayed high for the dwell, and only one level until that one lands. */
function dwellProblems(step: Step): string[] {
  const out: string[] = [];
  const r = run(step, initialReplan(), 0, secs(60, 90));
  if (r.changes.length !== 1) out.push(`${r.changes.length} changes in 60 s of pressure (one expected)`);
  const c = r.changes[0];
  if (c && c.tMs < DEEPER_AFTER_S * 1000) out.push(`deepened after ${c.tMs / 1000} s, before the ${DEEPER_AFTER_S} s dwell`);
  if (c && !(c.to === 1 && c.ratio < 1)) out.push('the first change is not to level 1 at a lower power');
  // A dip below DEEPER_AT restarts the dwell.
  const d = run(step, initialReplan(), 0, [...secs(15, 90), 60, ...secs(15, 90)]);
  if (d.changes.length) out.push('deepened although a dip restarted the dwell');
  return out;
}

/** Restores only after BACK_AFTER_S at or below BACK_AT, never between the two thresholds (hysteresis). */
function restoreProblems(step: Step): string[] {
  const out: string[] = [];
  const deep = run(step, initialReplan(), 0, secs(25, 90));
  const landed = deep.state.landsAtMs;
  // Between the thresholds (66 %: pressure 0.3) for long: no change.
  const mid = run(step, deep.state, landed, secs(BACK_AFTER_S * 2, 66));
  if (mid.changes.length) out.push('changed between the thresholds');
  // Low (61 %: pressure 0.05): back one level only after BACK_AFTER_S.
  const low = run(step, deep.state, landed, secs(BACK_AFTER_S + 5, 61));
  const back = low.changes[0];
  if (!back || back.to !== 0 || back.ratio !== 1) out.push('never restored at low pressure');
  if (back && back.tMs - landed < BACK_AFTER_S * 1000) out.push(`restored after ${(back.tMs - landed) / 1000} s, before ${BACK_AFTER_S} s`);
  return out;
}

/** Stale readings, and readings before a change lands, neither deepen nor restore. */
function staleProblems(step: Step): string[] {
  const out: string[] = [];
  if (run(step, initialReplan(), 0, secs(120, 'stale')).changes.length) out.push('deepened on stale readings');
  if (run(step, initialReplan(), 0, [...secs(15, 90), 'stale', ...secs(15, 90)]).changes.length) out.push('a stale reading did not restart the dwell');
  const deep = run(step, initialReplan(), 0, secs(25, 90));
  const pending = run(step, deep.state, deep.changes[0]?.tMs ?? 0, secs(600, 90));
  if (pending.changes.length) out.push('changed again before the change landed');
  if (!Number.isNaN(pending.state.aboveSinceMs)) out.push('the dwell ran on readings from before the change landed');
  return out;
}

describe('workflow re-plans between epochs (stepReplan)', () => {
  it('deepens after the dwell, to the next-best plan at a lower power, and says so', () => {
    expect(dwellProblems(stepReplan)).toEqual([]);
    const s = run(stepReplan, initialReplan(), 0, secs(DEEPER_AFTER_S, 90)).state;
    const r = stepReplan(s, input(90), DEEPER_AFTER_S * 1000);
    expect(r.change).not.toBeNull();
    const c = r.change!;
    expect(c.latencyS).toBe(INSTANCE_START_MIN * 60);
    expect(c.toKW).toBeLessThan(c.fromKW);
    expect(c.workflows[0]!.workflow).toBe('doc-qa');
    expect(c.reason).toMatch(/instead of caps/);
    expect(c.reason).toMatch(/kW freed/);
    expect(c.reason).toMatch(/doc-qa \d+\.\d % within its target \(tier 95 %\)/);
    expect(r.state.landsAtMs).toBe(DEEPER_AFTER_S * 1000 + LAND_MS);
    // Landed and still pressed: doc-qa's next-best plan was already the least power the planner has for its load
    // (its quality floor keeps the 70B model), so no deeper level is taken: the caps stay the safety net.
    const more = run(stepReplan, r.state, r.state.landsAtMs, secs(DEEPER_AFTER_S * 3, 95));
    expect(more.changes).toEqual([]);
    expect(more.state.rung).toBe(1);
    expect(more.state.rung).toBeLessThanOrEqual(REPLAN_LEVELS);
  });

  it('restores with hysteresis', () => {
    expect(restoreProblems(stepReplan)).toEqual([]);
  });

  it('stale readings and readings before a change lands do nothing', () => {
    expect(staleProblems(stepReplan)).toEqual([]);
  });

  it('a row without workflows never changes', () => {
    const none = (pct: number): ReplanInput => ({ ...input(pct), slices: [] });
    let s = initialReplan();
    for (let k = 0; k < 60; k++) {
      const r = stepReplan(s, none(95), k * 1000);
      expect(r.change).toBeNull();
      s = r.state;
    }
    expect(s.rung).toBe(0);
  });

  it('planted faults: each guarantee has a check that fails when it is broken', () => {
    const noDwell: Step = (p, x, t) => stepReplan({ ...p, aboveSinceMs: Number.isNaN(p.aboveSinceMs) ? t - 1e9 : p.aboveSinceMs - 1e9 }, x, t);
    expect(dwellProblems(noDwell).length).toBeGreaterThan(0);
    // Restores as soon as the pressure is under the deepening level (no hysteresis band).
    const noHysteresis: Step = (p, x, t) => stepReplan(p, x.view.rowPct < 70 ? { ...x, view: { ...x.view, rowPct: 55 } } : x, t);
    expect(restoreProblems(noHysteresis).length).toBeGreaterThan(0);
    const trustsStale: Step = (p, x, t) => stepReplan(p, { ...x, view: { ...x.view, stale: false } }, t);
    expect(staleProblems(trustsStale).length).toBeGreaterThan(0);
    const ignoresLanding: Step = (p, x, t) => stepReplan({ ...p, landsAtMs: -Infinity }, x, t);
    expect(staleProblems(ignoresLanding).length).toBeGreaterThan(0);
  });
});
