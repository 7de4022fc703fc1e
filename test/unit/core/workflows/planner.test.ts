import { describe, expect, it } from 'vitest';
import { candidates, defaultChoice, option, planWorkflow, sloTarget } from '../../../../main/core/workflows/planner.js';
import { fits, profile, SERVING_GPUS, SERVING_MODELS } from '../../../../main/core/workflows/service.js';
import { SLO_SHARE, WorkflowSchema } from '../../../../shared/domain/workflows.js';

const gpu = (id: string) => SERVING_GPUS.find((g) => g.id === id)!;
const model = (id: string) => SERVING_MODELS.find((m) => m.id === id)!;

const wf = WorkflowSchema.parse({
  id: 'two-step',
  slo: 'good',
  trace: 'code',
  tasks: [
    { id: 'rerank', models: ['bge-reranker-base', 'bge-reranker-v2-m3'], tokens: { in: 2000, out: 1 } },
    { id: 'answer', models: ['llama-3.1-8b', 'llama-3.1-70b'], tokens: { in: 1500, out: 200 }, minQuality: 0.7 },
  ],
});
const tokens = [
  { in: 2000, out: 1 },
  { in: 1500, out: 200 },
];

describe('serving profiles from the datasheets and our GPU model', () => {
  it('fits: FP8 needs FP8 tensor cores; the weights within 80 % of memory', () => {
    expect(fits(model('llama-3.1-405b-fp8'), gpu('A100-SXM'), 8)).toBe(false);
    expect(fits(model('llama-3.1-405b-fp8'), gpu('H100-SXM'), 4)).toBe(false);
    expect(fits(model('llama-3.1-405b-fp8'), gpu('H100-SXM'), 8)).toBe(true);
    // 70.6 B × 2 bytes = 141 GB: 4 GPUs (35 GB each), not 2 (71 GB > 64).
    expect(fits(model('llama-3.1-70b'), gpu('H100-SXM'), 2)).toBe(false);
    expect(fits(model('llama-3.1-70b'), gpu('H100-SXM'), 4)).toBe(true);
    expect(defaultChoice(['llama-3.1-8b', 'llama-3.1-70b'])).toEqual({ model: 'llama-3.1-70b', gpu: 'H100-SXM', tp: 4 });
  });

  it('a lower clock is slower and draws less; a bigger model is slower per token; prefill scales with the tokens in', () => {
    const at = (c: number) => profile(model('llama-3.1-8b'), gpu('H100-SXM'), 1, c, 1000, 100);
    expect(at(0.6).ttftS).toBeCloseTo(at(1).ttftS / 0.6, 9);
    expect(at(0.6).tpotS).toBeGreaterThan(at(1).tpotS);
    expect(at(0.6).decodeW).toBeLessThan(at(1).decodeW);
    expect(profile(model('llama-3.1-70b'), gpu('H100-SXM'), 4, 1, 1000, 100).tpotS).toBeGreaterThan(at(1).tpotS);
    expect(profile(model('llama-3.1-8b'), gpu('H100-SXM'), 1, 1, 2000, 100).ttftS).toBeCloseTo(2 * at(1).ttftS, 9);
    // 8 B on an H100: 2 · 8e9 · 1000 / (989e12 · 0.45) ≈ 36 ms to the first token; ~9.7 ms a token (16 GB / 1.84 TB/s).
    expect(at(1).ttftS).toBeCloseTo(0.036, 3);
    expect(at(1).tpotS).toBeGreaterThan(0.008);
    expect(at(1).tpotS).toBeLessThan(0.011);
  });
});

