import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileDurably } from './durableFile.js';
import { z } from 'zod';
import { AuditHeadSchema, HostSchema, type AuditHead, type Countersig } from '../../shared/agentProtocol.js';
import { AGENT_HEADS_FILE, AGENT_HEADS_FORMAT, certFingerprint, KeyIdSchema, signCountersig, type HeadsCertLine, type HeadsHeadLine } from '../pki/countersig.js';

/** The kept heads, one per console key (rewritten atomically on every new head). */
export const AGENT_STATE_FILE = 'audit-heads.json';
const STATE_FORMAT = 'headroom-agent-audit-heads/1';

const KeptSchema = AuditHeadSchema.extend({ atMs: z.number().int().positive(), sig: z.string().min(1).max(1024) });
const StateSchema = z.object({ format: z.literal(STATE_FORMAT), host: HostSchema, heads: z.record(KeyIdSchema, KeptSchema) });
type State = z.infer<typeof StateSchema>;

/** The state folder cannot be read or written: at start-up the agent does not start; later it refuses to act. */
export class AgentStateError extends Error {
  override readonly name = 'AgentStateError';
}

export interface AuditHeadKeeperOptions {
  host: string;
  /** The agent's certificate and key (PEM): countersignatures are made with the key, the log names the certificate. */
  identity: { cert: string; key: string };
  /** Folder for the state file and the heads log; null keeps heads in memory only (tests, embedding: a restart forgets). */
  dir: string | null;
  now: () => number;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));

/**
 * The agent's memory of each console's audit chain head: the latest head a console key showed it (the command gate
 * refuses an older one, or another hash at the same seq), kept in `DIR/audit-heads.json` — written to a temporary
 * file, fsynced, renamed, the folder fsynced — so a restart does not forget it; and every newly kept head appended,
 * signed, to `DIR/audit-heads.jsonl` (fsynced) for auditors to collect. Each agent start first appends its
 * certificate, so the log verifies by itself. All I/O is synchronous: a head is on disk before the command acts.
 */
export class AuditHeadKeeper {
  readonly dir: string | null;
  private readonly heads = new Map<string, Countersig>();
  private readonly certFp: string;
  private logFd: number | null = null;

  /** Reads the state (a damaged or foreign file stops the start: forgetting the heads would weaken the check). */
  static open(o: AuditHeadKeeperOptions): AuditHeadKeeper {
    const k = new AuditHeadKeeper(o);
    if (k.dir) k.load(k.dir);
    return k;
  }

  private constructor(private readonly o: AuditHeadKeeperOptions) {
    this.dir = o.dir === null ? null : resolve(o.dir);
    this.certFp = certFingerprint(o.identity.cert);
  }

  /** The head kept for a console key (what the gate compares with). */
  kept(consoleKey: string): AuditHead | undefined {
    const h = this.heads.get(consoleKey);
    return h ? { seq: h.seq, hash: h.hash } : undefined;
  }

  /** How many console keys have a kept head. */
  get size(): number {
    return this.heads.size;
  }

  /**
   * Keep `head` for `consoleKey` (the gate has compared it with the kept one) and return the countersignature: the
   * one made when it was first kept, or a new one, on disk and in the log before this returns. Throws AgentStateError.
   */
  keep(consoleKey: string, head: AuditHead): Countersig {
    const old = this.heads.get(consoleKey);
    if (old && old.seq === head.seq && old.hash === head.hash) return old;
    const atMs = Math.round(this.o.now());
    const cs: Countersig = { seq: head.seq, hash: head.hash, atMs, sig: signCountersig({ host: this.o.host, consoleKey, ...head, atMs }, this.o.identity.key) };
    if (this.dir) {
      const heads: State['heads'] = Object.fromEntries(this.heads);
      heads[consoleKey] = cs;
      this.writeState(this.dir, { format: STATE_FORMAT, host: this.o.host, heads });
      const line: HeadsHeadLine = { kind: 'head', host: this.o.host, consoleKey, ...cs, certFp: this.certFp };
      this.append(line);
    }
    this.heads.set(consoleKey, cs);
    return cs;
  }

  close(): void {
    if (this.logFd !== null) closeSync(this.logFd);
    this.logFd = null;
  }

  private load(dir: string): void {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new AgentStateError(`--state-dir ${dir}: cannot create it (${code(e)})`);
    }
    const file = join(dir, AGENT_STATE_FILE);
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AgentStateError(`${file}: cannot be read (${code(e)})`);
    }
    if (text !== null) {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = undefined;
      }
      const s = StateSchema.safeParse(raw);
      if (!s.success) throw new AgentStateError(`${file}: damaged (${s.error.issues[0]?.message ?? 'invalid'}); the agent will not start without the heads it kept — restore it, or move it away to forget them`);
      if (s.data.host !== this.o.host) throw new AgentStateError(`${file}: holds the state of host "${s.data.host}", this is "${this.o.host}" (give each host its own --state-dir)`);
      for (const [key, h] of Object.entries(s.data.heads)) this.heads.set(key, h);
    } else {
      // Claim the folder for this host at once: a second host pointed at it is refused at its start.
      this.writeState(dir, { format: STATE_FORMAT, host: this.o.host, heads: {} });
    }
    try {
      this.logFd = openSync(join(dir, AGENT_HEADS_FILE), 'a', 0o600);
    } catch (e) {
      throw new AgentStateError(`${join(dir, AGENT_HEADS_FILE)}: cannot be opened for appending (${code(e)})`);
    }
    const cert: HeadsCertLine = { format: AGENT_HEADS_FORMAT, kind: 'cert', host: this.o.host, cert: this.o.identity.cert, certFp: this.certFp, atMs: Math.round(this.o.now()) };
    this.append(cert);
  }

  private writeState(dir: string, s: State): void {
    try {
      writeFileDurably(dir, AGENT_STATE_FILE, JSON.stringify(s));
    } catch (e) {
      throw new AgentStateError(`cannot keep the console's audit head in ${join(dir, AGENT_STATE_FILE)} (${code(e)})`);
    }
  }

  private append(line: HeadsCertLine | HeadsHeadLine): void {
    if (this.logFd === null) throw new AgentStateError('the audit heads log is closed');
    try {
      writeSync(this.logFd, JSON.stringify(line) + '\n');
      fsyncSync(this.logFd);
    } catch (e) {
      throw new AgentStateError(`cannot append to ${join(this.dir ?? '', AGENT_HEADS_FILE)} (${code(e)})`);
    }
  }
}
