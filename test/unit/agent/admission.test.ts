import { afterEach, describe, expect, it, vi } from 'vitest';
import { Admission, DEFAULT_ADMISSION, sourceOf, type AdmittedSocket, type DropReason } from '../../../main/agent/admission.js';

/** The agent's admission control with stand-in sockets: who is dropped, when, and which slots are whose. */
class FakeSocket implements AdmittedSocket {
  destroyed = false;
  constructor(
    readonly remoteAddress: string,
    readonly name: string,
  ) {}
  destroy(): void {
    this.destroyed = true;
  }
}

function setup(limits: Partial<typeof DEFAULT_ADMISSION> = {}) {
  const drops: { reason: DropReason; source: string }[] = [];
  const adm = new Admission(limits, (reason, source) => drops.push({ reason, source }));
  const open = (addr: string, name = addr) => {
    const s = new FakeSocket(addr, name);
    adm.admit(s);
    return s;
  };
  return { adm, drops, open };
}

afterEach(() => vi.useRealTimers());

describe('sourceOf', () => {
  it('counts IPv4 (and IPv4-mapped) per address, IPv6 per /64', () => {
    expect(sourceOf('10.0.0.7')).toBe('10.0.0.7');
    expect(sourceOf('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(sourceOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceOf(undefined)).toBe('?');
  });
});

describe('Admission', () => {
  it('refuses limits that would let unauthenticated sockets crowd out consoles or make no sense', () => {
    expect(() => new Admission({ maxPending: 0 })).toThrow(/maxPending must be a positive integer/);
    expect(() => new Admission({ maxPending: 4, maxPendingPerSource: 8 })).toThrow(/must not exceed maxPending/);
    expect(() => new Admission({ handshakeTimeoutMs: 1.5 })).toThrow(/handshakeTimeoutMs/);
  });

  it('drops a pending socket at its deadline, counted from TCP accept; an authenticated one never', () => {
    vi.useFakeTimers();
    const { adm, drops, open } = setup({ handshakeTimeoutMs: 5000 });
    const idle = open('10.0.0.1');
    const good = open('10.0.0.2');
    vi.advanceTimersByTime(4999);
    expect(idle.destroyed).toBe(false);
    expect(adm.promote(good)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(idle.destroyed).toBe(true);
    expect(drops).toEqual([{ reason: 'timeout', source: '10.0.0.1' }]);
    vi.advanceTimersByTime(60_000);
    expect(good.destroyed).toBe(false);
    expect(adm.stats()).toMatchObject({ pending: 0, consoles: 1 });
    expect(adm.promote(idle)).toBe(false); // too late: it was dropped
  });

  it('a source over its cap loses its own oldest socket, never anyone else’s', () => {
    const { adm, open } = setup({ maxPending: 10, maxPendingPerSource: 3 });
    const other = open('10.0.0.9');
    const mine = [1, 2, 3].map((i) => open('10.0.0.1', `a${i}`));
    const fourth = open('10.0.0.1', 'a4');
    expect(mine.map((s) => s.destroyed)).toEqual([true, false, false]);
    expect(fourth.destroyed).toBe(false);
    expect(other.destroyed).toBe(false);
    expect(adm.stats()).toMatchObject({ pending: 4, dropped: { 'per-source': 1, global: 0 } });
  });

  it('at the global cap, a newcomer from a fresh source drops the oldest socket of the heaviest source', () => {
    const { adm, open } = setup({ maxPending: 6, maxPendingPerSource: 4 });
    const a = [1, 2].map((i) => open('10.0.0.1', `a${i}`));
    const b = [1, 2, 3].map((i) => open('10.0.0.2', `b${i}`));
    const c = open('10.0.0.3');
    const console_ = open('10.0.0.4');
    expect(b[0]!.destroyed).toBe(true);
    expect([...a, ...b.slice(1), c, console_].some((s) => s.destroyed)).toBe(false);
    expect(adm.stats()).toMatchObject({ pending: 6, peakPending: 6, dropped: { global: 1 } });
  });

  it('a console whose source holds nothing else is not dropped by a flood from other sources', () => {
    const { adm, open } = setup({ maxPending: 8, maxPendingPerSource: 2 });
    // 200 attacking addresses, each connecting again and again, before and after the console arrives.
    for (let i = 0; i < 1000; i++) open(`10.0.0.${i % 200}`);
    const console_ = open('192.168.1.10', 'console');
    for (let i = 0; i < 10_000; i++) open(`10.0.0.${i % 200}`);
    expect(console_.destroyed).toBe(false);
    expect(adm.stats().pending).toBe(8);
    expect(adm.promote(console_)).toBe(true);
  });

  it('ties go to the source that connected most often lately, then to the oldest socket', () => {
    vi.useFakeTimers({ now: 0 });
    const { open } = setup({ maxPending: 3, maxPendingPerSource: 3, handshakeTimeoutMs: 600_000 });
    const x = open('10.0.0.1', 'x');
    const y = open('10.0.0.2', 'y');
    const z = open('10.0.0.3', 'z');
    const y2 = open('10.0.0.2', 'y2'); // y's source: 2 sockets with y2 and the most arrivals: drops its own oldest
    expect([x, y, z, y2].map((s) => s.destroyed)).toEqual([false, true, false, false]);
    const w = open('10.0.0.4', 'w'); // all tied at one socket: the source with most arrivals (y2's) loses
    expect([x, z, y2, w].map((s) => s.destroyed)).toEqual([false, false, true, false]);
    vi.advanceTimersByTime(60_000); // scores decay: a minute later all are even again, and the oldest goes
    const v = open('10.0.0.5', 'v');
    expect([x, z, w, v].map((s) => s.destroyed)).toEqual([true, false, false, false]);
  });

  it('the documented limit: one-shot connections from as many fresh addresses as maxPending can drop a console mid-handshake', () => {
    vi.useFakeTimers({ now: 0 });
    const { open } = setup({ maxPending: 8, maxPendingPerSource: 2 });
    const console_ = open('192.168.1.10', 'console');
    for (let i = 0; i < 8; i++) open(`10.9.0.${i}`);
    expect(console_.destroyed).toBe(true);
  });

  it('consoles hold their own slots: pending sockets never count against them, and beyond maxConsoles a console is refused', () => {
    const { adm, open } = setup({ maxPending: 2, maxPendingPerSource: 2, maxConsoles: 2 });
    const c1 = open('10.0.0.1');
    const c2 = open('10.0.0.2');
    expect(adm.promote(c1) && adm.promote(c2)).toBe(true);
    const flood = Array.from({ length: 50 }, (_, i) => open(`10.1.0.${i}`));
    expect(c1.destroyed || c2.destroyed).toBe(false);
    expect(flood.filter((s) => !s.destroyed)).toHaveLength(2);
    const c3 = flood.at(-1)!;
    expect(adm.promote(c3)).toBe(false);
    expect(c3.destroyed).toBe(true);
    expect(adm.stats()).toMatchObject({ consoles: 2, dropped: { 'consoles-full': 1 } });
    adm.closed(c1, true);
    const c4 = open('10.2.0.1');
    expect(adm.promote(c4)).toBe(true);
  });

  it('a closed pending socket frees its place; clear() drops the rest', () => {
    const { adm, open } = setup();
    const s = open('10.0.0.1');
    const t = open('10.0.0.1');
    adm.closed(s, false);
    expect(adm.stats().pending).toBe(1);
    adm.clear();
    expect(t.destroyed).toBe(true);
    expect(adm.stats().pending).toBe(0);
  });
});
