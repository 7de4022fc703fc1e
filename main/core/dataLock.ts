import { z } from 'zod';

/**
 * One Headroom per data folder (the folder of telemetry.db and control.db): two writers on one folder would interleave
 * their telemetry and audit trails. The holder is recorded in `<folder>/headroom.lock`; this module decides, without
 * touching the file system, whether an existing lock still stands and what to tell the operator. The file I/O is in
 * main/node/dataLock.ts.
 */
export const LOCK_FILE = 'headroom.lock';

/** What the lock file records: who holds the folder, where, since when, started how. */
export const LockHolderSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string().min(1),
  startedAtMs: z.number().finite(),
  command: z.string(),
});
export type LockHolder = z.infer<typeof LockHolderSchema>;

/**
 * A lock file that cannot be parsed is a start-up caught between creating the file and writing it — unless it is older
 * than this, when it is debris of a crash at that very moment.
 */
export const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** Whether the lock stands (refuse to start) or may be taken over (log the message and replace it). */
export type LockVerdict = { kind: 'refuse'; message: string } | { kind: 'takeOver'; message: string };

/** Where the judging process runs, and how it tells whether a process on this host is alive. */
export interface LockContext {
  host: string;
  pid: number;
  /** Age of the lock file (ms, from its modification time). */
  ageMs: number;
  isAlive: (pid: number) => boolean;
}

/** The lock file's text as a holder, or null when it is not one (empty, torn, edited). */
export function parseLockHolder(text: string): LockHolder | null {
  try {
    const r = LockHolderSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** "pid 4242 on host gpu-desk since 2026-01-01T10:00:00.000Z (headroom.js serve --db x)". */
export function describeHolder(h: LockHolder): string {
  const since = Number.isFinite(h.startedAtMs) ? new Date(h.startedAtMs).toISOString() : 'an unknown time';
  return `pid ${h.pid} on host ${h.host} since ${since}${h.command ? ` (${h.command})` : ''}`;
}

/**
 * Decide on an existing lock. A holder on another host is never judged stale: the folder may be shared (NFS, SMB)
 * and its process cannot be seen from here. On this host a holder whose pid is gone is stale and taken over; a live
 * pid — including this very process, which must not open the same folder twice — refuses the start.
 */
export function judgeLock(where: { folder: string; file: string }, holder: LockHolder | null, ctx: LockContext): LockVerdict {
  const { folder, file } = where;
  if (!holder) {
    if (ctx.ageMs < UNREADABLE_LOCK_GRACE_MS) {
      return { kind: 'refuse', message: `data folder ${folder} is being locked by another Headroom starting up (${file} is not written yet); try again in a few seconds` };
    }
    return { kind: 'takeOver', message: `taking over data folder ${folder}: ${file} is unreadable and ${Math.round(ctx.ageMs / 1000)} s old (left by a crash)` };
  }
  const who = describeHolder(holder);
  if (holder.host !== ctx.host) {
    return {
      kind: 'refuse',
      message: `data folder ${folder} is in use by Headroom ${who}; that host may share this folder, so its lock stands — stop that Headroom first, or delete ${file} if it is gone`,
    };
  }
  if (holder.pid === ctx.pid || ctx.isAlive(holder.pid)) {
    return {
      kind: 'refuse',
      message: `data folder ${folder} is in use by Headroom ${who}; stop it first or use another data folder (if pid ${holder.pid} is not Headroom, delete ${file})`,
    };
  }
  return { kind: 'takeOver', message: `taking over data folder ${folder} from a Headroom that is gone: ${who}` };
}

/** Options whose values are secrets: never written to a lock file, a log or the audit trail. */
const SECRET_OPTION = /token|password|secret|key/i;

/**
 * The command line as recorded in the lock file and the run markers: the program's file name (not its path), secret
 * option values and the credentials of URLs ("http://user:pw@am:9093" → "http://***@am:9093") replaced by "***",
 * at most `maxChars`.
 */
export function commandSummary(argv: readonly string[], maxChars = 300): string {
  const out: string[] = [];
  let hideNext = false;
  for (const [i, arg] of argv.entries()) {
    if (hideNext) {
      out.push('***');
      hideNext = false;
      continue;
    }
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && SECRET_OPTION.test(eq < 0 ? arg : arg.slice(0, eq))) {
      if (eq < 0) hideNext = true;
      out.push(eq < 0 ? arg : `${arg.slice(0, eq)}=***`);
      continue;
    }
    out.push(i === 0 ? (arg.split(/[\\/]/).pop() ?? arg) : arg.replace(/(\/\/)[^/@\s]+@/g, '$1***@'));
  }
  const s = out.join(' ');
  return s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s;
}
