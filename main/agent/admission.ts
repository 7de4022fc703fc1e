import { isIPv6 } from 'node:net';

/** What the admission control needs of a socket: where it comes from, and a way to drop it. */
export interface AdmittedSocket {
  readonly remoteAddress?: string | undefined;
  destroy(): void;
  /** Close with a TCP RST (net.Socket): cheaper for both ends under a flood than FIN and TIME_WAIT. */
  resetAndDestroy?(): void;
}

/** The limits on the agent's control port. Unauthenticated = TCP accepted, TLS handshake or certificate check not done. */
export interface AdmissionLimits {
  /** A connection must finish the TLS handshake and authenticate within this, from TCP accept (absolute, not idle). */
  handshakeTimeoutMs: number;
  /** Unauthenticated sockets at once, all sources together. Below the total (maxPending + maxConsoles). */
  maxPending: number;
  /** Unauthenticated sockets at once from one source (an IPv4 address, or an IPv6 /64). */
  maxPendingPerSource: number;
  /** Authenticated consoles at once: slots unauthenticated sockets can never take. */
  maxConsoles: number;
}

export const DEFAULT_ADMISSION: Readonly<AdmissionLimits> = { handshakeTimeoutMs: 5000, maxPending: 128, maxPendingPerSource: 8, maxConsoles: 32 };

/** A source's count of recent arrivals decays with this half-life; at most this many sources are remembered. */
const SCORE_HALF_LIFE_MS = 10_000;
/**
 * With all unauthenticated slots taken, a source that connected this often lately is refused outright (before any TLS
 * work) instead of displacing anyone: a console reconnects with backoff (1 s, 2 s, 4 s…), a flood does not.
 */
export const NOISY_SOURCE_ARRIVALS = 8;
const MAX_SCORED_SOURCES = 4096;

/** Why a socket was dropped before it authenticated. */
export type DropReason = 'timeout' | 'per-source' | 'global' | 'consoles-full';

export interface AdmissionStats {
  pending: number;
  consoles: number;
  /** Most unauthenticated sockets ever held at once (all sources). */
  peakPending: number;
  dropped: Record<DropReason, number>;
}

interface Entry {
  socket: AdmittedSocket;
  source: string;
  timer: NodeJS.Timeout;
  /** Arrival order. */
  n: number;
}

/**
 * The source an unauthenticated socket is counted against: an IPv4 address (IPv4-mapped IPv6 included), or the /64 of
 * an IPv6 address (one host usually owns a whole /64, so per-address limits would mean nothing there).
 */
