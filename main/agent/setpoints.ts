import type { CommandAction, GpuInfo, RejectCode } from '../../shared/agentProtocol.js';
import type { GpuBackend } from './backend.js';

/** What the agent wants on one GPU (the console's last setpoints, or the safe cap). */
export interface Desired {
  limitW: number;
  clocks: [number, number] | null;
  /** True only once the brake's minimum power limit is on the GPU. */
  braked: boolean;
  /** The safe cap must be (re)applied: set when a lease lapses or at start-up, cleared once nvidia-smi took it. */
  safePending: boolean;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The GPUs of one host and what is wanted on each: range checks before anything runs, one command action at a time,
 * the power brake (power limit first, then the minimum clock lock; released in the opposite order), and the safe
 * cap (never uncapped; a confirmed brake is kept since it is lower). The caller serialises calls (one at a time).
 */
export class GpuSetpoints {
  readonly desired: Desired[];

  constructor(
    readonly gpus: readonly GpuInfo[],
    private readonly backend: GpuBackend,
    private readonly safeCap: { watts: number } | { pct: number },
    private readonly host: string,
    private readonly log: (line: string) => void,
  ) {
    this.desired = gpus.map((g) => ({ limitW: this.safeCapFor(g), clocks: null, braked: false, safePending: false }));
  }

  safeCapFor(g: GpuInfo): number {
    const sc = this.safeCap;
    const w = 'watts' in sc ? sc.watts : (sc.pct / 100) * g.maxLimitW;
    return Math.min(g.maxLimitW, Math.max(g.minLimitW, Math.round(w * 100) / 100));
  }

  /** Put every GPU at the safe cap; a GPU where nvidia-smi fails stays pending and is retried every reading. */
  async applySafeCap(why: string): Promise<void> {
    for (const d of this.desired) d.safePending = true;
    const failed = await this.retrySafeCap(why);
    this.log(`agent: GPUs at the safe cap (${why})${failed ? `; ${failed} GPU(s) failed and will be retried` : ''}`);
  }

  /** Apply the safe cap where pending: the power limit first (it is what bounds power), then release clock locks. */
  async retrySafeCap(why: string): Promise<number> {
    let failed = 0;
    for (const [i, g] of this.gpus.entries()) {
      const d = this.desired[i]!;
      if (!d.safePending) continue;
      d.limitW = this.safeCapFor(g);
      // A confirmed brake (its minimum limit is on the GPU) is lower than any cap: keep it.
      if (d.braked) {
        d.safePending = false;
        continue;
      }
      try {
        await this.backend.setPowerLimit(i, d.limitW);
        d.safePending = false;
      } catch (e) {
        failed++;
        this.log(`agent: could not apply the safe cap to GPU ${i} (${why}): ${errorText(e)}`);
        continue;
      }
      if (d.clocks) {
        try {
          await this.backend.resetClocks(i);
          d.clocks = null;
        } catch (e) {
          this.log(`agent: could not reset GPU ${i}'s clock lock (${why}): ${errorText(e)}`);
        }
      }
    }
    return failed;
  }

  index(uuid: string): number {
    return this.gpus.findIndex((g) => g.uuid.toLowerCase() === uuid.toLowerCase());
  }

  /** All-or-nothing range check before anything touches a GPU. */
  checkActions(actions: readonly CommandAction[]): { code: RejectCode; error: string } | null {
    for (const a of actions) {
      const i = this.index(a.uuid);
      if (i < 0) return { code: 'unknown-gpu', error: `no GPU ${a.uuid} on ${this.host}` };
      const g = this.gpus[i]!;
      if (a.kind === 'setPowerLimit' && !(a.watts >= g.minLimitW && a.watts <= g.maxLimitW)) {
        return { code: 'range', error: `power limit ${a.watts} W is outside ${g.minLimitW}–${g.maxLimitW} W for GPU ${i} (${g.uuid})` };
      }
      if (a.kind === 'lockClocks' && !(a.minMHz <= a.maxMHz && a.minMHz >= g.minClockMHz && a.maxMHz <= g.maxClockMHz)) {
        return { code: 'range', error: `clock lock ${a.minMHz},${a.maxMHz} MHz is outside ${g.minClockMHz}–${g.maxClockMHz} MHz for GPU ${i}` };
      }
    }
    return null;
  }

  async apply(a: CommandAction): Promise<void> {
    const i = this.index(a.uuid);
    const g = this.gpus[i]!;
    const d = this.desired[i]!;
    const b = this.backend;
    switch (a.kind) {
      case 'setPowerLimit':
        d.limitW = a.watts;
        d.safePending = false;
        if (!d.braked) await b.setPowerLimit(i, a.watts);
        break;
      case 'lockClocks':
        d.clocks = [a.minMHz, a.maxMHz];
        if (!d.braked) await b.lockClocks(i, a.minMHz, a.maxMHz);
        break;
      case 'resetClocks':
        d.clocks = null;
        if (!d.braked) await b.resetClocks(i);
        break;
      case 'brake':
        if (a.on === d.braked) break;
        if (a.on) {
          // The power limit bounds power: it goes first, and only once it is on is the GPU braked.
          await b.setPowerLimit(i, g.minLimitW);
          d.braked = true;
          await b.lockClocks(i, g.minClockMHz, g.minClockMHz);
        } else {
          // Released only once the limit is restored; a failure on the way leaves the GPU lower, never higher.
          if (d.clocks) await b.lockClocks(i, d.clocks[0], d.clocks[1]);
          else await b.resetClocks(i);
          await b.setPowerLimit(i, d.limitW);
          d.braked = false;
        }
        break;
    }
  }
}
