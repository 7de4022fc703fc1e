/**
 * The controller's own side of fencing (pure; docs/RELIABILITY.md "Controllers"). A leader may act only while it is
 * sure its etcd lease still holds: the last keepalive etcd confirmed, plus the lease's TTL, less a margin for clock
 * rate and the time a command takes to reach an agent. A process that was paused (SIGSTOP, a VM freeze, a long GC)
 * wakes with an old confirmation and stops acting before its timers send anything — and if a command slips out
 * anyway, the agents refuse its epoch (agent/epochFence.ts). Two independent guards: neither trusts the other.
 */
export const FENCE_MARGIN_MS = 1_000;

export function leaseStillHolds(lastConfirmedMs: number, ttlMs: number, nowMs: number, marginMs = FENCE_MARGIN_MS): boolean {
  return Number.isFinite(lastConfirmedMs) && nowMs >= lastConfirmedMs - marginMs && nowMs - lastConfirmedMs < ttlMs - marginMs;
}

/** A failover in words, for the audit trail, the alert and the status bar. */
export function describeFailover(from: string | null, to: string, epoch: number, why: string): string {
  return from ? `${from} ${why}; ${to} leads from epoch ${epoch}` : `${to} leads from epoch ${epoch} (no leader before)`;
}
