/**
 * Who holds control, in words (issue 17): the status bar's item, its popover, the standby screen and the banner of a
 * lost link read a ControllerStatus through these. Pure.
 */
import type { ControllerPeer, ControllerStatus, Failover } from '../../shared/domain/controller.js';
import { fmtClock } from '../charts/format.js';

/** How long the status bar's item stays highlighted after a failover. */
export const RECENT_FAILOVER_MS = 5 * 60_000;

/** "c2 leads · epoch 57 · since 12:41:03" (the status bar prefixes "Controller" where it has room). */
export function leadLine(s: ControllerStatus): string {
  if (!s.leader) return s.etcd.reachable ? 'no controller leads yet' : 'no leader known';
  const parts = [`${s.leader} leads`];
  if (s.epoch !== null) parts.push(`epoch ${s.epoch}`);
  if (s.sinceMs !== null) parts.push(`since ${fmtClock(s.sinceMs)}`);
  return parts.join(' · ');
}

/** "1.8 s", "420 ms", or null when not measured. */
export function fmtTook(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  return Math.round(ms) < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * "12:41:03 UTC: c1 lost its lease …; c2 leads from epoch 57 (elected 40 ms after c1's lease ended)". The time
 * measured runs from the old leader's key vanishing in etcd (its lease lapsed, or it resigned) to the new one
 * leading: a lapse itself takes up to the lease's length before that.
 */
export function failoverLine(f: Failover): string {
  const took = fmtTook(f.tookMs);
  return `${fmtClock(f.atMs)} UTC: ${f.what}${took ? ` (elected ${took} after ${f.from ?? 'the old leader'}'s lease ended)` : ''}`;
}

/** The newest failover if it happened less than RECENT_FAILOVER_MS ago (the item is highlighted meanwhile). */
export function recentFailover(s: ControllerStatus | null, nowMs: number): Failover | null {
  const f = s?.failovers[0];
  return f && nowMs - f.atMs >= 0 && nowMs - f.atMs < RECENT_FAILOVER_MS ? f : null;
}

/** "c1 · leader · http://10.0.0.1:8080" per peer, the leader first, then by id. */
export function peerLines(s: ControllerStatus): string[] {
  return sortedPeers(s.peers).map((p) => `${p.id} · ${p.role}${p.id === s.self ? ' (this one)' : ''} · ${p.url}`);
}

export function sortedPeers(peers: readonly ControllerPeer[]): ControllerPeer[] {
  return [...peers].sort((a, b) => (a.role === b.role ? a.id.localeCompare(b.id) : a.role === 'leader' ? -1 : 1));
}

/** The whole story for a tooltip: who leads, this controller, etcd, the peers and the last failover. */
export function controllerTooltip(s: ControllerStatus): string {
  const lines = [`Controller set: ${leadLine(s)}${s.sinceMs !== null ? ' UTC' : ''}`, `This console: ${s.self} (${s.role})`];
  lines.push(`etcd ${s.etcd.endpoints.join(', ')}: ${s.etcd.reachable ? 'reachable' : 'UNREACHABLE'}`);
  if (s.peers.length) lines.push('', 'Controllers:', ...peerLines(s).map((l) => `  ${l}`));
  const f = s.failovers[0];
  lines.push('', f ? `Last failover: ${failoverLine(f)}` : 'No failover seen by this controller');
  return lines.join('\n');
}

/**
 * A controller's console address carrying this page's token: `http://host:port/?token=…`. Only http(s) addresses
 * (they come from etcd, not from the operator): anything else gives null and no link is drawn.
 */
export function consoleUrl(peerUrl: string | null | undefined, token: string | null): string | null {
  if (!peerUrl) return null;
  let u: URL;
  try {
    u = new URL(peerUrl);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return `${u.origin}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** The set's other controllers, from the last status known, for a page that lost its own: who led then first. */
export function otherControllers(last: ControllerStatus | null): Array<ControllerPeer & { ledBefore: boolean }> {
  if (!last) return [];
  return sortedPeers(last.peers.filter((p) => p.id !== last.self)).map((p) => ({ ...p, ledBefore: p.id === last.leader }));
}

/** The banner's first words when the link is lost: "Controller c1 is unreachable" or the plain server's. */
export function lostLine(last: ControllerStatus | null): string {
  return last ? `Controller ${last.self} is unreachable` : 'The Headroom server is unreachable';
}
