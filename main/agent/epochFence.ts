import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AgentStateError } from './auditHeads.js';
import { writeFileDurably } from './durableFile.js';

/** The highest controller epoch this agent has acted for (rewritten atomically whenever it rises). */
export const AGENT_EPOCH_FILE = 'epoch.json';
const FORMAT = 'headroom-agent-epoch/1';
const StateSchema = z.object({ format: z.literal(FORMAT), epoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), atMs: z.number().int().min(0), from: z.string().max(128) });

/**
 * Fencing for redundant controllers (docs/RELIABILITY.md "Controllers"): the agent remembers the highest leadership
 * epoch a command has carried, and refuses commands with a lower one. Each controller that wins the election in etcd
 * gets a higher epoch (the revision its leader key was created at), so a leader that was paused or cut off and comes
 * back believing it still leads speaks with an epoch its successor has already raised past: refused, whatever its own
 * clocks say. A command without an epoch counts as epoch 0 (a console outside a redundant set).
 *
 * `DIR/epoch.json` is written to a temporary file, fsynced and renamed before the command that raised the epoch acts,
 * so a restarted agent does not forget it (and a deposed leader cannot sneak in across the restart). A damaged file
 * stops the start (AgentStateError) rather than forgetting the fence.
 */
export class EpochFence {
  private epoch = 0;
  private readonly dir: string | null;

  constructor(dir: string | null, private readonly now: () => number = Date.now) {
    this.dir = dir === null ? null : resolve(dir);
    if (this.dir) this.load(this.dir);
  }

  /** The highest epoch seen. */
  get highest(): number {
    return this.epoch;
  }

  /** Whether a command with this epoch may act now (epochs at or above the highest seen). */
  admits(epoch: number | undefined): boolean {
    return (epoch ?? 0) >= this.epoch;
  }

  /**
   * Raise the fence to `epoch` if it is higher (on disk first; throws AgentStateError when it cannot be written, and
   * the command must then not act). Returns whether it rose.
   */
  raise(epoch: number | undefined, from: string): boolean {
    const e = epoch ?? 0;
    if (e <= this.epoch) return false;
    if (this.dir) this.save(this.dir, { format: FORMAT, epoch: e, atMs: Math.max(0, Math.round(this.now())), from: from.slice(0, 128) });
    this.epoch = e;
    return true;
  }

  private load(dir: string): void {
    const file = join(dir, AGENT_EPOCH_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new AgentStateError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AgentStateError(`${file}: not JSON; the controller epoch fence cannot be forgotten silently — restore or remove the file knowingly`);
    }
    const s = StateSchema.safeParse(parsed);
    if (!s.success) throw new AgentStateError(`${file}: ${s.error.issues[0]?.path.join('.') || 'file'}: ${s.error.issues[0]?.message ?? 'invalid'}`);
    this.epoch = s.data.epoch;
  }

  private save(dir: string, state: z.infer<typeof StateSchema>): void {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileDurably(dir, AGENT_EPOCH_FILE, `${JSON.stringify(state)}\n`);
    } catch (e) {
      throw new AgentStateError(`${join(dir, AGENT_EPOCH_FILE)}: cannot write the controller epoch (${(e as NodeJS.ErrnoException).code ?? String(e)}); not acting`);
    }
  }
}
