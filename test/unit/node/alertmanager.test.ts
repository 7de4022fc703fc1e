import { afterEach, describe, expect, it } from 'vitest';
import { AlertmanagerConfigError, AlertmanagerSender, parseAlertmanagerOptions, type AlertmanagerOptions } from '../../../main/node/alertmanager.js';
import type { PostableAlert } from '../../../main/core/alertmanager.js';
import type { Alert } from '../../../shared/domain/fleet.js';
import { defaultTopology } from '../../helpers.js';

const topology = defaultTopology();
const T0 = Date.parse('2026-01-01T00:10:00Z');
const WALL = Date.parse('2026-12-05T12:00:00Z');

function alert(id: string, state: Alert['state'] = 'firing', over: Partial<Alert> = {}): Alert {
  return {
    id: `rowPower90:${id}`,
    rule: 'rowPower90',
    severity: 'warning',
    state,
    subject: { kind: 'row', id },
    summary: `Row ${id} high`,
    value: 92,
    unit: '%',
    activeSinceMs: T0 - 5000,
    firingSinceMs: state === 'pending' ? null : T0 - 2000,
    resolvedAtMs: null,
    row: id,
    ack: null,
    silencedBy: null,
    inhibitedBy: null,
    ...over,
  };
}

/** A fake Alertmanager: records every POST; `answer` decides each reply (default 200). */
function fakeAm() {
  const posts: Array<{ url: string; headers: Record<string, string>; alerts: PostableAlert[] }> = [];
  let answer: (n: number) => Promise<Response> = async () => new Response('', { status: 200 });
  const fetch = (async (url: string, init: RequestInit) => {
    posts.push({ url, headers: init.headers as Record<string, string>, alerts: JSON.parse(String(init.body)) as PostableAlert[] });
    return answer(posts.length);
  }) as unknown as typeof globalThis.fetch;
  return { posts, fetch, setAnswer: (f: typeof answer) => void (answer = f) };
}

const senders: AlertmanagerSender[] = [];
afterEach(() => senders.splice(0).forEach((s) => s.close()));

function sender(am: ReturnType<typeof fakeAm>, over: Partial<AlertmanagerOptions> = {}, logs: string[] = []) {
  let wall = WALL;
  const s = new AlertmanagerSender({ url: 'http://am.example:9093', resendS: 60, ...over }, { topology, fetch: am.fetch, clock: () => wall, log: (l) => void logs.push(l) });
  senders.push(s);
  return { s, advance: (ms: number) => void (wall += ms), wall: () => wall };
}

