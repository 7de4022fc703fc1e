import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SilenceMatcherSchema, type Ack, type Actor, type Silence } from '../../shared/domain/control.js';
import type { Alert, Severity } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { AlertRule } from '../../shared/domain/alerts.js';
import { alertGroupKey } from '../../shared/domain/alertGroups.js';
import { RefusalError, type AlertOps, type AlertState, type AuditSink } from '../core/ports.js';

type Matcher = Silence['matchers'][number];

export interface AlertHandlingDeps {
  /** Where acks and silences persist (control.db in the app). */
  store: AlertState;
  audit: AuditSink;
  topology: Topology;
  /** Rows whose power brake is engaged now. */
  brakedRows: () => ReadonlySet<string>;
  /** Engine time (epoch ms): the clock alerts, acks and silences share. */
  now: () => number;
  /**
   * The engine's current alerts, undecorated (`activeAlerts(engine.alerts)`), to check that an acked alert exists.
   * Without it, the last active list `decorate` saw is used.
   */
  activeAlerts?: () => readonly Alert[];
  /** Called after an ack, silence or unsilence is committed (e.g. re-emit `alerts:changed`: decorations changed). */
  onChange?: () => void;
  /** Another inhibitor (e.g. a failed plant device mutes the row-power alerts it causes: plantInhibitor). */
  inhibitor?: (a: Alert, row: string | null) => string | null;
}

/**
 * Alertmanager-style inhibition by the plant: while a device is out by failure, the power alerts (rules of kind
 * rowPower) of the rows whose budget it lowered are muted, `inhibitedBy` = `plantOut:<device>` — the operator sees the
 * cause, not its consequences; they come back, or resolve, when the device does.
 */
export function plantInhibitor(plantOut: () => readonly { device: string; rows: readonly string[] }[], rules: readonly AlertRule[]): (a: Alert, row: string | null) => string | null {
  const rowPower = new Set(rules.filter((r) => r.kind === 'rowPower').map((r) => r.id));
  return (a, row) => {
    if (a.subject.kind !== 'row' || row === null || !rowPower.has(a.rule)) return null;
    const p = plantOut().find((x) => x.rows.includes(row));
    return p ? `plantOut:${p.device}` : null;
  };
}

/** Longest silence (s); the contract allows the same. */
export const MAX_SILENCE_S = 7 * 24 * 3600;
/** Acks of resolved alert instances kept in memory for the history list. */
const ACK_HISTORY = 2000;
/** Ended silences are kept in control.db this long (ms of engine time), then pruned. */
const SILENCE_KEEP_MS = 30 * 24 * 3600_000;
/** An ack persisted by an earlier run is kept this long (engine time since the ack) for its alert to come back. */
const UNBOUND_GRACE_MS = 3600_000;

/** The id that `inhibitedBy` names while a row's brake is engaged (alert-id style: rule "rowBrake", subject row). */
export function brakeInhibitorId(row: string): string {
  return `rowBrake:${row}`;
}

/** Exact match, or a prefix match when the value ends in "*" (a bare "*" matches any non-null value). */
export function matchValue(pattern: string, value: string | null): boolean {
  if (value === null) return false;
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

function fieldOf(a: Alert, field: Matcher['field']): string | null {
  switch (field) {
    case 'rule':
      return a.rule;
    case 'severity':
      return a.severity;
    case 'subject':
      return a.subject.id;
    case 'row':
      return a.row;
  }
}

/** True when every matcher matches the alert. */
export function silenceMatches(s: Pick<Silence, 'matchers'>, a: Alert): boolean {
  return s.matchers.every((m) => matchValue(m.value, fieldOf(a, m.field)));
}

export function describeMatchers(ms: readonly Matcher[]): string {
  return ms.map((m) => `${m.field}=${m.value}`).join(' ');
}

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));
const instanceKey = (id: string, activeSinceMs: number) => `${id}@${activeSinceMs}`;

