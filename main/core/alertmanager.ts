import type { Alert } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import { serverIdOfGpuName } from '../../shared/naming.js';

/**
 * Headroom's alerts as Prometheus Alertmanager's v2 "postable alerts" (`POST /api/v2/alerts`), pure: the sender in
 * main/node/alertmanager.ts does the HTTP, the timers and the memory of what was firing.
 *
 * Rules:
 * - **What is sent**: `firing` alerts, and `resolved` ones (the sender passes an alert once it has left the active
 *   list, with `resolvedAtMs` set). `pending` alerts are never sent: they have not met their rule's `forS` yet.
 * - **Labels** (an alert's identity in Alertmanager: the same labels are the same alert): `alertname` and `rule` (the
 *   rule id), `site` (the topology's site id), `severity`, `subject_kind`, `subject`, and where the topology knows
 *   them `row`, `rack`, `server`, `gpu` (a GPU is named "<server>-G<n>"). Only values that never change while the
 *   alert lasts are labels; an empty or unknown value is left out, never sent as "".
 * - **Annotations**: `summary`, `value` (with its unit, "88.8 %"), `acknowledged_by` (and `ack_comment`) once an
 *   operator acknowledged it, `silenced_by` (the Headroom silence's id) or `inhibited_by` (the inhibiting alert's id).
 * - **Silenced and inhibited alerts are still sent**, marked by those annotations: Alertmanager routes and silences
 *   on its own (its receivers may want them, and its silences are its operators' to set), and dropping one would make
 *   Alertmanager expire it and announce it "resolved" while it still fires. To mute one there, silence it in
 *   Alertmanager too (match on `alertname`, `row`, …).
 * - **Times** are Alertmanager's clock (epoch ms → ISO 8601): every engine time is shifted by `offsetMs`
 *   (Alertmanager's clock − the engine's), so that a simulator running on its own calendar (2026-01-01, at any speed)
 *   sends times that are right relative to now; on a real fleet the shift is under one tick. `startsAt` is
 *   `firingSinceMs`; `endsAt` is `resolvedAtMs` for a resolved alert, and for a firing one `expiresAtMs`: the sender
 *   gives its wall clock + EXPIRY_RESENDS re-send intervals, so Alertmanager resolves the alert by itself when
 *   Headroom stops sending (it died, or lost the network). `endsAt` is never before `startsAt`.
 * - **generatorURL**: `generatorBase` (an absolute http(s) URL, the console's address) + `#/alerts?id=<alert id>`; the
 *   base's credentials, query and fragment are dropped (a console URL carries its access token in the query, which
 *   must never leave for Alertmanager). Without a base (or with one that does not parse) the field is left out.
 */

/** One alert as `POST /api/v2/alerts` takes it (Alertmanager's `postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** Where a subject sits on the floor, as far as the topology knows. */
export interface Place {
  row?: string;
  rack?: string;
  server?: string;
  gpu?: string;
}

export type PlaceOf = (subject: Alert['subject']) => Place;

/** A firing alert expires in Alertmanager after this many re-send intervals without being sent again. */
export const EXPIRY_RESENDS = 4;

export interface PostContext {
  /** The site label (the topology's site id). */
  site: string;
  /** The engine clock of the alert list (epoch ms): a resolved alert without its own `resolvedAtMs` ends here. */
  nowMs: number;
  /** Alertmanager's clock minus the engine's (ms), added to every engine time sent. */
  offsetMs: number;
  /** `endsAt` of a firing alert, on Alertmanager's clock (epoch ms): when it expires unless it is sent again. */
  expiresAtMs: number;
  /** The console's address, for `generatorURL`; absent: no generatorURL. */
  generatorBase?: string;
  /** Row, rack, server and GPU of a subject (`topologyPlaces`); absent: only the alert's own `row`. */
  placeOf?: PlaceOf;
}

/**
 * Rows, racks, servers and GPUs of a topology by id: a row subject gives its row, a rack its row, a server its rack
 * and row, a GPU ("<server>-G<n>") its server, rack and row. Ids the topology does not hold give nothing beyond the
 * subject's own id for its kind.
 */