describe('the workflow planner', () => {
  it('the target is 1.5 × the default configuration’s unloaded latency', () => {
    const d = profile(model('bge-reranker-v2-m3'), gpu('H100-SXM'), 1, 1, 2000, 1).latencyS + profile(model('llama-3.1-70b'), gpu('H100-SXM'), 4, 1, 1500, 200).latencyS;
    expect(sloTarget(wf, tokens)).toBeCloseTo(1.5 * d, 9);
  });

  it('its choice is the least energy per request of every combination that meets the target (brute force agrees)', () => {
    // Two LLM steps: the target must be split between them, tighter and looser.
    const two = WorkflowSchema.parse({
      id: 'two-llm',
      slo: 'fair',
      trace: 'code',
      tasks: [
        { id: 'summarise', models: ['llama-3.1-8b', 'llama-3.1-70b'], tokens: { in: 3000, out: 300 } },
        { id: 'answer', models: ['llama-3.1-8b', 'llama-3.1-70b'], tokens: { in: 1500, out: 200 } },
      ],
    });
    const tk = [
      { in: 3000, out: 300 },
      { in: 1500, out: 200 },
    ];
    // And in the other order: whichever step needs the larger share of the target, the programme finds it.
    const owt = WorkflowSchema.parse({ ...two, tasks: [...two.tasks].reverse() });
    const kt = [...tk].reverse();
    for (const [w, t, rps, k] of [
      [two, tk, 0.5, 1],
      [two, tk, 5, 0.5],
      [two, tk, 5, 0.3],
      [two, tk, 40, 0.8],
      [owt, kt, 5, 0.5],
      [owt, kt, 5, 0.3],
    ] as const) {
      const target = sloTarget(w, t) * k;
      const plan = planWorkflow(w, rps, t, target);
      expect(plan.feasible).toBe(true);
      const [a, b] = candidates(w, t).map((c) => c.map((p) => option(p, rps, SLO_SHARE.fair)));
      let best = Infinity;
      for (const x of a!) for (const y of b!) if (x.tierS + y.tierS <= target) best = Math.min(best, x.energyPerRequestJ + y.energyPerRequestJ);
      // The grid (target / 400) can only cost a sliver: within 1 % of the exact optimum, and never below it.
      expect(plan.energyPerRequestJ).toBeGreaterThanOrEqual(best - 1e-3);
      expect(plan.energyPerRequestJ).toBeLessThanOrEqual(best * 1.01);
      expect(plan.tierS).toBeLessThanOrEqual(target + 1e-9);
      expect(plan.reason).toMatch(/80 % of requests within [\d.]+ s/);
    }
  });

  it('quality floors hold; more load means more instances; an impossible target gives the fastest plan, marked', () => {
    const target = sloTarget(wf, tokens);
    const strict = WorkflowSchema.parse({ ...wf, tasks: [wf.tasks[0], { ...wf.tasks[1], minQuality: 0.8 }] });
    expect(planWorkflow(strict, 5, tokens, target).choices[1]!.model).toBe('llama-3.1-70b');
    const light = planWorkflow(wf, 1, tokens, target);
    const heavy = planWorkflow(wf, 60, tokens, target);
    expect(heavy.gpus).toBeGreaterThan(light.gpus);
    const none = planWorkflow(wf, 5, tokens, 0.001);
    expect(none.feasible).toBe(false);
    expect(none.reason).toMatch(/NO plan gets 95 % of requests within 0\.001 s/);
    const fastest = Math.min(...candidates(wf, tokens)[1]!.map((p) => option(p, 5, SLO_SHARE.good).tierS));
    expect(none.choices[1]!.tierS).toBeCloseTo(fastest, 3);
  });
});

describe("an option's arithmetic (one profile at a load)", () => {
  // A made-up profile: 0.5 s of an instance per request (0.1 s prefill), 2 s unloaded, 2 GPUs.
  const p = { model: model('llama-3.1-8b'), gpu: gpu('H100-SXM'), tp: 2, clock: 1, ttftS: 0.1, tpotS: 0.01, busyS: 0.5, latencyS: 2, prefillW: 600, decodeW: 400, idleW: 100 };
  it('instances for ρ ≤ 0.7, the tier latency with its wait, the power and the energy per request', () => {
    const o = option(p, 3, 0.95);
    // ⌈3 · 0.5 / 0.7⌉ = 3 instances at ρ = 0.5.
    expect(o.instances).toBe(3);
    expect(o.rho).toBeCloseTo(0.5, 12);
    // 2 + ln 20 · 0.5 · 0.5 / 0.5.
    expect(o.tierS).toBeCloseTo(2 + Math.log(20) * 0.5, 12);
    // Busy mix (0.1 · 600 + 0.4 · 400) / 0.5 = 440 W; 3 · 2 · (100 + 0.5 · 340) = 1,620 W; ÷ 3 req/s.
    expect(o.powerW).toBeCloseTo(1620, 9);
    expect(o.energyPerRequestJ).toBeCloseTo(540, 9);
    // A lighter load: one instance, less wait, the idle part weighs more per request.
    const light = option(p, 0.2, 0.95);
    expect(light.instances).toBe(1);
    expect(light.rho).toBeCloseTo(0.1, 12);
    expect(light.tierS).toBeCloseTo(2 + (Math.log(20) * 0.5 * 0.1) / 0.9, 12);
    expect(light.energyPerRequestJ).toBeCloseTo((2 * (100 + 0.1 * 340)) / 0.2, 9);
  });

  it('a quality floor is inclusive; a floor above every model leaves the task no option: infeasible', () => {
    const at84 = WorkflowSchema.parse({ ...wf, tasks: [wf.tasks[0], { ...wf.tasks[1], minQuality: 0.84 }] });
    expect(new Set(candidates(at84, tokens)[1]!.map((c) => c.model.id))).toEqual(new Set(['llama-3.1-70b']));
    const none = WorkflowSchema.parse({ ...wf, tasks: [wf.tasks[0], { ...wf.tasks[1], minQuality: 0.95 }] });
    const plan = planWorkflow(none, 5, tokens, 100);
    expect(plan.feasible).toBe(false);
  });
});
