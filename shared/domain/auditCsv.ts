import type { AuditRecord } from './control.js';

/** Columns of an audit export, in order. `at` is the wall-clock time as ISO 8601 (UTC), for people. */
export const AUDIT_CSV_COLUMNS = ['seq', 'at', 'atMs', 'simMs', 'actor', 'role', 'kind', 'target', 'oldValue', 'newValue', 'reason', 'outcome', 'prevHash', 'hash'] as const;

export interface AuditCsvOptions {
  /**
   * Prefix text cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with an apostrophe (OWASP CSV
   * injection). Default true; turn off for machine consumers that re-verify the hashes from the CSV.
   */
  neutralizeFormulas?: boolean;
}

/** One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF; quotes doubled. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function text(s: string, neutralize: boolean): string {
  return neutralize && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** Audit records as CSV (RFC 4180: header line, CRLF line ends, quoting as needed), in the order given. */
export function auditCsv(records: readonly AuditRecord[], opts: AuditCsvOptions = {}): string {
  const n = opts.neutralizeFormulas ?? true;
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const r of records) lines.push(auditCsvLine(r, n));
  return lines.join('\r\n') + '\r\n';
}

/** One record as a CSV line (no line end), for streaming exports. */
export function auditCsvLine(r: AuditRecord, neutralizeFormulas = true): string {
  const t = (s: string) => csvField(text(s, neutralizeFormulas));
  return [
    csvField(r.seq),
    csvField(Number.isFinite(r.atMs) ? new Date(r.atMs).toISOString() : ''),
    csvField(r.atMs),
    csvField(r.simMs),
    t(r.actor),
    t(r.role),
    t(r.kind),
    t(r.target),
    t(r.oldValue),
    t(r.newValue),
    t(r.reason),
    t(r.outcome),
    csvField(r.prevHash),
    csvField(r.hash),
  ].join(',');
}