const until = async (what: string, f: () => boolean, timeoutMs = 3000) => {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('AlertmanagerSender: options', () => {
  it('refuses a URL that is not absolute http(s), or carries a query, and bad numbers — one line naming it', () => {
    const bad: unknown[] = [
      { url: 'alertmanager:9093' },
      { url: 'ftp://am/' },
      { url: 'http://am:9093/?x=1' },
      { url: 'http://am:9093', resendS: 0 },
      { url: 'http://am:9093', generatorBase: 'console' },
      { url: 'http://am:9093', extra: 1 },
      {},
    ];
    for (const o of bad) {
      expect(() => parseAlertmanagerOptions(o)).toThrow(AlertmanagerConfigError);
      try {
        parseAlertmanagerOptions(o);
      } catch (e) {
        expect((e as Error).message).toMatch(/^alertmanager: /);
        expect((e as Error).message).not.toContain('\n');
      }
    }
    expect(() => parseAlertmanagerOptions({ url: 'ftp://am/' })).toThrow(/http:\/\/ or https:\/\/ URL/);
    expect(parseAlertmanagerOptions({ url: 'https://am:9093/prefix/' })).toMatchObject({ resendS: 30, timeoutS: 10 });
  });

  it('keeps a path prefix; user:password@ becomes Basic auth and never shows', async () => {
    const am = fakeAm();
    const { s } = sender(am, { url: 'http://ops:s3cret@am.example:9093/am/' });
    s.update([alert('A')], T0);
    await until('a post', () => am.posts.length === 1);
    expect(am.posts[0]!.url).toBe('http://am.example:9093/am/api/v2/alerts');
    expect(am.posts[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    expect(JSON.stringify(s.status())).not.toContain('s3cret');
  });
});

describe('AlertmanagerSender: what is posted', () => {
  it('posts firing alerts (not pending ones) on Alertmanager’s clock, and nothing for a list without any', async () => {
    const am = fakeAm();
    const { s } = sender(am, { generatorBase: 'http://console:8080/?token=T' });
    s.update([alert('A', 'pending')], T0);
    await settle();
    expect(am.posts).toEqual([]);
    s.update([alert('A', 'pending'), alert('B')], T0 + 1000);
    await until('a delivered post', () => s.status().posts === 1);
    const [p] = am.posts[0]!.alerts;
    expect(am.posts[0]!.alerts).toHaveLength(1);
    expect(p!.labels).toMatchObject({ alertname: 'rowPower90', site: 'default', row: 'B', severity: 'warning' });
    // The engine's T0 + 1 s is the wall clock's WALL at this update: startsAt keeps its distance (3 s before).
    expect(p!.startsAt).toBe(new Date(WALL - 3000).toISOString());
    expect(p!.endsAt).toBe(new Date(WALL + 4 * 60_000).toISOString());
    expect(p!.generatorURL).toBe('http://console:8080/#/alerts?id=rowPower90%3AB');
    expect(s.status()).toMatchObject({ posts: 1, sent: 1, failures: 0, lastError: null, lastSuccessMs: WALL, firing: 1, unsentResolved: 0 });
  });

  it('an alert that leaves the list is sent once as resolved at that update, then no more', async () => {
    const am = fakeAm();
    const { s, advance } = sender(am);
    s.update([alert('A'), alert('B')], T0);
    await until('first post', () => am.posts.length === 1);
    advance(5000);
    s.update([alert('B')], T0 + 5000);
    await until('second post', () => am.posts.length === 2);
    const resolved = am.posts[1]!.alerts.find((a) => a.labels.row === 'A')!;
    expect(resolved.endsAt).toBe(new Date(WALL + 5000).toISOString());
    expect(am.posts[1]!.alerts.map((a) => a.labels.row)).toEqual(['A', 'B']);
    s.update([alert('B', 'firing', { ack: { by: 'ann', comment: '', atMs: T0 } })], T0 + 6000);
    await until('third post', () => am.posts.length === 3);
    expect(am.posts[2]!.alerts.map((a) => a.labels.row)).toEqual(['B']);
    expect(am.posts[2]!.alerts[0]!.annotations.acknowledged_by).toBe('ann');
    expect(s.status().unsentResolved).toBe(0);
  });

  it('one request in flight: changes meanwhile coalesce into one more request with the latest state', async () => {
    const am = fakeAm();
    let release!: () => void;
    am.setAnswer(async (n) => {
      if (n === 1) await new Promise<void>((r) => (release = r));
      return new Response('', { status: 200 });
    });
    const { s } = sender(am);
    s.update([alert('A')], T0);
    await until('first post', () => am.posts.length === 1);
    s.update([alert('A'), alert('B')], T0 + 1000);
    s.update([alert('A'), alert('B'), alert('C')], T0 + 2000);
    s.update([alert('C')], T0 + 3000);
    await settle();
    expect(am.posts).toHaveLength(1);
    release();
    await until('second post', () => am.posts.length === 2);
    await settle();
    expect(am.posts).toHaveLength(2);
    // A resolved (it was firing when the first post left); B came and went unsent as firing, yet resolved; C fires.
    expect(am.posts[1]!.alerts.map((a) => `${a.labels.row}:${Date.parse(a.endsAt) <= WALL ? 'resolved' : 'firing'}`)).toEqual(['A:resolved', 'B:resolved', 'C:firing']);
  });
});

describe('AlertmanagerSender: failures', () => {
  it('an HTTP error is kept in status and logged once; retried with backoff; a resolved alert waits for success', async () => {
    const am = fakeAm();
    const logs: string[] = [];
    am.setAnswer(async (n) => (n <= 2 ? new Response('bad alert', { status: 400, statusText: 'Bad Request' }) : new Response('', { status: 200 })));
    const { s } = sender(am, { resendS: 60 }, logs);
    s.update([alert('A')], T0);
    await until('first post', () => am.posts.length === 1);
    s.update([], T0 + 1000);
    expect(() => s.update(null as unknown as Alert[], T0)).not.toThrow();
    await until('a failure in status', () => s.status().failures === 1);
    expect(s.status()).toMatchObject({ lastError: 'HTTP 400 Bad Request: bad alert', posts: 0, unsentResolved: 1 });
    // Retried after 1 s, then 2 s: the third try succeeds and carries the resolved alert.
    await until('delivery', () => s.status().posts === 1, 6000);
    expect(am.posts).toHaveLength(3);
    expect(am.posts[2]!.alerts.map((a) => a.labels.row)).toEqual(['A']);
    expect(s.status()).toMatchObject({ failures: 0, unsentResolved: 0, firing: 0 });
    expect(logs.filter((l) => l.includes('cannot post'))).toHaveLength(1);
    expect(logs.some((l) => /again \(after 2 failed attempts\)/.test(l))).toBe(true);
  }, 10_000);

  it('a resolved alert delivered late keeps the time it resolved at, however far the engine ran meanwhile', async () => {
    const am = fakeAm();
    am.setAnswer(async (n) => new Response('', { status: n === 1 ? 503 : 200 }));
    const { s, advance } = sender(am);
    s.update([alert('A')], T0);
    await until('a failure', () => s.status().failures === 1);
    advance(1000);
    s.update([], T0 + 1000);
    advance(1000);
    // A simulator at speed 60: a minute of engine time in one wall second.
    s.update([alert('B', 'firing', { firingSinceMs: T0 + 61_000 })], T0 + 61_000);
    await until('delivery', () => s.status().posts === 1, 5000);
    const sent = am.posts[am.posts.length - 1]!.alerts;
    expect(sent.map((a) => a.labels.row)).toEqual(['A', 'B']);
    expect(sent[0]!.endsAt).toBe(new Date(WALL + 1000).toISOString());
    expect(sent[1]!.startsAt).toBe(new Date(WALL + 2000).toISOString());
  });

  it('a connection refused or no answer in time is a failure, not an exception', async () => {
    const am = fakeAm();
    am.setAnswer(() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })));
    const { s } = sender(am);
    s.update([alert('A')], T0);
    await until('a failure', () => s.status().failures === 1);
    expect(s.status().lastError).toBe('fetch failed (ECONNREFUSED)');

    const hung = fakeAm();
    const slow = new AlertmanagerSender(
      { url: 'http://am.example:9093', timeoutS: 0.2 },
      {
        topology,
        fetch: ((_u: string, init: RequestInit) => new Promise((_r, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch,
      },
    );
    senders.push(slow);
    slow.update([alert('A')], T0);
    await until('a timeout', () => slow.status().failures === 1);
    expect(slow.status().lastError).toBe('no answer within 0.2 s');
    expect(hung.posts).toEqual([]);
  });
});

describe('AlertmanagerSender: re-send and close', () => {
  it('re-sends firing alerts every resendS with a later endsAt; close() stops everything', async () => {
    const am = fakeAm();
    const { s, advance } = sender(am, { resendS: 0.1 });
    s.update([alert('A')], T0);
    await until('first post', () => am.posts.length === 1);
    advance(1000);
    await until('a re-send', () => am.posts.length >= 2);
    expect(Date.parse(am.posts[1]!.alerts[0]!.endsAt)).toBe(Date.parse(am.posts[0]!.alerts[0]!.endsAt) + 1000);
    expect(am.posts[1]!.alerts[0]!.startsAt).toBe(am.posts[0]!.alerts[0]!.startsAt);
    s.close();
    const n = am.posts.length;
    s.update([], T0 + 1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(am.posts).toHaveLength(n);
  });
});
