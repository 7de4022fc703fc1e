import { afterEach, describe, expect, it } from 'vitest';
import { AlertHandling, brakeInhibitorId, matchValue } from '../../../main/engine/alertHandling.js';
import { RefusalError } from '../../../main/core/ports.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { alertState } from '../../../main/store/alerts.js';
import type { DB } from '../../../main/store/db.js';
import type { Actor } from '../../../shared/domain/control.js';
import type { Alert } from '../../../shared/domain/fleet.js';
import { defaultTopology, tempDir } from '../../helpers.js';

const topology = defaultTopology();
const ann: Actor = { user: 'ann', role: 'operator' };
const bob: Actor = { user: 'bob', role: 'admin' };
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A GPU's name and row from the topology ("<server>-G<n>"). */
const server0 = topology.servers[0]!;
const rowOfServer0 = topology.rows[topology.racks[server0.rack]!.row]!.id;
const lastServer = topology.servers[topology.servers.length - 1]!;
const rowOfLast = topology.rows[topology.racks[lastServer.rack]!.row]!.id;

function alert(over: Partial<Alert> & Pick<Alert, 'id'>): Alert {
  const [rule, subj] = over.id.split(':') as [string, string];
  return {
    rule,
    severity: 'warning',
    state: 'firing',
    subject: { kind: 'row', id: subj },
    summary: over.id,
    value: 1,
    unit: '%',
    activeSinceMs: T0,
    firingSinceMs: T0,
    resolvedAtMs: null,
    row: subj,
    ack: null,
    silencedBy: null,
    inhibitedBy: null,
    ...over,
  };
}
const gpuAlert = (server: typeof server0, slot: number, row: string | null, over: Partial<Alert> = {}) =>
  alert({ id: `gpuNearSlowdown:${server.id}-G${slot}`, subject: { kind: 'gpu', id: `${server.id}-G${slot}` }, row, unit: '°C', ...over });

interface Harness {
  h: AlertHandling;
  db: DB;
  audit: AuditTrail;
  clock: { now: number };
  live: Alert[];
  braked: Set<string>;
}
const open: DB[] = [];
function harness(file = ':memory:', clock = { now: T0 }, live: Alert[] = []): Harness {
  const db = openControlDb(file);
  open.push(db);
  const audit = new AuditTrail(db);
  const braked = new Set<string>();
  const h = new AlertHandling({ store: alertState(db), audit, topology, brakedRows: () => braked, now: () => clock.now, activeAlerts: () => live });
  return { h, db, audit, clock, live, braked };
}
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

describe('silence matchers', () => {
  it('exact or trailing-* prefix; null never matches', () => {
    expect(matchValue('rowPower90', 'rowPower90')).toBe(true);
    expect(matchValue('rowPower', 'rowPower90')).toBe(false);
    expect(matchValue('rowPower*', 'rowPower90')).toBe(true);
    expect(matchValue('rowPower*', 'gpuNearSlowdown')).toBe(false);
    expect(matchValue('*', 'anything')).toBe(true);
    expect(matchValue('*', null)).toBe(false);
    expect(matchValue('D', null)).toBe(false);
  });
});

