import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../../../main/sources/parsers/prometheusText.js';

const fixture = (f: string): string => readFileSync(new URL(`../../../fixtures/gpu/${f}`, import.meta.url), 'utf8');
const DCGM = fixture('dcgm-exporter-sample.txt');

describe('prometheus text parser', () => {
  it('parses the real dcgm-exporter sample', () => {
    const r = parsePrometheusText(DCGM);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.samples).toHaveLength(30);
    const first = r.samples[0]!;
    expect(first.name).toBe('DCGM_FI_DEV_GPU_TEMP');
    expect(first.value).toBe(30);
    expect(first.labels.UUID).toBe('GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005');
    expect(first.labels.pod_uid).toBe('');
    expect(first.line).toBe(1);
  });

  it('handles HELP/TYPE, escapes, special values, timestamps, trailing comma', () => {
    const body = [
      '# HELP m A metric with \\\\ and \\n in help',
      '# TYPE m gauge',
      '# just a comment',
      'm{a="x\\"y",b="back\\\\slash",c="new\\nline",} NaN',
      'm{a="2"} +Inf 1700000000000',
      'm{a="3"} -Inf',
      'm 1.5e3',
      'm{} -0.25\t42',
      '',
    ].join('\n');
    const r = parsePrometheusText(body);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.types.m).toBe('gauge');
    expect(r.help.m).toBe('A metric with \\ and \n in help');
    expect(r.samples[0]!.labels).toEqual(Object.assign(Object.create(null), { a: 'x"y', b: 'back\\slash', c: 'new\nline' }));
    expect(Number.isNaN(r.samples[0]!.value)).toBe(true);
    expect(r.samples[1]!.value).toBe(Infinity);
    expect(r.samples[1]!.timestampMs).toBe(1_700_000_000_000);
    expect(r.samples[2]!.value).toBe(-Infinity);
    expect(r.samples[3]!.value).toBe(1500);
    expect(r.samples[4]!.timestampMs).toBe(42);
  });

  it('a label named __proto__ is just a label', () => {
    const r = parsePrometheusText('m{__proto__="x",constructor="y"} 1');
    expect(r.ok && r.samples[0]!.labels.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    ['m 1\nm{a="1" 2\n', 2, /expected ',' or '}'/],
    ['m 1\n\nm{a="1"} abc\n', 3, /invalid sample value/],
    ['1m 1', 1, /invalid metric name/],
    ['m{a="\\x"} 1', 1, /invalid escape/],
    ['m{a="1",a="2"} 1', 1, /duplicate label/],
    ['m{a="1"}', 1, /no value/],
    ['m 1 2 3', 1, /unexpected text/],
    ['m 1 1.5', 1, /invalid timestamp/],
    ['m{a="open} 1', 1, /unterminated/],
    ['# TYPE m gauge\n# TYPE m counter\nm 1', 2, /second TYPE/],
    ['m 1\n# TYPE m gauge', 2, /after its samples/],
    ['# TYPE m bogus\nm 1', 1, /unknown metric type/],
    ['ok 1\n# HELP\n', 2, /without a metric name/],
  ])('malformed %j fails at line %i', (body, line, msg) => {
    const r = parsePrometheusText(body);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.line).toBe(line);
    expect(r.error.message).toMatch(msg);
  });

  it('enforces body, sample and label limits all-or-nothing', () => {
    const big = 'm 1\n'.repeat(100);
    expect(parsePrometheusText(big, { maxBytes: 399 })).toMatchObject({ ok: false, error: { line: 0, message: expect.stringMatching(/body_size_limit/) } });
    expect(parsePrometheusText(big, { maxBytes: 400 }).ok).toBe(true);
    // multi-byte characters count as UTF-8 bytes
    expect(parsePrometheusText('m{a="ééé"} 1', { maxBytes: 14 }).ok).toBe(false);
    expect(parsePrometheusText('m{a="ééé"} 1', { maxBytes: 15 }).ok).toBe(true);
    expect(parsePrometheusText(big, { maxSamples: 99 })).toMatchObject({ ok: false, error: { line: 100, message: expect.stringMatching(/sample_limit/) } });
    expect(parsePrometheusText('m{a="1",b="2",c="3"} 1', { maxLabelsPerSample: 2 })).toMatchObject({ ok: false, error: { line: 1, message: expect.stringMatching(/label_limit/) } });
    expect(parsePrometheusText(`m 1\nm{a="${'x'.repeat(2049)}"} 1`)).toMatchObject({ ok: false, error: { line: 2, message: expect.stringMatching(/label_value_length_limit/) } });
    expect(parsePrometheusText(`m{a="${'x'.repeat(2048)}"} 1`).ok).toBe(true);
    expect(parsePrometheusText('m 1', { maxSamples: -1 })).toMatchObject({ ok: false, error: { line: 0 } });
  });

  it('rejects a huge label value early (bounded work) and an oversized body before splitting it', () => {
    const huge = `m{a="${'y'.repeat(5_000_000)}"} 1`;
    const t0 = performance.now();
    expect(parsePrometheusText(huge, { maxBytes: 10_000_000 }).ok).toBe(false);
    expect(parsePrometheusText(huge)).toMatchObject({ ok: false, error: { line: 1, message: expect.stringMatching(/label_value_length_limit/) } });
    expect(parsePrometheusText('x'.repeat(20_000_000)).ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('fuzz: arbitrary strings, mutated real bodies, huge labels, special values — 0 throws', () => {
    let tried = 0;
    let throws = 0;
    const run = (s: string, opts?: Parameters<typeof parsePrometheusText>[1]): void => {
      tried++;
      try {
        const r = parsePrometheusText(s, opts);
        if (r.ok) {
          for (const x of r.samples) if (typeof x.value !== 'number' || x.line < 1) throw new Error('bad sample');
        } else if (typeof r.error.line !== 'number' || typeof r.error.message !== 'string') throw new Error('bad error');
      } catch {
        throws++;
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (s) => run(s)), { numRuns: 11_000, seed: 1 });
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: fc.constantFrom(...'{}="\\,# \n\tmaNI+-.0e1_'.split('')) }), (s) => run(s)), { numRuns: 6_000, seed: 2 });
    const mutation = fc.tuple(fc.nat({ max: DCGM.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 8, unit: 'binary' }));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let s = DCGM;
        for (const [at, del, ins] of muts) s = s.slice(0, at) + ins + s.slice(at + del);
        run(s);
      }),
      { numRuns: 3_000, seed: 3 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300_000 }), fc.constantFrom('NaN', '+Inf', '-Inf', '-1', '1e309', 'nan', 'INF'), (len, v) => run(`m{a="${'z'.repeat(len)}"} ${v}`, { maxBytes: 400_000 })),
      { numRuns: 200, seed: 4 },
    );
    console.info(`prometheus parser: ${tried.toLocaleString('en-US')} fuzz inputs, ${throws} throws`);
    expect(throws).toBe(0);
  });
});
