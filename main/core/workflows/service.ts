import type { GpuModel } from '../../../shared/domain/topology.js';
import { BUILTIN_MODELS } from '../models.js';
import { powerAt, relativeThroughput } from '../physics.js';

/**
 * What one instance of a model does on a GPU type at a tensor-parallel degree and a clock (issue 16's profiles;
 * docs/MODEL.md "Workflows"). Derived from the GPUs' datasheet compute and memory bandwidth and our GPU power model —
 * no measured LLM serving profile is in the repository, so every profile here is **physics, not measurement** [r]:
 *
 *   prefill (compute-bound):  ttft = 2 · P · tokensIn / (FLOPS · MFU · tp · clock) · (1 + TP_OVERHEAD · log2 tp)
 *   decode (memory-bound):    tpot = (weight bytes / tp) / (BW · MBU) / relThroughput(clock, memBound 0.85) · (1 + …)
 *   an instance decodes BATCH sequences at once: its busy time per request d = ttft + tokensOut · tpot / BATCH;
 *   unloaded latency L0 = ttft + tokensOut · tpot;
 *   power per GPU: powerAt(activity, clock) with activity PREFILL_ACTIVITY while prefilling, DECODE_ACTIVITY while
 *   decoding (our GPU model, docs/MODEL.md "GPU power"), idle power when idle — plus its share of the server's own
 *   power (an 8-GPU server: 1,500 W idle + 2,000 W at full utilisation, docs/MODEL.md "Servers"), the energy an
 *   operator pays for;
 *   memory fit: weights / tp ≤ 80 % of the GPU's memory (the rest for KV cache and activations).
 */
export const MFU = 0.45;
export const MBU = 0.55;
export const TP_OVERHEAD = 0.08;
export const BATCH = 32;
export const PREFILL_ACTIVITY = 0.95;
export const DECODE_ACTIVITY = 0.55;
/** Each GPU's share of its server's power (W): idle, and added at full utilisation (the default site's servers / 8). */
export const HOST_IDLE_W = 1500 / 8;
export const HOST_ACTIVE_W = 2000 / 8;
const MEMORY_BOUND = 0.85;

export interface ServingGpu {
  id: string;
  /** Dense tensor TFLOPS at BF16 and FP8 (0: no FP8), HBM TB/s, memory GB [datasheet]. */
  bf16Tflops: number;
  fp8Tflops: number;
  hbmTBps: number;
  memGB: number;
  power: GpuModel;
}

/** NVIDIA H100 SXM and A100 SXM 80 GB datasheets (dense tensor throughput, HBM bandwidth, memory). */
export const SERVING_GPUS: readonly ServingGpu[] = [
  { id: 'H100-SXM', bf16Tflops: 989, fp8Tflops: 1979, hbmTBps: 3.35, memGB: 80, power: BUILTIN_MODELS.find((m) => m.id === 'H100-SXM')! },
  { id: 'A100-SXM', bf16Tflops: 312, fp8Tflops: 0, hbmTBps: 2.039, memGB: 80, power: BUILTIN_MODELS.find((m) => m.id === 'A100-SXM')! },
];

export interface ServingModel {
  id: string;
  /** Parameters (billions) [model card] and bytes per weight (2 BF16, 1 FP8). */
  paramsB: number;
  bytesPerParam: 1 | 2;
  /** Quality score 0–1 for the planner's floors [r: ours, an ordering, not a benchmark]. */
  quality: number;
}

export const SERVING_MODELS: readonly ServingModel[] = [
  { id: 'llama-3.1-8b', paramsB: 8.03, bytesPerParam: 2, quality: 0.7 },
  { id: 'llama-3.1-70b', paramsB: 70.6, bytesPerParam: 2, quality: 0.84 },
  { id: 'llama-3.1-405b-fp8', paramsB: 405.9, bytesPerParam: 1, quality: 0.9 },
  { id: 'whisper-small', paramsB: 0.244, bytesPerParam: 2, quality: 0.8 },
  { id: 'whisper-large-v3', paramsB: 1.55, bytesPerParam: 2, quality: 0.92 },
  { id: 'bge-reranker-base', paramsB: 0.278, bytesPerParam: 2, quality: 0.75 },
  { id: 'bge-reranker-v2-m3', paramsB: 0.568, bytesPerParam: 2, quality: 0.85 },
];

