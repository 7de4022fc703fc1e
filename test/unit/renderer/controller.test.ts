import { describe, expect, it } from 'vitest';
import type { ControllerStatus } from '../../../shared/domain/controller.js';
import { consoleUrl, controllerTooltip, failoverLine, fmtTook, leadLine, lostLine, otherControllers, peerLines, recentFailover, RECENT_FAILOVER_MS } from '../../../renderer/model/controller.js';
import { IpcApi } from '../../../renderer/api/ipc.js';

const T = Date.UTC(2026, 0, 5, 12, 41, 3);
const status = (over: Partial<ControllerStatus> = {}): ControllerStatus => ({
  self: 'c2',
  role: 'leader',
  leader: 'c2',
  leaderUrl: 'http://10.0.0.2:8080',
  epoch: 57,
  sinceMs: T,
  peers: [
    { id: 'c3', url: 'http://10.0.0.3:8080', role: 'standby' },
    { id: 'c2', url: 'http://10.0.0.2:8080', role: 'leader' },
    { id: 'c1', url: 'http://10.0.0.1:8080', role: 'standby' },
  ],
  etcd: { endpoints: ['http://etcd:2379'], reachable: true },
  failovers: [{ atMs: T, from: 'c1', to: 'c2', epoch: 57, what: "c1 lost its lease or resigned; c2 leads from epoch 57", tookMs: 6200 }],
  replication: { auditSeq: 10, stateAtMs: T, lagRecords: 0 },
  ...over,
});

describe('who holds control, in words', () => {
  it('names the leader, the epoch and since when (UTC), or why none is known', () => {
    expect(leadLine(status())).toBe('c2 leads · epoch 57 · since 12:41:03');
    expect(leadLine(status({ leader: null, epoch: null, sinceMs: null }))).toBe('no controller leads yet');
    expect(leadLine(status({ leader: null, etcd: { endpoints: [], reachable: false } }))).toBe('no leader known');
    expect(leadLine(status({ sinceMs: null }))).toBe('c2 leads · epoch 57');
  });

  it('says what a failover did and how long the election took after the old lease ended', () => {
    expect(failoverLine(status().failovers[0]!)).toBe("12:41:03 UTC: c1 lost its lease or resigned; c2 leads from epoch 57 (elected 6.2 s after c1's lease ended)");
    expect(failoverLine({ ...status().failovers[0]!, tookMs: null })).toBe('12:41:03 UTC: c1 lost its lease or resigned; c2 leads from epoch 57');
    expect([fmtTook(420.4), fmtTook(999.6), fmtTook(1000), fmtTook(null), fmtTook(NaN)]).toEqual(['420 ms', '1.0 s', '1.0 s', null, null]);
  });

  it('highlights a failover for five minutes, not before it and not after', () => {
    const s = status();
    expect(recentFailover(s, T)).toBe(s.failovers[0]);
    expect(recentFailover(s, T + RECENT_FAILOVER_MS - 1)).toBe(s.failovers[0]);
    expect(recentFailover(s, T + RECENT_FAILOVER_MS)).toBeNull();
    expect(recentFailover(s, T - 1)).toBeNull();
    expect(recentFailover(status({ failovers: [] }), T)).toBeNull();
    expect(recentFailover(null, T)).toBeNull();
  });

  it('lists the peers leader first, then by id, and tells the whole story in the tooltip', () => {
    expect(peerLines(status())).toEqual(['c2 · leader (this one) · http://10.0.0.2:8080', 'c1 · standby · http://10.0.0.1:8080', 'c3 · standby · http://10.0.0.3:8080']);
    const tip = controllerTooltip(status({ etcd: { endpoints: ['http://etcd:2379'], reachable: false } }));
    expect(tip).toContain('etcd http://etcd:2379: UNREACHABLE');
    expect(tip).toContain('Last failover: 12:41:03 UTC');
    expect(controllerTooltip(status({ failovers: [] }))).toContain('No failover seen by this controller');
  });

  it("links a controller's console with this page's token, and only over http(s)", () => {
    expect(consoleUrl('http://10.0.0.1:8080', 'a b&c')).toBe('http://10.0.0.1:8080/?token=a%20b%26c');
    expect(consoleUrl('https://ctl.example:8443/some/path?x=1', 't')).toBe('https://ctl.example:8443/?token=t');
    expect(consoleUrl('http://10.0.0.1:8080', null)).toBe('http://10.0.0.1:8080/');
    expect(consoleUrl('javascript:alert(1)', 't')).toBeNull();
    expect(consoleUrl('not a url', 't')).toBeNull();
    expect(consoleUrl(null, 't')).toBeNull();
  });

  it('offers the other controllers of the last status when the link is lost', () => {
    const last = status({ self: 'c1', leader: 'c1', peers: status().peers.map((p) => ({ ...p, role: p.id === 'c1' ? 'leader' : 'standby' })) });
    expect(otherControllers(last).map((p) => [p.id, p.ledBefore])).toEqual([['c2', false], ['c3', false]]);
    expect(otherControllers(status({ self: 'c3' })).map((p) => [p.id, p.ledBefore])).toEqual([['c2', true], ['c1', false]]);
    expect(otherControllers(null)).toEqual([]);
    expect(lostLine(last)).toBe('Controller c1 is unreachable');
    expect(lostLine(null)).toBe('The Headroom server is unreachable');
  });
});

describe("the desktop's IPC client follows the main process's link to a controller", () => {
  it('mirrors desktop:link as its connection and resynchronises when the link comes back', async () => {
    let link: ((p: unknown) => void) | null = null;
    const api = new IpcApi({ invoke: async () => null, on: (ch, fn) => ((link = ch === 'desktop:link' ? fn : link), () => {}) });
    const states: string[] = [];
    let connected = 0;
    api.onConnection((i) => states.push(i.state));
    api.onConnected(() => connected++);
    await Promise.resolve();
    link!({ state: 'disconnected', retryInMs: 900, reason: 'connection closed (1006)', url: 'http://c1:8080' });
    expect(api.connection).toEqual({ state: 'disconnected', retryInMs: 900, reason: 'connection closed (1006)' });
    link!({ state: 'open', url: 'http://c1:8080' });
    expect(states).toEqual(['open', 'disconnected', 'open']);
    expect(connected).toBe(2);
  });
});
