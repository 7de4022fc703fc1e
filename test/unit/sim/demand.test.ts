import { describe, expect, it } from 'vitest';
import { InferenceServiceSchema, TrainingJobSchema } from '../../../shared/domain/scenario.js';
import { InferenceServiceSim, Streams, type DemandProfile } from '../../../main/sim/inference.js';
import { TrainingJobSim } from '../../../main/sim/training.js';
import { createRng } from '../../../main/sim/rng.js';
import { loadTraces } from '../../../main/sim/config.js';
import { runLoaded } from '../../../main/app/batch.js';
import { plannerScenario } from '../../../main/app/planner.js';
import { quantileOf, risesOver } from '../../../main/core/rises.js';

const traces = loadTraces();

/** Per server: requests admitted over `seconds` (servers never serve: clock 0 keeps every request queued). */
function admitted(demand: DemandProfile, servers: number, seconds: number, ratePerServer = 3.6): number[] {
  const spec = InferenceServiceSchema.parse({ id: 's', priority: 'high', trace: 'conv', placement: { rows: ['P'] }, ratePerServer });
  const sim = new InferenceServiceSim(spec, traces.conv, Array.from({ length: servers }, (_, i) => i), createRng(5), demand);
  const zero = new Float64Array(servers);
  const out = new Float64Array(servers);
  for (let t = 0; t < seconds; t++) sim.step(t, 1, 1, zero, out, out);
  const queues = (sim as unknown as { queues: Array<{ prefill: { size: number } }> }).queues;
  return queues.map((q) => q.prefill.size);
}

describe('demand profiles', () => {
  it('production: each server its own stream at the service rate; bursty: the one trace dealt round-robin', () => {
    const prod = admitted('production', 40, 3600);
    const total = prod.reduce((a, b) => a + b, 0);
    expect(total / (40 * 3600)).toBeGreaterThan(3.6 * 0.95);
    expect(total / (40 * 3600)).toBeLessThan(3.6 * 1.05);
    // Independent streams: servers differ by far more than round-robin's ±1.
    expect(Math.max(...prod) - Math.min(...prod)).toBeGreaterThan(100);
    const bursty = admitted('bursty', 40, 3600);
    expect(Math.max(...bursty) - Math.min(...bursty)).toBeLessThanOrEqual(1);
  });

  it('production is deterministic for a seed', () => {
    expect(admitted('production', 8, 600)).toEqual(admitted('production', 8, 600));
  });

  it('training under production demand: iteration lengths vary ±4 %, checkpoints pause the job', () => {
    const spec = TrainingJobSchema.parse({ id: 'j', placement: { rows: ['C'] }, periodS: 12, duty: 0.75, checkpointEveryS: 600, checkpointS: 30, computeActivity: 1, commActivity: 0.4 });
    const run = (demand: DemandProfile) => {
      const job = new TrainingJobSim(spec, [0], createRng(3), demand);
      const one = new Float64Array(1).fill(1);
      const act = new Float64Array(1);
      const mem = new Float64Array(1);
      const series: number[] = [];
      for (let t = 0; t < 3600; t += 0.5) {
        job.step(t, 0.5, one, act, mem);
        series.push(act[0]!);
      }
      return { job, series };
    };
    const prod = run('production');
    const bursty = run('bursty');
    // 3,600 s less 5 checkpoints of 30 s, at ~12 s an iteration.
    expect(bursty.job.iterations).toBe(Math.floor((3600 - 5 * 30) / 12));
    expect(Math.abs(prod.job.iterations - bursty.job.iterations)).toBeLessThanOrEqual(6);
    // The waves drift: the two series part ways (same count, different boundaries).
    expect(prod.series).not.toEqual(bursty.series);
    // A checkpoint: ≥ 30 s straight at the communication level (an iteration's dip lasts 3 s).
    let longest = 0;
    let run0 = 0;
    for (const a of bursty.series) longest = Math.max(longest, (run0 = a === 0.4 ? run0 + 0.5 : 0));
    expect(longest).toBeGreaterThanOrEqual(30);
  });
});

describe('calibration against POLCA’s production row (docs/MODEL.md "Demand")', () => {
  /** The planner row (40 servers on 408 kW) unconstrained: % of budget per second after a 2-minute start. */
  function rowSeries(demand: DemandProfile, servers = 40): number[] {
    const series: number[] = [];
    runLoaded(plannerScenario(servers, 1, demand), { seed: 1, durationS: 3600, policy: 'unconstrained', onTick: (e) => series.push((e.agg.rowW[0]! / 1000 / e.rowBudgetKW[0]!) * 100) });
    return series.slice(120);
  }

  it('production: the 40-server row peaks near POLCA’s 79 % and never rises more than 15 % within 40 s', () => {
    const s = rowSeries('production');
    const peak = Math.max(...s);
    expect(peak).toBeGreaterThan(73);
    expect(peak).toBeLessThan(83);
    expect(Math.max(...risesOver(s, 40))).toBeLessThanOrEqual(15);
  });

  it('bursty (the stress profile): the same row rises by a third of its budget within 40 s', () => {
    const r = risesOver(rowSeries('bursty'), 40);
    expect(Math.max(...r)).toBeGreaterThan(35);
    expect(quantileOf(r, 0.9)).toBeGreaterThan(25);
  });
});

describe('production streams start at or after t = 0', () => {
  it('a stream whose offset falls after the trace’s last request starts at the next lap, not in the past', () => {
    const tr = traces.code;
    const last = tr.arrivalS[tr.arrivalS.length - 1]!;
    // An rng of 0: the offset is the base exactly, between the last request and the trace's end.
    for (const base of [last + 0.25, last + 0.25 + tr.durationS]) {
      const st = new Streams(tr, 3, 0.5, base, () => 0);
      for (let k = 0; k < st.server.length; k++) {
        expect(st.nextAt(k)).toBeGreaterThanOrEqual(0);
        expect(st.nextAt(k)).toBeLessThan(tr.durationS);
      }
    }
  });
});