export function sourceOf(address: string | undefined): string {
  if (!address) return '?';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * Admission control for the agent's control port, so that no number of idle, slow or half-open connections can keep a
 * console out (issue 11: 64 idle TCP connections used to fill the port for good):
 * - every socket gets an absolute deadline from TCP accept to an authenticated console (`handshakeTimeoutMs`); Node's
 *   own TLS handshake timeout is an idle timer that a peer trickling bytes resets, this one is not;
 * - unauthenticated sockets are capped per source and in all, and never count against the consoles' slots;
 * - when a source is at its cap, its own oldest socket is dropped: a flood from one source churns only its own;
 * - when all sources together are, the one to go is the oldest socket of the source holding the most pending sockets
 *   (ties: the source that connected most often lately — arrivals, half-life 10 s — then the oldest socket); but if
 *   the newcomer's source had connected more often still, or at least NOISY_SOURCE_ARRIVALS times, the newcomer is
 *   refused instead, before any TLS work.
 *   So a console (one connection now and then) gets in past any flood, and is dropped mid-handshake only by a flood
 *   from at least `maxPending` addresses that each connect no more often than it does, sending `maxPending`
 *   connections while its handshake lasts (milliseconds).
 */
export class Admission {
  readonly limits: AdmissionLimits;
  private readonly pending = new Map<AdmittedSocket, Entry>();
  private readonly bySource = new Map<string, Set<Entry>>();
  private consoles = 0;
  private peak = 0;
  private arrivals = 0;
  private readonly scores = new Map<string, { count: number; atMs: number }>();
  readonly dropped: Record<DropReason, number> = { timeout: 0, 'per-source': 0, global: 0, 'consoles-full': 0 };

  constructor(limits: Partial<AdmissionLimits> = {}, private readonly onDrop: (reason: DropReason, source: string) => void = () => {}) {
    this.limits = { ...DEFAULT_ADMISSION, ...limits };
    const l = this.limits;
    for (const [k, v] of Object.entries(l)) if (!(Number.isInteger(v) && v > 0)) throw new Error(`admission limit ${k} must be a positive integer, got ${v}`);
    if (l.maxPendingPerSource > l.maxPending) throw new Error(`maxPendingPerSource (${l.maxPendingPerSource}) must not exceed maxPending (${l.maxPending})`);
  }

  /**
   * A new TCP connection: count it and start its deadline, dropping another if a cap is reached; false when it was
   * refused itself (already destroyed, before any TLS work: the caller must not use it).
   */
  admit(socket: AdmittedSocket): boolean {
    const source = sourceOf(socket.remoteAddress);
    const now = Date.now();
    // How often this source connected lately, before this connection: a first contact (a console) scores 0.
    const prior = this.scoreOf(source, now);
    this.bump(source, now);
    const own = this.bySource.get(source);
    if ((own?.size ?? 0) >= this.limits.maxPendingPerSource) this.drop(oldest(own!), 'per-source');
    else if (this.pending.size >= this.limits.maxPending) {
      let most = 0;
      for (const set of this.bySource.values()) most = Math.max(most, set.size);
      let victim: { set: Set<Entry>; score: number } | null = null;
      for (const [src, set] of this.bySource) {
        if (set.size !== most) continue;
        // Rounded: sources that each connected once in the last ~10 s tie (and the oldest socket goes first).
        const score = Math.round(this.scoreOf(src, now));
        if (!victim || score > victim.score || (score === victim.score && oldest(set).n < oldest(victim.set).n)) victim = { set, score };
      }
      if (victim && (Math.round(prior) > victim.score || prior >= NOISY_SOURCE_ARRIVALS)) {
        // The newcomer's source connects more often than any it would displace: refuse it, cheaply.
        this.dropped.global++;
        this.onDrop('global', source);
        kill(socket);
        return false;
      }
      if (victim) this.drop(oldest(victim.set), 'global');
    }
    const entry: Entry = { socket, source, n: this.arrivals++, timer: setTimeout(() => this.drop(entry, 'timeout'), this.limits.handshakeTimeoutMs) };
    this.pending.set(socket, entry);
    let set = this.bySource.get(source);
    if (!set) this.bySource.set(source, (set = new Set()));
    set.add(entry);
    this.peak = Math.max(this.peak, this.pending.size);
    return true;
  }

  /** The socket authenticated as a console: true if a console slot was free (it now holds one), false = dropped. */
  promote(socket: AdmittedSocket): boolean {
    const entry = this.pending.get(socket);
    if (!entry) return false; // dropped meanwhile (timeout or eviction)
    this.forget(entry);
    if (this.consoles >= this.limits.maxConsoles) {
      this.dropped['consoles-full']++;
      this.onDrop('consoles-full', entry.source);
      socket.destroy();
      return false;
    }
    this.consoles++;
    return true;
  }

  /** A socket closed: a pending one stops counting; `wasConsole` gives back a console slot. */
  closed(socket: AdmittedSocket, wasConsole: boolean): void {
    const entry = this.pending.get(socket);
    if (entry) this.forget(entry);
    if (wasConsole) this.consoles = Math.max(0, this.consoles - 1);
  }

  isPending(socket: AdmittedSocket): boolean {
    return this.pending.has(socket);
  }

  stats(): AdmissionStats {
    return { pending: this.pending.size, consoles: this.consoles, peakPending: this.peak, dropped: { ...this.dropped } };
  }

  /** Drop every pending socket (agent stopping). */
  clear(): void {
    for (const e of [...this.pending.values()]) {
      this.forget(e);
      kill(e.socket);
    }
  }

  private decayed(e: { count: number; atMs: number }, now: number): number {
    return e.count * Math.pow(0.5, Math.max(0, now - e.atMs) / SCORE_HALF_LIFE_MS);
  }

  private scoreOf(source: string, now: number): number {
    const e = this.scores.get(source);
    return e ? this.decayed(e, now) : 0;
  }

  /** One more arrival from `source` (kept in least-recent-first order, so the oldest is forgotten first). */
  private bump(source: string, now: number): void {
    const e = this.scores.get(source);
    this.scores.delete(source);
    this.scores.set(source, { count: (e ? this.decayed(e, now) : 0) + 1, atMs: now });
    if (this.scores.size > MAX_SCORED_SOURCES) this.scores.delete(this.scores.keys().next().value as string);
  }

  private drop(entry: Entry, reason: DropReason): void {
    if (!this.pending.has(entry.socket)) return;
    this.forget(entry);
    this.dropped[reason]++;
    this.onDrop(reason, entry.source);
    kill(entry.socket);
  }

  private forget(entry: Entry): void {
    clearTimeout(entry.timer);
    this.pending.delete(entry.socket);
    const set = this.bySource.get(entry.source);
    set?.delete(entry);
    if (set && set.size === 0) this.bySource.delete(entry.source);
  }
}

function kill(s: AdmittedSocket): void {
  try {
    if (s.resetAndDestroy) s.resetAndDestroy();
    else s.destroy();
  } catch {
    s.destroy(); // resetAndDestroy throws on a socket that is not connected yet or already gone
  }
}

/** A Set keeps insertion order, so a source's first entry is its oldest. */
const oldest = (set: Set<Entry>): Entry => set.values().next().value as Entry;
