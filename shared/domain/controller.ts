/**
 * Who holds control (issue 17, docs/RELIABILITY.md "Controllers"): a set of `headroom serve --controller` processes
 * elect one leader through etcd; the leader alone commands the agents, with its leadership epoch. Zod-free: the
 * status bar, /api/health and the HTTP/WebSocket faces read these shapes.
 */
export interface ControllerPeer {
  id: string;
  /** Where clients reach it (its HTTP/WebSocket face), as it announced itself. */
  url: string;
  /** Its role as last seen in etcd. */
  role: 'leader' | 'standby';
}

export interface Failover {
  /** Wall time the new leader took over (ms). */
  atMs: number;
  from: string | null;
  to: string;
  epoch: number;
  /** What happened, in words: "c1's lease lapsed (no keepalive for 5 s); c2 leads from epoch 57". */
  what: string;
  /** From the old leader's key vanishing to this controller leading (ms); null when not measured here. */
  tookMs: number | null;
}

export interface ControllerStatus {
  /** This process. */
  self: string;
  role: 'leader' | 'standby' | 'connecting';
  /** The leader's id and face, as etcd says now (null: none elected, or etcd unreachable). */
  leader: string | null;
  leaderUrl: string | null;
  /** The leader's epoch (the etcd revision its leader key was created at). */
  epoch: number | null;
  /** Since when the current leader leads (wall ms; null: unknown). */
  sinceMs: number | null;
  peers: ControllerPeer[];
  /** The etcd endpoints and whether this process reaches them. */
  etcd: { endpoints: string[]; reachable: boolean };
  /** The last failovers seen by this process, newest first (at most 10). */
  failovers: Failover[];
  /** Audit records and state copies this process replicated (leader: published; standby: applied). */
  replication: { auditSeq: number; stateAtMs: number | null; lagRecords: number };
}
