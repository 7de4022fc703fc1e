import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { heldPower, inferDemand, isHeld } from '../../../main/core/demand.js';
import { BUILTIN_MODELS } from '../../../main/core/models.js';

const H200 = BUILTIN_MODELS.find((m) => m.id === 'H200-SXM')!;

/** The real H200 log (one GPU, bf16 matmul loop; -pl 450, -pl 300, -lgc 1200, -lgc 345, reset), 0.5 s samples. */
function realLog() {
  const lines = readFileSync('test/fixtures/gpu/h200-real-load.log.csv', 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const c = l.split(', ');
    const num = (i: number) => Number.parseFloat(c[i]!);
    return { t: c[0]!.slice(11), powerW: num(2), limitW: num(4), clockMHz: num(8), util: num(10) / 100, flags: Number.parseInt(c[11]!, 16) };
  });
}
/** Steady phases (the second after each change left out), from test/fixtures/gpu/h200-real-load.phases.txt. */
const PHASES = [
  { name: 'uncapped', from: '15:25:04.5', to: '15:25:07.4' },
  { name: '-pl 450', from: '15:25:08.5', to: '15:25:17.4' },
  { name: '-pl 300', from: '15:25:18.5', to: '15:25:27.4' },
  { name: '-lgc 1200', from: '15:25:29.0', to: '15:25:37.5' },
  { name: '-lgc 345', from: '15:25:39.0', to: '15:25:45.6' },
  { name: 'uncapped again', from: '15:25:47.0', to: '15:26:04.5' },
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('demand of a held GPU, validated on a real H200 (held-back uncapped windows)', () => {
  const log = realLog();
  const phase = (name: string) => {
    const p = PHASES.find((x) => x.name === name)!;
    return log.filter((s) => s.t >= p.from && s.t < p.to);
  };
  // What the workload drew when nothing held it: the held-back truth the held phases must predict.
  const truthW = median([...phase('uncapped'), ...phase('uncapped again')].map((s) => s.powerW));

  it('an unheld GPU shows its demand (exactly), even on its own power limit', () => {
    expect(truthW).toBeGreaterThan(680);
    for (const s of phase('uncapped again')) {
      expect(isHeld(H200, s.powerW, s.clockMHz, s.limitW, s.util, s.flags)).toBe(false);
      const d = inferDemand(H200, s.powerW, s.clockMHz, s.limitW, s.util, s.flags);
      expect([d.demandW, d.lowW, d.highW]).toEqual([s.powerW, s.powerW, s.powerW]);
    }
  });

  it.each(['-pl 450', '-pl 300', '-lgc 1200', '-lgc 345'])('held by %s: predicts the held-back uncapped power within 3 %, inside its band', (name) => {
    const samples = phase(name);
    expect(samples.length).toBeGreaterThan(10);
    const est = samples.map((s) => inferDemand(H200, s.powerW, s.clockMHz, s.limitW, s.util, s.flags));
    expect(est.every((d) => d.held)).toBe(true);
    const mid = median(est.map((d) => d.demandW));
    expect(Math.abs(mid - truthW) / truthW).toBeLessThan(0.03);
    expect(median(est.map((d) => d.lowW))).toBeLessThanOrEqual(truthW);
    expect(median(est.map((d) => d.highW))).toBeGreaterThanOrEqual(truthW);
    // What the GPU showed is far below: the inference is what makes a replay of a capped fleet possible.
    expect(median(samples.map((s) => s.powerW))).toBeLessThan(truthW * 0.8);
  });

  it('held power under setpoints: a limit caps it, a lock lowers the clock, the brake lowest; never above demand', () => {
    const d = inferDemand(H200, 449, 1065, 450, 0.99, 0x4);
    const free = heldPower(H200, d.activity, H200.clockPowerExponent, 700, 0, false);
    // Left alone it would reach its own limit; a replay draws min(demand, this).
    expect(free.powerW).toBeGreaterThanOrEqual(d.demandW);
    expect(heldPower(H200, d.activity, 1.3, 450, 0, false).powerW).toBeCloseTo(450, 0);
    const locked = heldPower(H200, d.activity, 1.3, 700, 1200, false);
    expect(locked.clockMHz).toBe(1200);
    expect(locked.powerW).toBeLessThan(free.powerW);
    expect(heldPower(H200, d.activity, 1.3, 700, 0, true).powerW).toBeLessThan(locked.powerW);
  });
});