const MatchersSchema = z.array(SilenceMatcherSchema).min(1).max(10);
const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/**
 * Operator handling of alerts, Alertmanager-style plus acknowledgements:
 * - **ack**: who and why, per alert instance (id + when it became active); it lasts until that instance resolves
 *   (a new instance of the same rule and subject starts unacknowledged). Persisted; after a restart an ack binds
 *   to the first instance of its alert id seen (the engine's alert book itself is not persisted).
 * - **silences**: matchers on rule / severity / subject / row (exact, or trailing "*" prefix), all must match;
 *   time-boxed on the engine clock; persisted; unsilence ends one early.
 * - **inhibition**: while a row's power brake is engaged, its per-GPU alerts (temperature / throttle, the brake's
 *   expected consequences) are muted, `inhibitedBy` = `rowBrake:<row>`; a failed plant device mutes the power alerts
 *   of the rows it lowered (plantInhibitor).
 * - **grouping**: `row` is filled from the topology where the engine left it null.
 * Every ack, silence and unsilence writes an audit record in the same transaction as its state. Refusals throw
 * RefusalError; dispatch audits them.
 */
export class AlertHandling implements AlertOps {
  private readonly d: AlertHandlingDeps;
  /** Acks by alert instance, oldest first (bounded: resolved instances stay for the history list). */
  private readonly acks = new Map<string, Ack & { activeSinceMs: number }>();
  /** Acks loaded from control.db, not yet matched to an alert instance in this process. */
  private readonly unbound = new Map<string, Ack & { activeSinceMs: number }>();
  /** Active (or future) silences by id. */
  private readonly active = new Map<string, Silence>();
  private readonly rowOfRack = new Map<string, string>();
  private readonly rowOfServer = new Map<string, string>();
  private readonly rowIds: ReadonlySet<string>;
  private lastActive: readonly Alert[] = [];

  constructor(deps: AlertHandlingDeps) {
    this.d = deps;
    const t = deps.topology;
    this.rowIds = new Set(t.rows.map((r) => r.id));
    for (const rack of t.racks) this.rowOfRack.set(rack.id, t.rows[rack.row]!.id);
    for (const s of t.servers) this.rowOfServer.set(s.id, t.rows[t.racks[s.rack]!.row]!.id);
    this.load();
  }

  private load(): void {
    const now = this.d.now();
    // Acks or silences made after "now" come from a clock that has since gone back (a restarted simulation):
    // they belong to another timeline and are not loaded.
    for (const r of this.d.store.acksUpTo(now)) this.unbound.set(r.alertId, { ...r });
    for (const r of this.d.store.silencesActiveAt(now)) {
      let raw: unknown;
      try {
        raw = JSON.parse(r.matchersJson);
      } catch {
        continue;
      }
      const m = MatchersSchema.safeParse(raw);
      if (!m.success) continue;
      this.active.set(r.id, { id: r.id, matchers: m.data, createdBy: r.createdBy, comment: r.comment, startsAtMs: r.startsAtMs, endsAtMs: r.endsAtMs });
    }
  }

  private currentAlerts(): readonly Alert[] {
    return this.d.activeAlerts ? this.d.activeAlerts() : this.lastActive;
  }

  /** Row of an alert's subject from the topology (rows, racks, servers, GPUs named "<server>-G<n>"). */
  rowOf(a: Pick<Alert, 'row' | 'subject'>): string | null {
    if (a.row !== null) return a.row;
    const id = a.subject.id;
    switch (a.subject.kind) {
      case 'row':
        return this.rowIds.has(id) ? id : null;
      case 'rack':
        return this.rowOfRack.get(id) ?? null;
      case 'gpu':
        return this.rowOfServer.get(id.replace(/-G\d+$/, '')) ?? null;
      default:
        return null;
    }
  }

  ack(alertId: string, comment: string, actor: Actor): Alert {
    const alert = this.currentAlerts().find((a) => a.id === alertId && a.state !== 'resolved');
    if (!alert) throw new RefusalError(`no active alert "${alertId}" (unknown, or already resolved)`);
    const now = this.d.now();
    const key = instanceKey(alert.id, alert.activeSinceMs);
    const prev = this.acks.get(key) ?? this.unbound.get(alert.id);
    const ack: Ack & { activeSinceMs: number } = { alertId: alert.id, by: actor.user, comment: comment.trim(), atMs: now, activeSinceMs: alert.activeSinceMs };
    this.d.store.transaction(() => {
        this.d.store.upsertAck(ack);
        this.d.audit.append(
          {
            actor,
            kind: 'ack',
            target: alert.id,
            oldValue: prev ? `acknowledged by ${prev.by} at ${iso(prev.atMs)}` : 'unacknowledged',
            newValue: `acknowledged (${alert.state} since ${iso(alert.firingSinceMs ?? alert.activeSinceMs)})`,
            reason: ack.comment,
            outcome: 'ok',
          },
          now,
        );
      });
    this.unbound.delete(alert.id);
    this.acks.delete(key);
    this.acks.set(key, ack);
    this.trimAcks();
    this.pruneAckRows(now);
    this.d.onChange?.();
    return this.decorateList([alert], now)[0]!;
  }