export function topologyPlaces(t: Pick<Topology, 'rows' | 'racks' | 'servers'>): PlaceOf {
  const rowIds = new Set(t.rows.map((r) => r.id));
  const rackPlace = new Map<string, Place>();
  for (const rack of t.racks) rackPlace.set(rack.id, { row: t.rows[rack.row]?.id, rack: rack.id });
  const serverPlace = new Map<string, Place>();
  for (const s of t.servers) serverPlace.set(s.id, { ...(t.racks[s.rack] ? rackPlace.get(t.racks[s.rack]!.id) : {}), server: s.id });
  return (subject) => {
    switch (subject.kind) {
      case 'row':
        return rowIds.has(subject.id) ? { row: subject.id } : {};
      case 'rack':
        return { ...rackPlace.get(subject.id), rack: subject.id };
      case 'server':
        return { ...serverPlace.get(subject.id), server: subject.id };
      case 'gpu': {
        const server = serverIdOfGpuName(subject.id);
        return { ...(server !== null ? serverPlace.get(server) : undefined), gpu: subject.id };
      }
      default:
        return {};
    }
  };
}

/** The alerts Alertmanager is told about (firing and resolved; pending ones are skipped), in the order given. */
export function toPostableAlerts(alerts: readonly Alert[], ctx: PostContext): PostableAlert[] {
  const out: PostableAlert[] = [];
  for (const a of alerts) {
    if (a.state === 'firing' || a.state === 'resolved') out.push(toPostableAlert(a, ctx));
  }
  return out;
}

/** One alert (whatever its state: callers filter with `toPostableAlerts`). */
export function toPostableAlert(a: Alert, ctx: PostContext): PostableAlert {
  const startMs = (a.firingSinceMs ?? a.activeSinceMs) + ctx.offsetMs;
  const endMs = a.state === 'resolved' ? (a.resolvedAtMs ?? ctx.nowMs) + ctx.offsetMs : ctx.expiresAtMs;
  const generatorURL = ctx.generatorBase !== undefined ? alertURL(ctx.generatorBase, a.id) : null;
  return {
    labels: alertLabels(a, ctx.site, ctx.placeOf),
    annotations: alertAnnotations(a),
    startsAt: iso(startMs),
    endsAt: iso(Math.max(endMs, startMs)),
    ...(generatorURL !== null ? { generatorURL } : {}),
  };
}

/** The labels of an alert (its identity in Alertmanager): see the module's rules. */
export function alertLabels(a: Alert, site: string, placeOf?: PlaceOf): Record<string, string> {
  const place = placeOf?.(a.subject) ?? {};
  const labels: Array<[string, string | null | undefined]> = [
    ['alertname', a.rule],
    ['site', site],
    ['rule', a.rule],
    ['severity', a.severity],
    ['subject_kind', a.subject.kind],
    ['subject', a.subject.id],
    ['row', a.row ?? place.row],
    ['rack', place.rack],
    ['server', place.server],
    ['gpu', place.gpu],
  ];
  return Object.fromEntries(labels.filter((l): l is [string, string] => typeof l[1] === 'string' && l[1] !== ''));
}

/** Summary, value with unit, and Headroom's handling (ack, silence, inhibition). */
export function alertAnnotations(a: Alert): Record<string, string> {
  const ann: Record<string, string> = {
    summary: a.summary,
    value: a.unit ? `${a.value} ${a.unit}` : String(a.value),
  };
  if (a.ack) {
    ann.acknowledged_by = a.ack.by;
    if (a.ack.comment) ann.ack_comment = a.ack.comment;
  }
  if (a.silencedBy) ann.silenced_by = a.silencedBy;
  if (a.inhibitedBy) ann.inhibited_by = a.inhibitedBy;
  return ann;
}

/** `<base without query and fragment>#/alerts?id=<id>`, or null when the base is not an absolute http(s) URL. */
export function alertURL(base: string, id: string): string | null {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  // Credentials, query and fragment stay here: a console URL carries its token in the query.
  return `${u.protocol}//${u.host}${u.pathname}#/alerts?id=${encodeURIComponent(id)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