export const TP_DEGREES = [1, 2, 4, 8] as const;
export const CLOCKS = [0.6, 0.7, 0.8, 0.9, 1] as const;

export interface Profile {
  model: ServingModel;
  gpu: ServingGpu;
  tp: number;
  clock: number;
  /** For a request of (in, out) tokens: prefill s, decode s per token, busy s per request, unloaded latency s. */
  ttftS: number;
  tpotS: number;
  busyS: number;
  latencyS: number;
  /** Power per GPU (its server's share included) while prefilling and while decoding, and idle (W). */
  prefillW: number;
  decodeW: number;
  idleW: number;
}

/** Whether a model runs on a GPU type at a degree: FP8 needs FP8 tensor cores; the weights must fit (80 % of memory). */
export function fits(model: ServingModel, gpu: ServingGpu, tp: number): boolean {
  if (model.bytesPerParam === 1 && gpu.fp8Tflops <= 0) return false;
  return (model.paramsB * model.bytesPerParam) / tp <= 0.8 * gpu.memGB;
}

export function profile(model: ServingModel, gpu: ServingGpu, tp: number, clock: number, tokensIn: number, tokensOut: number): Profile {
  const m = gpu.power;
  const f = clock * m.maxClockMHz;
  const comm = 1 + TP_OVERHEAD * Math.log2(tp);
  const flops = (model.bytesPerParam === 1 ? gpu.fp8Tflops : gpu.bf16Tflops) * 1e12;
  const ttftS = ((2 * model.paramsB * 1e9 * tokensIn) / (flops * MFU * tp * clock)) * comm;
  const tpotS = ((model.paramsB * 1e9 * model.bytesPerParam) / tp / (gpu.hbmTBps * 1e12 * MBU) / relativeThroughput(m, f, MEMORY_BOUND)) * comm;
  return {
    model,
    gpu,
    tp,
    clock,
    ttftS,
    tpotS,
    busyS: ttftS + (tokensOut * tpotS) / BATCH,
    latencyS: ttftS + tokensOut * tpotS,
    prefillW: powerAt(m, PREFILL_ACTIVITY, f) + HOST_IDLE_W + HOST_ACTIVE_W * PREFILL_ACTIVITY,
    decodeW: powerAt(m, DECODE_ACTIVITY, f) + HOST_IDLE_W + HOST_ACTIVE_W * DECODE_ACTIVITY,
    idleW: m.idleW + HOST_IDLE_W,
  };
}

/** Every profile of the allowed models for a request of (in, out) tokens: GPU types × degrees that fit × clocks. */
export function profilesFor(models: readonly string[], tokensIn: number, tokensOut: number): Profile[] {
  const out: Profile[] = [];
  for (const id of models) {
    const model = SERVING_MODELS.find((x) => x.id === id);
    if (!model) continue;
    for (const gpu of SERVING_GPUS) for (const tp of TP_DEGREES) if (fits(model, gpu, tp)) for (const c of CLOCKS) out.push(profile(model, gpu, tp, c, tokensIn, tokensOut));
  }
  return out;
}

/** The first model a workflows file names that the catalogue lacks (its field path and why); null: all known. */
export function checkWorkflowModels(f: { workflows: ReadonlyArray<{ tasks: ReadonlyArray<{ models: readonly string[] }> }> }): { field: string; message: string } | null {
  for (const [i, w] of f.workflows.entries()) {
    for (const [j, t] of w.tasks.entries()) {
      const k = t.models.findIndex((m) => !SERVING_MODELS.some((x) => x.id === m));
      if (k >= 0) return { field: `workflows[${i}].tasks[${j}].models[${k}]`, message: `unknown model "${t.models[k]}" (known: ${SERVING_MODELS.map((x) => x.id).join(', ')})` };
    }
  }
  return null;
}