  /**
   * Acknowledge a whole group (rule × row, `alertGroupKey`): every active member not acknowledged yet, with one audit
   * record naming the group and how many it took. Refused when the group has no such member.
   */
  ackGroup(group: string, comment: string, actor: Actor): Alert[] {
    const now = this.d.now();
    const members = this.currentAlerts().filter((a) => a.state !== 'resolved' && alertGroupKey({ rule: a.rule, row: this.rowOf(a) }) === group && !this.acks.has(instanceKey(a.id, a.activeSinceMs)));
    if (members.length === 0) throw new RefusalError(`no unacknowledged alert in group "${group}" (unknown, resolved or already acknowledged)`);
    const acks = members.map((a) => ({ alertId: a.id, by: actor.user, comment: comment.trim(), atMs: now, activeSinceMs: a.activeSinceMs }));
    this.d.store.transaction(() => {
      for (const k of acks) this.d.store.upsertAck(k);
      this.d.audit.append(
        {
          actor,
          kind: 'ack',
          target: `group ${group}`,
          oldValue: `${members.length} unacknowledged`,
          newValue: `acknowledged ${members.length} alert${members.length === 1 ? '' : 's'}: ${members.slice(0, 5).map((a) => a.subject.id).join(', ')}${members.length > 5 ? ' …' : ''}`,
          reason: comment.trim(),
          outcome: 'ok',
        },
        now,
      );
    });
    for (const k of acks) {
      this.unbound.delete(k.alertId);
      this.acks.set(instanceKey(k.alertId, k.activeSinceMs), k);
    }
    this.trimAcks();
    this.pruneAckRows(now);
    this.d.onChange?.();
    return this.decorateList(members, now);
  }

  private trimAcks(): void {
    while (this.acks.size > ACK_HISTORY) this.acks.delete(this.acks.keys().next().value!);
  }

  /**
   * Drop persisted acks of alerts no longer active (their instance resolved), keeping control.db bounded. Acks
   * loaded from an earlier run get an hour (engine time) for their alert to come back first.
   */
  private pruneAckRows(now: number): void {
    const live = new Set(this.currentAlerts().map((a) => a.id));
    const ids = this.d.store.ackIds();
    const stale = ids.filter((id) => !live.has(id) && !((this.unbound.get(id)?.atMs ?? -Infinity) > now - UNBOUND_GRACE_MS));
    if (stale.length === 0) return;
    this.d.store.deleteAcks(stale);
    for (const id of stale) this.unbound.delete(id);
  }