describe('acknowledgement', () => {
  it('persists who and why, audits it, and lasts until the alert instance resolves', () => {
    const { h, audit, clock, live } = harness();
    const a = alert({ id: 'rowPower90:D' });
    live.push(a);
    clock.now = T0 + 5000;
    const acked = h.ack('rowPower90:D', '  looking at it ', ann);
    expect(acked.ack).toEqual({ by: 'ann', comment: 'looking at it', atMs: T0 + 5000 });
    expect(a.ack).toBeNull(); // the engine's object is untouched
    expect(h.decorate([a], clock.now)[0]!.ack).toMatchObject({ by: 'ann' });
    const [rec] = audit.list({ limit: 10 });
    expect(rec).toMatchObject({ kind: 'ack', actor: 'ann', role: 'operator', target: 'rowPower90:D', oldValue: 'unacknowledged', reason: 'looking at it', outcome: 'ok', simMs: T0 + 5000 });
    // Re-ack by someone else replaces it; the audit says whose ack it replaced.
    h.ack('rowPower90:D', 'taking over', bob);
    expect(h.decorate([a], clock.now)[0]!.ack).toMatchObject({ by: 'bob', comment: 'taking over' });
    expect(audit.list({ limit: 1 })[0]!.oldValue).toMatch(/^acknowledged by ann/);
    // The alert resolves; history still shows the ack of that instance.
    const resolved = { ...a, state: 'resolved' as const, resolvedAtMs: T0 + 60_000 };
    expect(h.decorate([resolved], clock.now)[0]!.ack).toMatchObject({ by: 'bob' });
    // The same rule and subject fire again later: a new instance, unacknowledged.
    const again = alert({ id: 'rowPower90:D', activeSinceMs: T0 + 120_000, firingSinceMs: T0 + 120_000 });
    expect(h.decorate([again], T0 + 120_000)[0]!.ack).toBeNull();
  });

  it('refuses an unknown or resolved alert, records nothing', () => {
    const { h, audit, live } = harness();
    live.push(alert({ id: 'rowPower90:D', state: 'resolved', resolvedAtMs: T0 }));
    expect(() => h.ack('nope:X', '', ann)).toThrow(RefusalError);
    expect(() => h.ack('rowPower90:D', '', ann)).toThrow(/no active alert "rowPower90:D"/);
    expect(audit.count()).toBe(0);
  });

  it('without an activeAlerts source, checks against the last active list decorate saw', () => {
    const db = openControlDb(':memory:');
    open.push(db);
    let changes = 0;
    const h = new AlertHandling({ store: alertState(db), audit: new AuditTrail(db), topology, brakedRows: () => new Set(), now: () => T0, onChange: () => changes++ });
    const a = alert({ id: 'rowPower90:D' });
    const b = alert({ id: 'rowPower90:A', row: 'A' });
    h.decorate([a, b], T0);
    h.ack(a.id, '', ann);
    h.ack(b.id, '', ann); // acking returns one decorated alert without narrowing what is known to be active
    h.decorate([{ ...a, state: 'resolved', resolvedAtMs: T0 }], T0); // a history list does not replace it either
    h.ack(a.id, 'again', ann);
    expect(changes).toBe(3);
    h.decorate([], T0);
    expect(() => h.ack(a.id, '', ann)).toThrow(RefusalError);
    const s = h.silence({ matchers: [{ field: 'row', value: 'A' }], durationS: 60, comment: 'quiet' }, ann);
    h.unsilence(s.id, 'loud again', ann);
    expect(changes).toBe(5);
  });

  it('acks a pending alert too', () => {
    const { h, live } = harness();
    live.push(alert({ id: 'rowPower80:A', state: 'pending', firingSinceMs: null }));
    expect(h.ack('rowPower80:A', '', ann).ack?.by).toBe('ann');
  });

  it('survives a restart while the alert is still active, and is pruned once it resolved', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('control.db');
      const a = alert({ id: 'rowPower90:D' });
      const b = alert({ id: 'rowPower90:A' });
      const first = harness(file, { now: T0 + 1000 }, [a, b]);
      first.h.ack(a.id, 'known', ann);
      first.h.ack(b.id, 'known too', ann);
      first.db.close();
      // A new process: the engine's alert book is rebuilt, so the instance has a new activeSinceMs.
      const a2 = { ...a, activeSinceMs: T0 + 2000, firingSinceMs: T0 + 2000 };
      const second = harness(file, { now: T0 + 3000 }, [a2]);
      expect(second.h.decorate([a2], T0 + 3000)[0]!.ack).toMatchObject({ by: 'ann', comment: 'known' });
      // b never came back; an ack on another alert prunes b's row after the grace hour.
      second.clock.now = T0 + 2 * 3600_000;
      second.h.ack(a2.id, 'still known', ann);
      expect(second.db.prepare('SELECT alert_id FROM alert_acks').pluck().all()).toEqual(['rowPower90:D']);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('silences', () => {
  it('mute matching alerts until they expire; all matchers must match', () => {
    const { h, audit, clock } = harness();
    const d = alert({ id: 'rowPower90:D' });
    const a = alert({ id: 'rowPower90:A', row: 'A' });
    const gpu = gpuAlert(server0, 1, rowOfServer0);
    const s = h.silence({ matchers: [{ field: 'rule', value: 'rowPower*' }, { field: 'row', value: 'D' }], durationS: 600, comment: 'maintenance on D' }, ann);
    expect(s).toMatchObject({ createdBy: 'ann', startsAtMs: T0, endsAtMs: T0 + 600_000, comment: 'maintenance on D' });
    const out = h.decorate([d, a, gpu], T0 + 1000);
    expect(out.map((x) => x.silencedBy)).toEqual([s.id, null, null]);
    expect(d.silencedBy).toBeNull();
    expect(h.silences().map((x) => x.id)).toEqual([s.id]);
    expect(audit.list({ kind: 'silence', limit: 5 })[0]).toMatchObject({ target: s.id, actor: 'ann', reason: 'maintenance on D', newValue: expect.stringMatching(/^rule=rowPower\* row=D until 2026-01-01T00:10:00\.000Z/) });
    // Expired: no longer mutes, no longer listed.
    expect(h.decorate([d], T0 + 600_000)[0]!.silencedBy).toBeNull();
    clock.now = T0 + 600_000;
    expect(h.silences()).toEqual([]);
  });

  it('match severity, subject (prefix) and row; the silence ending last is named', () => {
    const { h } = harness();
    const gpu = gpuAlert(server0, 3, rowOfServer0, { severity: 'critical' });
    const short = h.silence({ matchers: [{ field: 'severity', value: 'critical' }], durationS: 60, comment: 'short one' }, ann);
    const long = h.silence({ matchers: [{ field: 'subject', value: `${server0.id}-*` }], durationS: 3600, comment: 'long one' }, ann);
    expect(h.decorate([gpu], T0 + 10)[0]!.silencedBy).toBe(long.id);
    h.unsilence(long.id, 'done with it', bob);
    expect(h.decorate([gpu], T0 + 10)[0]!.silencedBy).toBe(short.id);
    expect(h.decorate([gpu], T0 + 60_000)[0]!.silencedBy).toBeNull();
  });

  it('unsilence ends it early, is audited, and refuses an unknown or expired id', () => {
    const { h, audit, clock, db } = harness();
    const d = alert({ id: 'rowPower90:D' });
    const s = h.silence({ matchers: [{ field: 'row', value: 'D' }], durationS: 3600, comment: 'maintenance' }, ann);
    clock.now = T0 + 60_000;
    h.unsilence(s.id, 'maintenance done', bob);
    expect(h.decorate([d], clock.now)[0]!.silencedBy).toBeNull();
    expect(h.silences()).toEqual([]);
    expect(audit.list({ kind: 'unsilence', limit: 5 })[0]).toMatchObject({ target: s.id, actor: 'bob', role: 'admin', reason: 'maintenance done', oldValue: expect.stringMatching(/^row=D until/) });
    expect(db.prepare('SELECT ends_at_ms, removed_by FROM silences WHERE id = ?').get(s.id)).toEqual({ ends_at_ms: T0 + 60_000, removed_by: 'bob' });
    const n = audit.count();
    expect(() => h.unsilence(s.id, 'again', bob)).toThrow(RefusalError);
    expect(() => h.unsilence('sil-nope', 'why', bob)).toThrow(/no active silence "sil-nope"/);
    const e = h.silence({ matchers: [{ field: 'row', value: 'A' }], durationS: 60, comment: 'brief' }, ann);
    clock.now += 61_000;
    expect(() => h.unsilence(e.id, 'late', bob)).toThrow(RefusalError);
    expect(audit.count()).toBe(n + 1); // only the silence; refusals are audited by dispatch
  });

  it('refuses silences that would mute everything or nothing, and bad durations', () => {
    const { h, audit } = harness();
    const sil = (matchers: Array<{ field: 'rule' | 'severity' | 'subject' | 'row'; value: string }>, durationS = 600) => () => h.silence({ matchers, durationS, comment: 'because' }, ann);
    expect(sil([{ field: 'rule', value: '*' }])).toThrow(/narrow at least one/);
    expect(sil([{ field: 'rule', value: '*' }, { field: 'row', value: '*' }])).toThrow(RefusalError);
    expect(sil([{ field: 'severity', value: 'crit' }])).toThrow(/matches no severity/);
    expect(sil([{ field: 'row', value: 'Z' }])).toThrow(/matches no row/);
    expect(sil([])).toThrow(/bad matchers/);
    expect(sil([{ field: 'row', value: 'D' }], 0)).toThrow(/1 s … 7 days/);
    expect(sil([{ field: 'row', value: 'D' }], 8 * 24 * 3600)).toThrow(RefusalError);
    expect(() => h.silence({ matchers: [{ field: 'row', value: 'D' }], durationS: 60, comment: ' ' }, ann)).toThrow(/comment/);
    expect(sil([{ field: 'severity', value: 'crit*' }])).not.toThrow();
    expect(audit.count()).toBe(1);
  });

  it('persist across a restart; a silence from a clock that went back (restarted simulation) is not loaded', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('control.db');
      const first = harness(file, { now: T0 + 3600_000 });
      const s = first.h.silence({ matchers: [{ field: 'row', value: 'D' }], durationS: 7200, comment: 'long job' }, ann);
      first.db.close();
      const later = harness(file, { now: T0 + 2 * 3600_000 });
      expect(later.h.silences().map((x) => x.id)).toEqual([s.id]);
      expect(later.h.decorate([alert({ id: 'rowPower90:D' })], T0 + 2 * 3600_000)[0]!.silencedBy).toBe(s.id);
      later.db.close();
      const rewound = harness(file, { now: T0 });
      expect(rewound.h.silences()).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('acks and silences in control.db across a restart', () => {
  it('unsilencing one silence ends only that one; a new silence never prunes one still running', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('control.db');
      const first = harness(file, { now: T0 });
      const d = first.h.silence({ matchers: [{ field: 'row', value: 'D' }], durationS: 7200, comment: 'long job' }, ann);
      const a = first.h.silence({ matchers: [{ field: 'row', value: 'A' }], durationS: 7200, comment: 'other job' }, ann);
      first.clock.now = T0 + 60_000;
      first.h.silence({ matchers: [{ field: 'row', value: 'C' }], durationS: 60, comment: 'brief' }, ann);
      first.h.unsilence(a.id, 'done', bob);
      first.db.close();
      const later = harness(file, { now: T0 + 120_000 });
      expect(later.h.silences().map((x) => x.id)).toEqual([d.id]);
    } finally {
      tmp.cleanup();
    }
  });

  it('an ack from a clock that went back (restarted simulation) is not loaded', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('control.db');
      const a = alert({ id: 'rowPower90:D' });
      const first = harness(file, { now: T0 + 3600_000 }, [a]);
      first.h.ack(a.id, 'known', ann);
      first.db.close();
      const rewound = harness(file, { now: T0 }, [a]);
      expect(rewound.h.decorate([a], T0)[0]!.ack).toBeNull();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('inhibition and grouping', () => {
  it("a braked row mutes its per-GPU alerts, not other rows' nor row-level ones", () => {
    const { h, braked } = harness();
    const hot = gpuAlert(server0, 1, rowOfServer0);
    const other = gpuAlert(lastServer, 1, rowOfLast);
    const rowAlert = alert({ id: `rowPower100:${rowOfServer0}`, severity: 'critical' });
    expect(rowOfServer0).not.toBe(rowOfLast);
    expect(h.decorate([hot, other, rowAlert], T0).map((a) => a.inhibitedBy)).toEqual([null, null, null]);
    braked.add(rowOfServer0);
    const out = h.decorate([hot, other, rowAlert], T0);
    expect(out.map((a) => a.inhibitedBy)).toEqual([brakeInhibitorId(rowOfServer0), null, null]);
    expect(hot.inhibitedBy).toBeNull();
    braked.clear();
    expect(h.decorate([hot], T0)[0]!.inhibitedBy).toBeNull();
  });

  it('fills the row from the topology when the engine left it null, so grouping and inhibition work', () => {
    const { h, braked } = harness();
    braked.add(rowOfLast);
    const noRow = gpuAlert(lastServer, 2, null);
    const rack = alert({ id: `rackHot:${topology.racks[0]!.id}`, subject: { kind: 'rack', id: topology.racks[0]!.id }, row: null });
    const src = alert({ id: 'sourceStale:sim', subject: { kind: 'source', id: 'sim' }, row: null, severity: 'critical' });
    const [g, r, s] = h.decorate([noRow, rack, src], T0);
    expect(g).toMatchObject({ row: rowOfLast, inhibitedBy: brakeInhibitorId(rowOfLast) });
    expect(r!.row).toBe(topology.rows[topology.racks[0]!.row]!.id);
    expect(s).toMatchObject({ row: null, inhibitedBy: null });
  });

  it('silences match on the filled-in row', () => {
    const { h } = harness();
    const s = h.silence({ matchers: [{ field: 'row', value: rowOfLast }], durationS: 600, comment: 'row work' }, ann);
    expect(h.decorate([gpuAlert(lastServer, 1, null)], T0 + 1)[0]!.silencedBy).toBe(s.id);
  });
});

describe('audit in the same transaction', () => {
  it('an audit failure leaves no ack or silence behind', () => {
    const db = openControlDb(':memory:');
    open.push(db);
    const live = [alert({ id: 'rowPower90:D' })];
    const failing = { append: () => { throw new Error('disk full'); } };
    const h = new AlertHandling({ store: alertState(db), audit: failing, topology, brakedRows: () => new Set(), now: () => T0, activeAlerts: () => live });
    expect(() => h.ack('rowPower90:D', 'x', ann)).toThrow(/disk full/);
    expect(() => h.silence({ matchers: [{ field: 'row', value: 'D' }], durationS: 60, comment: 'why not' }, ann)).toThrow(/disk full/);
    expect(db.prepare('SELECT count(*) FROM alert_acks').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM silences').pluck().get()).toBe(0);
    expect(h.decorate(live, T0)[0]).toMatchObject({ ack: null, silencedBy: null });
    expect(h.silences()).toEqual([]);
  });
});
