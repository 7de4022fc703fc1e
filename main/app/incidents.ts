import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Actor, AuditRecord, PolicyConfig } from '../../shared/domain/control.js';
import type { SavedIncident } from '../../shared/domain/history.js';
import { RefusalError, type AuditApi, type AuditSink, type IncidentApi } from '../core/ports.js';
import { packageVersion } from '../node/packageInfo.js';
import { auditRecords } from '../store/audit.js';
import type { DB } from '../store/db.js';
import { eventWindow } from '../store/history.js';
import { addAnnotation, annotationsOf, RECORDED_RUN, recordingMeta, writeRecording } from '../store/recording.js';
import { getRun } from '../store/runs.js';
import { queryRange } from '../store/telemetry.js';
import { incidentHtml, type IncidentData } from './incidentReport.js';

/** A short line for an event's body ("stage t2", "budget 300 kW"). */
export function eventText(kind: string, body: Record<string, unknown>): string {
  if (kind === 'budget') return typeof body.budgetKW === 'number' ? `${Math.round(body.budgetKW * 10) / 10} kW` : '—';
  if (kind === 'stage') return `${String(body.stage)}${body.deepLock === true ? ', deep lock' : ''}${typeof body.shedServers === 'number' ? `, shed ${body.shedServers} servers (recommended)` : ''}`;
  if (kind === 'playbook') return body.playbook === null ? 'none active' : String(body.playbook);
  return Object.entries(body)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

const isoMin = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * The incident report's data for a window of a run held in `db` (a telemetry.db or a recording: same tables):
 * per-row power with the budgets in force (the one before the window included), the events inside the window, and
 * the given audit records as actions.
 */
export function incidentData(
  db: DB,
  run: number,
  fromMs: number,
  toMs: number,
  o: { title?: string; facts: Array<[string, string]>; notes: string; audit: readonly AuditRecord[] },
): IncidentData {
  const info = getRun(db, run);
  if (!info) throw new RefusalError(`no run ${run} to report on`);
  const rowIds = info.topology.rows.map((r) => r.id);
  const series = queryRange(db, run, { scope: 'row', fromMs, toMs: toMs + 1, resS: 10 }, rowIds);
  const w = eventWindow(db, run, { fromMs, toMs: toMs + 1 }, rowIds);
  const budgets = [...w.budgetsBefore, ...w.events.filter((e) => e.kind === 'budget')];
  return {
    title: o.title ?? `Incident: ${info.topology.site?.name ?? info.label}, ${isoMin(fromMs)} UTC`,
    facts: o.facts,
    notes: o.notes,
    rows: rowIds.map((id, i) => ({
      id,
      tMs: series.tMs,
      avgKW: series.avgKW[i] ?? [],
      maxKW: series.maxKW[i] ?? [],
      budgets: budgets.filter((e) => e.subject === id && typeof e.body.budgetKW === 'number').map((e) => ({ tMs: e.tMs, budgetKW: e.body.budgetKW as number })),
    })),
    events: w.events.map((e) => ({ tMs: e.tMs, kind: e.kind, subject: e.subject, text: eventText(e.kind, e.body) })),
    actions: o.audit.map((a) => ({ ...a, change: a.oldValue || a.newValue ? `${a.oldValue || '—'} → ${a.newValue || '—'}` : '' })),
  };
}

/** A recording's whole window as the incident report (HTML), for the CLI and a console playing it. */
export function recordingReportHtml(db: DB, file: string, bytes: number): { fileName: string; html: string } {
  const run = getRun(db, RECORDED_RUN);
  if (!run || run.t0Ms === null || run.t1Ms === null) throw new RefusalError(`${basename(file)}: holds no telemetry`);
  const m = recordingMeta(db);
  const durationS = (run.t1Ms - run.t0Ms) / 1000;
  const data = incidentData(db, RECORDED_RUN, run.t0Ms, run.t1Ms, {
    ...(typeof m.title === 'string' && m.title ? { title: m.title } : {}),
    facts: [
      ['source', `${run.kind} (${run.label})`],
      ['window', `${new Date(run.t0Ms).toISOString()} → ${new Date(run.t1Ms).toISOString()} (${durationS} s)`],
      ['fleet', `${run.gpus} GPUs in ${run.topology.rows.length} rows`],
      ['recorded by', `${String(m.author ?? 'unknown')} at ${String(m.recordedAt ?? '—')}, Headroom ${String(m.appVersion ?? '?')}`],
      ...(typeof m.reason === 'string' && m.reason ? [['saved because', m.reason] as [string, string]] : []),
      ['file', `${basename(file)} (${bytes.toLocaleString('en-US')} bytes, schema ${String(db.pragma('user_version', { simple: true }))})`],
    ],
    notes: typeof m.notes === 'string' ? m.notes : '',
    audit: auditRecords(db),
  });
  // The notes and bookmarks written on it (its notes copy's), on the timeline with the events.
  const notes = annotationsOf(file, db).items.map((a) => ({ tMs: a.tMs, kind: a.kind, subject: a.author, text: a.text }));
  data.events = [...data.events, ...notes].sort((x, y) => x.tMs - y.tMs);
  return { fileName: `${basename(file).replace(/\.headroom$/, '')}.html`, html: incidentHtml(data, run.t0Ms, run.t1Ms) };
}

export interface IncidentDeps {
  /** The live run's telemetry.db (file, and a read connection) and run id; null without storage. */
  store: { file: string; db: DB; run: number; idle: () => Promise<void> } | null;
  /** Where recordings go: `<data folder>/recordings`. */
  dir: string | null;
  controlFile: string | null;
  /** The recording this console plays (reports, notes; saving is refused by the read-only handlers), and its span. */
  recording: { file: string; db: DB; bytes: number; t0Ms: number; t1Ms: number } | null;
  policy: () => PolicyConfig;
  audit: AuditApi & AuditSink;
  nowMs: () => number;
}

/** A file name from a title: lower case, dashes, at most 48 characters. */
export function slug(title: string): string {
  return (
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'incident'
  );
}

/** Save incident… and the HTML report, for the faces. */
export function createIncidents(d: IncidentDeps): IncidentApi {
  return {
    async save(p, actor: Actor): Promise<SavedIncident> {
      const s = d.store;
      if (!s || !d.dir) throw new RefusalError('this console stores no telemetry (started without a data folder): there is nothing to save');
      const run = getRun(s.db, s.run);
      if (!run || run.t0Ms === null) throw new RefusalError('nothing stored yet in this run');
      // Everything handed to the store so far is committed before the copy reads it.
      await s.idle();
      const fresh = getRun(s.db, s.run)!;
      const fromMs = Math.max(p.fromMs, fresh.t0Ms!);
      const toMs = Math.min(p.toMs, fresh.t1Ms ?? p.toMs);
      if (!(toMs > fromMs)) throw new RefusalError(`the run holds nothing between ${new Date(p.fromMs).toISOString()} and ${new Date(p.toMs).toISOString()}`);
      mkdirSync(d.dir, { recursive: true });
      const stamp = new Date(fromMs).toISOString().slice(0, 19).replace(/[:]/g, '-');
      let out = resolve(join(d.dir, `${stamp}-${slug(p.title)}.headroom`));
      for (let k = 2; existsSync(out); k++) out = resolve(join(d.dir, `${stamp}-${slug(p.title)}-${k}.headroom`));
      const info = writeRecording({
        telemetry: s.db,
        run: s.run,
        fromMs,
        toMs,
        controlFile: d.controlFile,
        out,
        meta: { title: p.title, author: actor.user, notes: p.notes, reason: p.reason, appVersion: packageVersion(), policyName: 'headroom', policy: d.policy() },
      });
      d.audit.append({ actor, kind: 'incident', target: basename(out), oldValue: '', newValue: `${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()}`, reason: p.reason, outcome: 'ok' }, d.nowMs());
      return { file: out, name: basename(out), bytes: info.bytes, durationS: info.durationS, gpus: info.gpus };
    },
    report(p) {
      if (d.recording) return recordingReportHtml(d.recording.db, d.recording.file, d.recording.bytes);
      const s = d.store;
      if (!s) throw new RefusalError('this console stores no telemetry (started without a data folder): there is nothing to report on');
      if (p.fromMs === undefined || p.toMs === undefined) throw new RefusalError('a live console reports on a window: give fromMs and toMs');
      const run = getRun(s.db, s.run)!;
      const fromMs = p.fromMs;
      const toMs = p.toMs;
      const audit = d.audit.list({ limit: 5000 }).filter((a) => a.simMs >= fromMs && a.simMs <= toMs && a.atMs >= run.startedWallMs);
      const data = incidentData(s.db, s.run, fromMs, toMs, {
        facts: [
          ['source', `${run.kind} (${run.label}), live`],
          ['window', `${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()} (${(toMs - fromMs) / 1000} s)`],
          ['fleet', `${run.gpus} GPUs in ${run.topology.rows.length} rows`],
          ['Headroom', packageVersion()],
        ],
        notes: '',
        audit: audit.reverse(),
      });
      return { fileName: `incident-${new Date(fromMs).toISOString().slice(0, 16).replace(/[:]/g, '-')}.html`, html: incidentHtml(data, fromMs, toMs) };
    },
    notes() {
      const r = d.recording;
      if (!r) throw new RefusalError('notes and bookmarks belong to recordings: save an incident and open it');
      return annotationsOf(r.file, r.db);
    },
    annotate(p, actor) {
      const r = d.recording;
      if (!r) throw new RefusalError('notes and bookmarks belong to recordings: save an incident and open it');
      if (p.tMs < r.t0Ms || p.tMs > r.t1Ms) throw new RefusalError(`${new Date(p.tMs).toISOString()} is outside the recording`);
      addAnnotation(r.file, { kind: p.kind, tMs: Math.round(p.tMs), text: p.text, author: actor.user, atMs: Date.now() });
      return annotationsOf(r.file, r.db);
    },
  };
}