  silence(req: { matchers: Silence['matchers']; durationS: number; comment: string }, actor: Actor): Silence {
    const parsed = MatchersSchema.safeParse(req.matchers);
    if (!parsed.success) throw new RefusalError(`bad matchers: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const matchers = parsed.data;
    if (matchers.every((m) => m.value === '*')) {
      throw new RefusalError('a silence must narrow at least one of rule, severity, subject or row (a bare "*" matches every alert)');
    }
    for (const m of matchers) {
      if (m.field === 'severity' && !SEVERITIES.some((s) => matchValue(m.value, s))) {
        throw new RefusalError(`severity "${m.value}" matches no severity (info, warning, critical)`);
      }
      if (m.field === 'row' && ![...this.rowIds].some((r) => matchValue(m.value, r))) {
        throw new RefusalError(`row "${m.value}" matches no row of this site (${[...this.rowIds].join(', ')})`);
      }
    }
    if (!(Number.isFinite(req.durationS) && req.durationS >= 1 && req.durationS <= MAX_SILENCE_S)) {
      throw new RefusalError(`a silence lasts 1 s … 7 days, got ${req.durationS} s`);
    }
    const comment = req.comment.trim();
    if (comment.length < 3) throw new RefusalError('a silence needs a comment (why) of at least 3 characters');
    const now = this.d.now();
    const s: Silence = {
      id: `sil-${randomBytes(6).toString('hex')}`,
      matchers,
      createdBy: actor.user,
      comment,
      startsAtMs: now,
      endsAtMs: now + Math.round(req.durationS * 1000),
    };
    this.d.store.transaction(() => {
        this.d.store.pruneSilences(now - SILENCE_KEEP_MS);
        this.d.store.insertSilence(s);
        this.d.audit.append(
          {
            actor,
            kind: 'silence',
            target: s.id,
            oldValue: '',
            newValue: `${describeMatchers(matchers)} until ${iso(s.endsAtMs)} (${req.durationS} s)`,
            reason: comment,
            outcome: 'ok',
          },
          now,
        );
      });
    this.active.set(s.id, s);
    this.d.onChange?.();
    return { ...s, matchers: matchers.map((m) => ({ ...m })) };
  }

  unsilence(id: string, reason: string, actor: Actor): void {
    const now = this.d.now();
    this.expire(now);
    const s = this.active.get(id);
    if (!s) throw new RefusalError(`no active silence "${id}" (unknown, expired or already removed)`);
    this.d.store.transaction(() => {
        this.d.store.endSilence(id, now, actor.user, reason);
        this.d.audit.append(
          {
            actor,
            kind: 'unsilence',
            target: id,
            oldValue: `${describeMatchers(s.matchers)} until ${iso(s.endsAtMs)}`,
            newValue: `ended at ${iso(now)}`,
            reason,
            outcome: 'ok',
          },
          now,
        );
      });
    this.active.delete(id);
    this.d.onChange?.();
  }

  /** Silences in effect now, ending soonest first. */
  silences(): Silence[] {
    const now = this.d.now();
    this.expire(now);
    return [...this.active.values()]
      .filter((s) => s.startsAtMs <= now)
      .sort((a, b) => a.endsAtMs - b.endsAtMs)
      .map((s) => ({ ...s, matchers: s.matchers.map((m) => ({ ...m })) }));
  }

  private expire(now: number): void {
    for (const [id, s] of this.active) if (s.endsAtMs <= now) this.active.delete(id);
  }

  /**
   * Copies of `alerts` with row, ack, silencedBy and inhibitedBy set (the engine's objects are not touched).
   * Resolved alerts (history) get their instance's ack and no muting.
   */
  decorate(alerts: Alert[], nowMs: number): Alert[] {
    if (!alerts.some((a) => a.state === 'resolved')) this.lastActive = alerts;
    return this.decorateList(alerts, nowMs);
  }

  private decorateList(alerts: readonly Alert[], nowMs: number): Alert[] {
    const silences = [...this.active.values()].filter((s) => s.startsAtMs <= nowMs && nowMs < s.endsAtMs).sort((a, b) => b.endsAtMs - a.endsAtMs);
    const braked = this.d.brakedRows();
    return alerts.map((a) => {
      const row = this.rowOf(a);
      const ack = this.ackOf(a);
      if (a.state === 'resolved') return { ...a, row, ack, silencedBy: null, inhibitedBy: null };
      const silencedBy = silences.find((s) => silenceMatches(s, { ...a, row }))?.id ?? null;
      const inhibitedBy = a.subject.kind === 'gpu' && row !== null && braked.has(row) ? brakeInhibitorId(row) : (this.d.inhibitor?.(a, row) ?? null);
      return { ...a, row, ack, silencedBy, inhibitedBy };
    });
  }

  private ackOf(a: Alert): Alert['ack'] {
    const key = instanceKey(a.id, a.activeSinceMs);
    let k = this.acks.get(key);
    if (!k && a.state !== 'resolved') {
      // An ack persisted by an earlier run binds to the first live instance of its alert seen in this one.
      const u = this.unbound.get(a.id);
      if (u) {
        this.unbound.delete(a.id);
        k = { ...u, activeSinceMs: a.activeSinceMs };
        this.acks.set(key, k);
        this.trimAcks();
      }
    }
    return k ? { by: k.by, comment: k.comment, atMs: k.atMs } : null;
  }
}
