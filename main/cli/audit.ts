import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AUDIT_CSV_COLUMNS, auditCsvLine } from '../../shared/domain/auditCsv.js';
import { AuditQuerySchema } from '../../shared/domain/control.js';
import { checkAnchors, readAnchors } from '../store/anchors.js';
import { AuditTrail, type AuditFilter } from '../store/audit.js';
import { openControlDbReadonly } from '../store/controlDb.js';
import { storedCountersigs } from '../store/countersigs.js';
import { checkCountersigs, countersigInputs } from './auditCountersigs.js';
import { UsageError } from './usage.js';

export const AUDIT_HELP = `  headroom audit verify [--db FILE] [--anchors DIR] [--agent-heads FILE…] [--certs DIR] [--console-key K]
                               check the audit trail's hash chain, the agents' countersignatures of its head stored
                               in it, and with --anchors the signed heads that serve --audit-anchor wrote; a
                               re-hashed or cut chain shows only against these (one line per finding); works on a
                               read-only copy (exit 0 intact, 1 tampered, 2 bad input)
      --agent-heads FILE…      agents' audit-heads.jsonl logs (from each agent's --state-dir), collected by the
                               auditor: they still hold what rows deleted from control.db held
      --certs DIR              the site CA (DIR/ca.crt): countersignatures must be made with certificates it issued
                               (default: checked against the certificates they carry)
      --console-key K          this console's key (sha256:…, as serve prints it, or its certificate file): check
                               only heads kept under it (repeatable; default: keys found in control.db or the chain)
  headroom audit export [--db FILE] [--out FILE.csv] [--kind K] [--actor USER] [--target TEXT] [--outcome O] [--raw]
                               audit records as CSV (RFC 4180), oldest first; --raw keeps cells starting with = + - @
                               as they are (default: prefixed with ' so spreadsheets do not run them)
      --db FILE                control database (default ./headroom-data/control.db); opened read-only`;

const DEFAULT_DB = './headroom-data/control.db';

/** `headroom audit verify|export …`; returns the exit code. Store problems throw StoreError (exit 2). */
export function auditCommand(args: string[]): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'verify':
      return verify(rest);
    case 'export':
      return exportCsv(rest);
    default:
      throw new UsageError(sub === undefined ? 'audit needs a subcommand: verify or export' : `unknown audit subcommand "${sub}" (verify, export)`);
  }
}

function verify(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      anchors: { type: 'string' },
      'agent-heads': { type: 'string', multiple: true },
      certs: { type: 'string' },
      'console-key': { type: 'string', multiple: true },
    },
  });
  // `--agent-heads logs/*.jsonl`: the shell's list after the flag arrives as positionals.
  if (positionals.length && !values['agent-heads']) throw new UsageError(`unexpected argument "${positionals[0]}" (only --agent-heads takes more than one file)`);
  const file = values.db;
  // Inputs first: a wrong folder or file is bad input (exit 2) whatever the trail holds.
  const set = values.anchors !== undefined ? readAnchors(values.anchors) : null;
  const inputs = countersigInputs({ agentHeads: [...(values['agent-heads'] ?? []), ...positionals], certs: values.certs, consoleKeys: values['console-key'] ?? [] });
  const db = openControlDbReadonly(file);
  try {
    const trail = new AuditTrail(db);
    const r = trail.verifyChain();
    if (!r.ok) {
      console.error(`audit trail BROKEN at record ${r.brokenAtSeq}: ${r.message}; ${r.records} records before it intact (${file})`);
      return 1;
    }
    const hashAt = (seq: number) => trail.hashAt(seq);
    const findings: string[] = [];
    if (set?.forged) findings.push(`audit anchors FORGED: ${set.forged}; the trail cannot be vouched for (${file})`);
    const a = set && !set.forged ? checkAnchors(r.records, hashAt, set) : null;
    if (a && !a.ok) findings.push(`audit trail TAMPERED: ${a.message} (${file})`);
    const cs = checkCountersigs(r.records, hashAt, storedCountersigs(db), inputs);
    findings.push(...cs.findings);
    if (findings.length) {
      for (const f of findings) console.error(f);
      return 1;
    }
    const signed = cs.summary ? `; ${cs.summary}` : '';
    if (!a?.ok) {
      const unanchored = cs.summary ? '' : '; not anchored: without --anchors a rewrite that re-hashes the chain after it cannot be detected';
      console.log(`audit trail intact: ${r.records} records checked (${file}): ${r.message}${signed}${unanchored}`);
      return 0;
    }
    const keys = [...new Set(set!.logs.map((l) => l.keyId))].join(', ');
    const n = set!.logs.length;
    const where = `${set!.anchors.length} anchors in ${n} log${n === 1 ? '' : 's'}, key${n === 1 ? '' : 's'} ${keys}`;
    const at = a.last ? `anchored at seq ${a.last.seq}, ${new Date(a.last.atMs).toISOString()}` : 'no record anchored yet';
    const tail = a.last && a.last.seq < r.records ? `; records ${a.last.seq + 1}..${r.records} not yet anchored` : '';
    console.log(`audit trail intact up to seq ${r.records} (${at}; ${where})${tail}${signed} (${file})`);
    return 0;
  } finally {
    db.close();
  }
}

function enumOpt<T extends string>(v: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

function exportCsv(args: string[]): number {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      out: { type: 'string' },
      kind: { type: 'string' },
      actor: { type: 'string' },
      target: { type: 'string' },
      outcome: { type: 'string' },
      raw: { type: 'boolean', default: false },
    },
  });
  const filter: AuditFilter = {
    kind: enumOpt(values.kind, 'kind', AuditQuerySchema.shape.kind.unwrap().options),
    actor: values.actor,
    target: values.target,
    outcome: enumOpt(values.outcome, 'outcome', AuditQuerySchema.shape.outcome.unwrap().options),
  };
  const file = values.db;
  const db = openControlDbReadonly(file);
  try {
    const trail = new AuditTrail(db);
    const v = trail.verify();
    if (!v.ok) console.error(`warning: audit trail broken at record ${v.brokenAtSeq}: ${v.message} (exporting anyway)`);
    const out = values.out;
    // Write to a temporary file, fsync, rename: a reader never sees half an export.
    const tmp = out ? `${out}.tmp-${process.pid}` : null;
    const fd = tmp ? openSync(tmp, 'w') : 1;
    let n = 0;
    try {
      const chunk: string[] = [AUDIT_CSV_COLUMNS.join(',')];
      const flush = () => {
        if (chunk.length) writeSync(fd, chunk.join('\r\n') + '\r\n');
        chunk.length = 0;
      };
      for (const r of trail.iterate(filter)) {
        chunk.push(auditCsvLine(r, !values.raw));
        n++;
        if (chunk.length >= 1000) flush();
      }
      flush();
      if (tmp) {
        fsyncSync(fd);
        closeSync(fd);
        renameSync(tmp, out!);
      }
    } catch (e) {
      if (tmp) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
        rmSync(tmp, { force: true });
      }
      throw e;
    }
    if (out) console.error(`exported ${n} audit records → ${out}`);
    return 0;
  } finally {
    db.close();
  }
}
