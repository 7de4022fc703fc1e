import type { AgentReading, GpuInfo } from '../../shared/agentProtocol.js';

/**
 * What a host agent needs from the GPUs: discover them, read them, and act on them. Two implementations:
 * `nvidia-smi` (real hosts) and `sim` (a simulated host for tests, drills and benches).
 *
 * Callers check ranges before acting (the agent core refuses values outside the GPU's limits); a backend still refuses
 * them itself. Every failure is a BackendError with a message an operator can act on.
 */
export interface GpuBackend {
  readonly kind: 'nvidia-smi' | 'sim';
  /** Find the GPUs and their limits. Throws BackendError (not root, nvidia-smi missing, no GPUs). */
  discover(): Promise<GpuInfo[]>;
  /** One reading per GPU, taken now. `invalid` counts rows the parser flagged (still returned, values nulled). */
  read(): Promise<{ tMs: number; readings: AgentReading[]; invalid: number }>;
  setPowerLimit(index: number, watts: number): Promise<void>;
  lockClocks(index: number, minMHz: number, maxMHz: number): Promise<void>;
  resetClocks(index: number): Promise<void>;
  close(): Promise<void>;
}

export class BackendError extends Error {
  override readonly name = 'BackendError';
}
