/**
 * A self-contained HTML incident report (no scripts, no external resources: it opens offline in any browser and
 * can be mailed): the recording's facts, one chart per row (power vs the budget in force, as a step line), the
 * timeline of events, the actions with who, why and when (audit records), and the notes. Pure: data in, text out.
 */
export interface IncidentData {
  title: string;
  facts: Array<[string, string]>;
  notes: string;
  rows: Array<{ id: string; tMs: number[]; avgKW: Array<number | null>; maxKW: Array<number | null>; budgets: Array<{ tMs: number; budgetKW: number }> }>;
  events: Array<{ tMs: number; kind: string; subject: string; text: string }>;
  actions: Array<{ atMs: number; simMs: number; actor: string; role: string; kind: string; target: string; change: string; reason: string; outcome: string }>;
  /** A table set side by side (a drill's debrief: the operator beside the automatic controller), after the facts. */
  comparison?: { title: string; columns: string[]; rows: string[][] };
  /** The closing line (default: a recording's). */
  footer?: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : '—');

const W = 900;
const H = 220;
const PAD = { l: 56, r: 12, t: 12, b: 28 };

/** The budget in force at `t`: the last budget at or before it (the first one before any). */
export function budgetAt(budgets: ReadonlyArray<{ tMs: number; budgetKW: number }>, t: number): number | null {
  let b: number | null = budgets[0]?.budgetKW ?? null;
  for (const x of budgets) {
    if (x.tMs > t) break;
    b = x.budgetKW;
  }
  return b;
}

/** One row's chart as inline SVG: average power (line), peak (light), budget in force (step line, dashed). */
export function rowChart(row: IncidentData['rows'][number], fromMs: number, toMs: number): string {
  const values = [...row.maxKW, ...row.avgKW, ...row.budgets.map((b) => b.budgetKW)].filter((v): v is number => v !== null && Number.isFinite(v));
  const top = Math.max(1, ...values) * 1.1;
  const x = (t: number) => PAD.l + ((t - fromMs) / Math.max(1, toMs - fromMs)) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  const line = (vs: Array<number | null>) => {
    let d = '';
    let pen = false;
    row.tMs.forEach((t, i) => {
      const v = vs[i];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        pen = false; // a gap stays a gap
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  let step = '';
  const bs = [...row.budgets].sort((a, b) => a.tMs - b.tMs);
  const first = budgetAt(bs, fromMs);
  if (first !== null) {
    step = `M${x(fromMs).toFixed(1)},${y(first).toFixed(1)}`;
    for (const b of bs) if (b.tMs > fromMs && b.tMs <= toMs) step += `H${x(b.tMs).toFixed(1)}V${y(b.budgetKW).toFixed(1)}`;
    step += `H${x(toMs).toFixed(1)}`;
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = top * f;
    return `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${PAD.l - 6}" y="${(y(v) + 4).toFixed(1)}" class="ax" text-anchor="end">${Math.round(v)}</text>`;
  });
  const times = [0, 0.5, 1].map((f) => {
    const t = fromMs + f * (toMs - fromMs);
    return `<text x="${x(t).toFixed(1)}" y="${H - 8}" class="ax" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">${esc(iso(t).slice(11, 19))}</text>`;
  });
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="row ${esc(row.id)} power and budget" data-row="${esc(row.id)}">
${ticks.join('')}${times.join('')}
<text x="${PAD.l}" y="${PAD.t + 2}" class="ax">kW</text>
<path d="${line(row.maxKW)}" class="peak"/><path d="${line(row.avgKW)}" class="power"/>${step ? `<path d="${step}" class="budget"/>` : ''}
</svg>`;
}

export function incidentHtml(d: IncidentData, fromMs: number, toMs: number): string {
  const facts = d.facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const rows = d.rows.map((r) => `<section class="row"><h3>Row ${esc(r.id)}</h3>${rowChart(r, fromMs, toMs)}</section>`).join('\n');
  const events = d.events.length
    ? d.events.map((e) => `<tr><td>${esc(iso(e.tMs))}</td><td>${esc(e.kind)}</td><td>${esc(e.subject)}</td><td>${esc(e.text)}</td></tr>`).join('')
    : '<tr><td colspan="4">none in this window</td></tr>';
  const actions = d.actions.length
    ? d.actions
        .map((a) => `<tr><td>${esc(iso(a.simMs))}</td><td>${esc(a.actor)} (${esc(a.role)})</td><td>${esc(a.kind)}</td><td>${esc(a.target)}</td><td>${esc(a.change)}</td><td>${esc(a.reason)}</td><td>${esc(a.outcome)}</td></tr>`)
        .join('')
    : '<tr><td colspan="7">none in this window</td></tr>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(d.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dde6;padding-bottom:4px}h3{font-size:14px;margin:14px 0 4px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;vertical-align:top}
.facts th{width:180px;color:#5a6376;font-weight:500}
svg{width:100%;height:auto;background:#fafbfd;border:1px solid #e3e7ee;border-radius:4px}
.grid{stroke:#e6e9ef}.ax{font-size:11px;fill:#6b7385}.power{fill:none;stroke:#2f6fdb;stroke-width:1.6}.peak{fill:none;stroke:#9dbcf0;stroke-width:1}
.budget{fill:none;stroke:#d0342c;stroke-width:1.6;stroke-dasharray:6 3}
.legend span{margin-right:16px}.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:6px}
.notes{white-space:pre-wrap;background:#f6f7f9;padding:8px 12px;border-radius:4px}
</style></head><body>
<h1>${esc(d.title)}</h1>
<p class="legend"><span><i style="background:#2f6fdb"></i>row power (10 s average)</span><span><i style="background:#9dbcf0"></i>peak</span><span><i style="background:#d0342c"></i>budget in force</span></p>
<table class="facts">${facts}</table>
${d.comparison ? `<h2>${esc(d.comparison.title)}</h2><table class="comparison"><thead><tr>${d.comparison.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${d.comparison.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('')}</tbody></table>` : ''}
<h2>Notes</h2><div class="notes">${d.notes ? esc(d.notes) : '—'}</div>
<h2>Power by row</h2>
${rows}
<h2>Timeline</h2>
<table class="events"><thead><tr><th>time</th><th>what</th><th>subject</th><th>detail</th></tr></thead><tbody>${events}</tbody></table>
<h2>Actions</h2>
<table class="actions"><thead><tr><th>time</th><th>who</th><th>action</th><th>target</th><th>change</th><th>reason</th><th>outcome</th></tr></thead><tbody>${actions}</tbody></table>
<p class="ax">${esc(d.footer ?? "Made by Headroom from a recording; times are the run's clock (UTC).")}</p>
</body></html>
`;
}
