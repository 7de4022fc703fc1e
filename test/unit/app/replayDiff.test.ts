import { describe, expect, it } from 'vitest';
import { replayDiff } from '../../../main/app/replay.js';
import { slug } from '../../../main/app/incidents.js';
import type { ReplaySide } from '../../../shared/domain/replay.js';

const side = (o: Partial<ReplaySide> & { brakes?: number[] }): ReplaySide => ({
  label: 'x',
  policy: 'polca',
  t1Pct: 80,
  t2Pct: 89,
  rows: (o.brakes ?? [0, 2]).map((b, i) => ({ id: 'AC'[i]!, peakPct: 100 + b, secondsOver100: b * 5, brakes: b, pctGpuTimeCapped: 10, energyKWh: 50 })),
  workloads: [
    { id: 'chat', kind: 'inference', priority: 'high', throughput: 1000, p99LatencyS: 2 },
    { id: 'code', kind: 'inference', priority: 'low', throughput: 1000, p99LatencyS: 3 },
  ],
  caps: 40,
  releases: 38,
  ...o,
});

describe('the replay’s text diff', () => {
  it('leads with the policy and the brakes, then what changed per row, then throughput per priority', () => {
    const base = side({});
    const replay = side({ t2Pct: 92, brakes: [0, 0], workloads: [base.workloads[0]!, { ...base.workloads[1]!, throughput: 970 }], caps: 55 });
    const lines = replayDiff(base, replay, { maxErrKW: 0, maxErrPct: 0 });
    expect(lines[0]).toBe('POLCA T1 = 80 %, T2 = 92 %: 0 brakes instead of 2 (as recorded: POLCA T1 = 80 %, T2 = 89 %)');
    expect(lines).toContain('row C: brakes 2 → 0; peak 102.0 → 100.0 % of budget; over budget 10 → 0 s');
    expect(lines.some((l) => l.startsWith('row A'))).toBe(false);
    expect(lines).toContain('high-priority throughput unchanged');
    expect(lines).toContain('low-priority throughput −3.0 %');
    expect(lines).toContain('GPU cap commands 40 → 55');
    expect(lines.at(-1)).toMatch(/matches the recording within 0\.0 %/);
  });
  it('says when the as-recorded re-run does not match the recording (what a re-run cannot know)', () => {
    const lines = replayDiff(side({}), side({ policy: 'none' }), { maxErrKW: 40, maxErrPct: 9.5 });
    expect(lines[0]).toMatch(/^no caps \(brake only\): 2 brakes instead of 2/);
    expect(lines.at(-1)).toMatch(/differs from the recording by up to 40\.0 kW \(9\.5 % of budget\)/);
  });
});

describe('recording file names', () => {
  it('are lower-case dashes, at most 48 characters, never empty', () => {
    expect(slug('Row C: feed loss (drill #2)')).toBe('row-c-feed-loss-drill-2');
    expect(slug('Übung – Kühlung')).toBe('ubung-kuhlung');
    expect(slug('../../etc/passwd')).toBe('etc-passwd');
    expect(slug('///')).toBe('incident');
    expect(slug('x'.repeat(100))).toHaveLength(48);
  });
});
