import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PolicyConfigSchema } from '../../shared/domain/control.js';
import { ReplayPolicySchema } from '../../shared/domain/replay.js';
import { replayPlan, replayReport } from '../app/replay.js';
import { packageVersion } from '../node/packageInfo.js';
import { runLoaded, type SimPolicy } from '../app/batch.js';
import type { SimReport } from '../app/report.js';
import type { DemandProfile } from '../sim/inference.js';
import { loadScenario } from '../sim/config.js';
import { StoreError } from '../store/db.js';
import { recordingInfo, writeRecording } from '../store/recording.js';
import { historyInfo, listRuns } from '../store/runs.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { num, UsageError } from './usage.js';

const DEFAULT_DB = './headroom-data/telemetry.db';

/** Bytes of a database on disk, its WAL included. */
function dbBytes(file: string): number {
  return [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

/** `headroom history info`. */
export function historyCommand(args: string[]): number {
  const [sub, ...rest] = args;
  if (sub !== 'info') throw new UsageError(sub === undefined ? 'history needs a subcommand: info' : `unknown history subcommand "${sub}" (info)`);
  const { values } = parseArgs({ args: rest, strict: true, options: { db: { type: 'string', default: DEFAULT_DB }, json: { type: 'boolean', default: false } } });
  if (!existsSync(values.db)) throw new StoreError(`${values.db}: no such telemetry database`);
  const db = openTelemetryDb(values.db, true);
  try {
    if ((db.pragma('user_version', { simple: true }) as number) < 2) {
      throw new StoreError(`${values.db}: written before runs were recorded (schema 1); start headroom on it once to migrate it`);
    }
    const info = historyInfo(db, dbBytes(values.db));
    if (values.json) console.log(JSON.stringify(info, null, 2));
    else {
      for (const r of info.runs) console.log(`run ${r.id}  ${r.kind.padEnd(6)} ${r.label}  ${r.start ?? '—'} → ${r.end ?? '—'}  ${r.samples.toLocaleString('en-US')} samples${r.droppedTicks ? `, ${r.droppedTicks} ticks dropped` : ''}`);
      console.log(`${info.samples.toLocaleString('en-US')} GPU-samples in ${(info.bytes / 1e6).toFixed(1)} MB (${info.bytesPerGpuSample ?? '—'} bytes each); ${info.droppedTicks} ticks dropped`);
    }
    return 0;
  } finally {
    db.close();
  }
}

/** An ISO time or epoch milliseconds. */
function timeOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be an ISO time (2026-01-01T00:10:00Z) or epoch ms, got "${v}"`);
  return ms;
}

/** `headroom record`: a run's window → one .headroom file. */
export function recordCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      run: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      control: { type: 'string' },
      author: { type: 'string', default: process.env.USER ?? 'unknown' },
      notes: { type: 'string', default: '' },
    },
  });
  if (!values.out) throw new UsageError('record needs --out F.headroom');
  if (!existsSync(values.db)) throw new StoreError(`${values.db}: no such telemetry database`);
  const db = openTelemetryDb(values.db, true);
  try {
    const runs = listRuns(db);
    const run = num(values.run, 'run', { int: true, min: 1 }) ?? runs.at(-1)?.id;
    if (run === undefined || !runs.some((r) => r.id === run)) throw new UsageError(`no run ${values.run ?? ''} in ${values.db} (runs: ${runs.map((r) => r.id).join(', ') || 'none'})`);
    const controlFile = values.control ?? join(dirname(values.db), 'control.db');
    const info = writeRecording({
      telemetry: db,
      run,
      fromMs: timeOpt(values.from, 'from'),
      toMs: timeOpt(values.to, 'to'),
      controlFile: existsSync(controlFile) ? controlFile : null,
      out: values.out,
      meta: { author: values.author, notes: values.notes, appVersion: packageVersion(), policyName: 'headroom' },
    });
    console.error(`recorded run ${run}: ${info.gpus} GPUs, ${info.durationS} s, ${info.samples.toLocaleString('en-US')} samples, ${(info.bytes / 1e6).toFixed(2)} MB → ${values.out}`);
    return 0;
  } finally {
    db.close();
  }
}

/** `headroom recording info F`. */
export function recordingCommand(args: string[]): number {
  const [sub, file, ...rest] = args;
  if (sub !== 'info' || !file) throw new UsageError('usage: headroom recording info F.headroom [--json]');
  const { values } = parseArgs({ args: rest, strict: true, options: { json: { type: 'boolean', default: false } } });
  const info = recordingInfo(file);
  const { meta, ...figures } = info;
  if (values.json) console.log(JSON.stringify({ ...figures, meta }, null, 2));
  else console.log(`${file}: ${info.source} recording, ${info.gpus} GPUs in ${info.rows} rows, ${info.durationS} s from ${info.startS === null ? '—' : new Date(info.startS * 1000).toISOString()}, ${info.samples.toLocaleString('en-US')} samples, ${info.bytes.toLocaleString('en-US')} bytes, schema ${info.schemaVersion}`);
  return 0;
}

/** Run a simulation into a temporary telemetry.db and save the whole run as a recording (for `sim --record`). */
export function simAndRecord(o: { scenario: string; scale?: number; seed?: number; durationS: number; policy: SimPolicy; demand?: DemandProfile; out: string; onProgress?: (d: number, t: number) => void }): SimReport {
  const read = loadScenario(o.scenario, { scale: o.scale });
  // The demand travels in the scenario the recording keeps (runs.meta.replay), so a replay re-runs the same demand.
  const loaded = o.demand ? { ...read, scenario: { ...read.scenario, demand: o.demand } } : read;
  const seed = o.seed ?? loaded.scenario.seed;
  const dir = mkdtempSync(join(tmpdir(), 'headroom-record-'));
  try {
    const file = join(dir, 'telemetry.db');
    const { report } = runLoaded(loaded, { seed, durationS: o.durationS, policy: o.policy, db: file, onProgress: o.onProgress });
    const db = openTelemetryDb(file, true);
    try {
      // The run keeps its demand (runs.meta.replay); the recording says which policy ran, with what configuration.
      writeRecording({
        telemetry: db,
        run: listRuns(db).at(-1)?.id ?? 1,
        out: o.out,
        meta: { report, policyName: o.policy, policy: PolicyConfigSchema.parse({}), appVersion: packageVersion(), author: process.env.USER ?? 'unknown', notes: '' },
      });
    } finally {
      db.close();
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `headroom replay F --policy P`: the recorded demand through another policy → the report of `headroom sim` over the
 * recording's window. Without --policy: the recorded policy (a whole-run recording gives back the recorded report).
 * A named policy keeps the recorded configuration (thresholds, playbooks); a policy file replaces it.
 */
export function replayRecording(file: string, policyArg?: string): SimReport {
  const plan = replayPlan(file);
  if (policyArg === undefined) return replayReport(plan);
  const named = ReplayPolicySchema.safeParse(policyArg);
  if (named.success) return replayReport(plan, named.data, plan.config);
  if (!existsSync(policyArg)) throw new UsageError(`--policy must be headroom, polca, polca-no-priority, none or a policy file (JSON), got "${policyArg}"`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(policyArg, 'utf8'));
  } catch (e) {
    throw new UsageError(`${policyArg}: not a JSON policy: ${(e as Error).message}`);
  }
  const parsed = PolicyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UsageError(`${policyArg}: ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid policy'}`);
  }
  return replayReport(plan, 'polca', parsed.data);
}
