import { writeFileSync, renameSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { incidentHtml, type IncidentData } from '../app/incidentReport.js';
import { StoreError } from '../store/db.js';
import { auditRecords } from '../store/audit.js';
import { openRecording, RECORDED_RUN, recordedEvents, recordingInfo } from '../store/recording.js';
import { getRun } from '../store/runs.js';
import { queryRange } from '../store/telemetry.js';
import { UsageError } from './usage.js';

/** A short line for an event's body ("stage t2", "budget 300 kW"). */
function eventText(kind: string, body: Record<string, unknown>): string {
  if (kind === 'budget') return `${String(body.budgetKW)} kW`;
  if (kind === 'stage') return String(body.stage);
  if (kind === 'playbook') return body.playbook === null ? 'none active' : String(body.playbook);
  return Object.entries(body)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** `headroom report F.headroom --out incident.html`: the recording as a self-contained HTML incident report. */
export function reportCommand(args: string[]): number {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { out: { type: 'string' } } });
  const [file] = positionals;
  if (!file || !values.out || positionals.length > 1) throw new UsageError('usage: headroom report F.headroom --out incident.html');
  const info = recordingInfo(file);
  const db = openRecording(file);
  let data: IncidentData;
  let fromMs = 0;
  let toMs = 0;
  try {
    const run = getRun(db, RECORDED_RUN);
    if (!run || run.t0Ms === null || run.t1Ms === null) throw new StoreError(`${file}: holds no telemetry`);
    fromMs = run.t0Ms;
    toMs = run.t1Ms;
    const rowIds = run.topology.rows.map((r) => r.id);
    const series = queryRange(db, RECORDED_RUN, { scope: 'row', fromMs, toMs: toMs + 1, resS: 10 }, rowIds);
    const events = recordedEvents(db);
    const m = info.meta;
    data = {
      title: `Incident: ${run.topology.site?.name ?? run.label}, ${new Date(fromMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      facts: [
        ['source', `${info.source} (${run.label})`],
        ['window', `${new Date(fromMs).toISOString()} → ${new Date(toMs).toISOString()} (${info.durationS} s)`],
        ['fleet', `${info.gpus} GPUs in ${info.rows} rows`],
        ['recorded by', `${String(m.author ?? 'unknown')} at ${String(m.recordedAt ?? '—')}, Headroom ${String(m.appVersion ?? '?')}`],
        ['file', `${file} (${info.bytes.toLocaleString('en-US')} bytes, schema ${info.schemaVersion})`],
      ],
      notes: typeof m.notes === 'string' ? m.notes : '',
      rows: rowIds.map((id, i) => ({
        id,
        tMs: series.tMs,
        avgKW: series.avgKW[i] ?? [],
        maxKW: series.maxKW[i] ?? [],
        budgets: events.filter((e) => e.kind === 'budget' && e.subject === id && typeof e.body.budgetKW === 'number').map((e) => ({ tMs: e.tMs, budgetKW: e.body.budgetKW as number })),
      })),
      // Budgets are drawn; the timeline lists what happened inside the window.
      events: events.filter((e) => e.tMs >= fromMs && e.tMs <= toMs).map((e) => ({ tMs: e.tMs, kind: e.kind, subject: e.subject, text: eventText(e.kind, e.body) })),
      actions: auditRecords(db).map((a) => ({ ...a, change: a.oldValue || a.newValue ? `${a.oldValue || '—'} → ${a.newValue || '—'}` : '' })),
    };
  } finally {
    db.close();
  }
  const tmp = `${values.out}.tmp-${process.pid}`;
  writeFileSync(tmp, incidentHtml(data, fromMs, toMs));
  renameSync(tmp, values.out);
  console.error(`incident report → ${values.out}`);
  return 0;
}
