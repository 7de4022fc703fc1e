/** The actuation model's channels, commands and read-back (actuation.ts). */

export const CH = { limit: 0, lock: 1, brake: 2 } as const;
export type Channel = (typeof CH)[keyof typeof CH];
export const CHANNEL_NAMES = ['power limit', 'clock lock', 'power brake'] as const;

/** Where landed commands go (the engine service forwards them to the Actuator port). */
export interface CommandSink {
  apply(gpu: number, ch: Channel, value: number): void;
}

/** A command issued this step (for audit batching and counters). */
export interface Issued {
  gpu: number;
  ch: Channel;
  value: number;
  prev: number;
  tighten: boolean;
  /** SOURCE code and reason index (arbiter) of the value asked for. */
  source: number;
  why: number;
  effectAtMs: number;
}

export interface ActuationStats {
  /** Lock / limit commands that lower a setpoint. */
  caps: number;
  /** Lock / limit / brake commands that raise or remove one. */
  releases: number;
  /** Brake-on commands. */
  brakesOn: number;
  landed: number;
  /** Changes held back by the rate limit this step. */
  deferred: number;
}

/** GPUs [from, to); empty when from >= to. */
export interface GpuRange {
  from: number;
  to: number;
}

/** What the fleet reports back (the engine's live columns). */
export interface Readback {
  limitW: ArrayLike<number>;
  clockMHz: ArrayLike<number>;
  flags: ArrayLike<number>;
}

/** Alarm bits per GPU: which channel's command is not seen in read-back. */
export const ALARM = { limit: 1, lock: 2, brake: 4 } as const;
