/**
 * The reconfiguration ladder of a SaaS inference instance (TAPAS's third lever; docs/MODEL.md "Reconfiguration"):
 * each rung trades quality for power and heat at the same load, by doing the same work in less GPU time. Rung 0 is the
 * service as deployed (FP16 weights, the 70B-class model). IaaS VMs are never reconfigured. Zod-free data: the
 * simulator, the controller, the report and the console read the same ladder.
 *
 * Effects are ours (reconstructions **[r]**, order of magnitude from public results, not measured here):
 *  - fp8: FP8 weights and activations on Hopper-class tensor cores: prefill ~1.5× the tokens/s, decode ~1.3× (half
 *    the weight bytes, the KV cache and overheads unchanged); quality −0.5 % (post-training FP8 of 70B-class models
 *    stays within about half a point of FP16 on MMLU-class benchmarks);
 *  - smallModel: the 8B variant of the family in place of the 70B: prefill ~5×, decode ~2.5×; quality −10 % (the
 *    published benchmark gap between the two sizes is of that order). Operators forbid it per service (`forbid`).
 * `latencyS`: how long an instance takes to come back in the new configuration (weights reloaded), rolling, so the
 * service keeps serving. Tensor-parallel degree and batch size are not modelled rungs (docs/MODEL.md says why).
 */
export const RECONFIG_STEP_IDS = ['fp8', 'smallModel'] as const;
export type ReconfigStepId = (typeof RECONFIG_STEP_IDS)[number];

export interface ReconfigRung {
  /** null: the service as deployed. */
  id: ReconfigStepId | null;
  label: string;
  prefillX: number;
  decodeX: number;
  /** Share of quality lost on tokens served in this configuration (0.005 = 0.5 %). */
  qualityCost: number;
  latencyS: number;
}

export const RECONFIG_LADDER: readonly ReconfigRung[] = [
  { id: null, label: 'FP16, 70B (as deployed)', prefillX: 1, decodeX: 1, qualityCost: 0, latencyS: 60 },
  { id: 'fp8', label: 'FP8 weights and activations', prefillX: 1.5, decodeX: 1.3, qualityCost: 0.005, latencyS: 60 },
  { id: 'smallModel', label: '8B variant in place of 70B', prefillX: 5, decodeX: 2.5, qualityCost: 0.1, latencyS: 120 },
];

/** The rung a service runs when its row asks for `rung`: the deepest one, no deeper than asked, that it allows. */
export function allowedRung(rung: number, forbid: readonly ReconfigStepId[]): number {
  for (let k = Math.min(rung, RECONFIG_LADDER.length - 1); k > 0; k--) if (!forbid.includes(RECONFIG_LADDER[k]!.id!)) return k;
  return 0;
}
