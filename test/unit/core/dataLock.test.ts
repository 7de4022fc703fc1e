import { describe, expect, it } from 'vitest';
import { commandSummary, describeHolder, judgeLock, parseLockHolder, UNREADABLE_LOCK_GRACE_MS, type LockHolder } from '../../../main/core/dataLock.js';

const where = { folder: '/srv/headroom', file: '/srv/headroom/headroom.lock' };
const holder: LockHolder = { pid: 4242, host: 'desk', startedAtMs: Date.UTC(2026, 0, 1, 10), command: 'headroom serve --db /srv/headroom/telemetry.db' };
const here = (over: Partial<Parameters<typeof judgeLock>[2]> = {}) => ({ host: 'desk', pid: 7, ageMs: 60_000, isAlive: () => true, ...over });

describe('data-folder lock: the decision', () => {
  it('a live holder on this host refuses the start, naming the folder, pid, host, since and command', () => {
    const v = judgeLock(where, holder, here());
    expect(v.kind).toBe('refuse');
    expect(v.message).toBe(
      'data folder /srv/headroom is in use by Headroom pid 4242 on host desk since 2026-01-01T10:00:00.000Z (headroom serve --db /srv/headroom/telemetry.db); ' +
        'stop it first or use another data folder (if pid 4242 is not Headroom, delete /srv/headroom/headroom.lock)',
    );
  });

  it('a holder whose pid is gone on this host is stale: taken over, with a line saying from whom', () => {
    const asked: number[] = [];
    const v = judgeLock(where, holder, here({ isAlive: (pid) => (asked.push(pid), false) }));
    expect(asked).toEqual([4242]);
    expect(v).toEqual({ kind: 'takeOver', message: expect.stringMatching(/^taking over data folder \/srv\/headroom from a Headroom that is gone: pid 4242 on host desk since 2026-01-01T10:00:00\.000Z/) });
  });

  it('a holder on another host is never stale (the folder may be shared): refused without probing its pid', () => {
    const v = judgeLock(where, holder, here({ host: 'laptop', isAlive: () => { throw new Error('must not probe another host\'s pid'); } }));
    expect(v.kind).toBe('refuse');
    expect(v.message).toMatch(/pid 4242 on host desk .*that host may share this folder/);
  });

  it('this very process holding the folder refuses a second open, even if the probe would say otherwise', () => {
    expect(judgeLock(where, { ...holder, pid: 7 }, here({ isAlive: () => false })).kind).toBe('refuse');
  });

  it('an unreadable lock is a start-up in progress while young, debris of a crash once old', () => {
    expect(judgeLock(where, null, here({ ageMs: 50 }))).toMatchObject({ kind: 'refuse', message: expect.stringMatching(/being locked by another Headroom starting up/) });
    expect(judgeLock(where, null, here({ ageMs: UNREADABLE_LOCK_GRACE_MS + 1 }))).toMatchObject({ kind: 'takeOver', message: expect.stringMatching(/unreadable and 10 s old/) });
  });

  it('parses only well-formed holders', () => {
    expect(parseLockHolder(`${JSON.stringify(holder)}\n`)).toEqual(holder);
    for (const bad of ['', '{', '{"pid":"1","host":"a","startedAtMs":0,"command":""}', JSON.stringify({ ...holder, pid: -1 }), 'null']) expect(parseLockHolder(bad)).toBeNull();
    expect(describeHolder({ ...holder, command: '' })).toBe('pid 4242 on host desk since 2026-01-01T10:00:00.000Z');
  });
});

describe('command summary (lock file, run markers)', () => {
  it('keeps the program name, not its path, and hides secret option values in both spellings', () => {
    expect(commandSummary(['/opt/headroom/bin/headroom.js', 'serve', '--token', 's3cret', '--viewer-token=v1ew', '--operator-token', 'op', '--db', 'x.db'])).toBe(
      'headroom.js serve --token *** --viewer-token=*** --operator-token *** --db x.db',
    );
    expect(commandSummary(['headroom', 'serve', '--alertmanager', 'https://ops:pw@am.example:9093/am', '--alertmanager=http://u@am'])).toBe(
      'headroom serve --alertmanager https://***@am.example:9093/am --alertmanager=http://***@am',
    );
  });

  it('is bounded', () => {
    const s = commandSummary(['headroom', ...Array.from({ length: 200 }, (_, i) => `--arg${i}`)], 80);
    expect(s).toHaveLength(80);
    expect(s.endsWith('…')).toBe(true);
  });
});
