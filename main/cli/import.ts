import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseNvidiaSmiCsvWithHeader, type NvidiaSmiReading } from '../agent/nvidiaSmiParser.js';
import { aggregate, createAggregates } from '../core/aggregate.js';
import { indexTopology } from '../core/topology.js';
import { loadInventoryFile, type Inventory } from '../fleet/inventory.js';
import { writeRecording } from '../store/recording.js';
import { beginRun, endRun } from '../store/runs.js';
import { TelemetryWriter } from '../store/telemetry.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { ConfigError } from '../sim/config.js';
import { UsageError } from './usage.js';

/** One GPU reading of a log, placed: fleet GPU index, instant (ms, rounded to the second). */
interface Placed {
  gpu: number;
  tMs: number;
  r: NvidiaSmiReading;
}

const MAX_LOG_BYTES = 512 * 1024 * 1024;

/**
 * `nvidia-smi --query-gpu=timestamp,uuid,… --format=csv -l 1` logs: the header names the fields (any order, units in
 * brackets); rows are grouped by their timestamp (nvidia-smi writes local time without a zone: read as UTC unless
 * `utcOffsetMin` says otherwise), rounded to the second. Every GPU must be in the inventory (placed by UUID).
 */
export function readNvidiaSmiLog(file: string, inv: Inventory, utcOffsetMin = 0): Placed[] {
  const name = basename(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(name, null, '', `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const all = text.split('\n');
  const headerAt = all.findIndex((l) => l.trim() !== '');
  const headerLine = all[headerAt] ?? '';
  const header = headerLine.split(',').map((h) => h.trim().replace(/\s*\[[^\]]*\]$/, ''));
  const tsCol = header.indexOf('timestamp');
  if (tsCol < 0) throw new ConfigError(name, headerAt + 1, 'header', 'no "timestamp" field (log with --query-gpu=timestamp,uuid,…)');
  if (!header.includes('uuid')) throw new ConfigError(name, headerAt + 1, 'header', 'no "uuid" field (GPUs are placed by UUID through the inventory)');
  // nvidia-smi may repeat its header: keep line numbers, drop the repeats.
  const body = all.map((l, i) => (i !== headerAt && l.trim() === headerLine.trim() ? '' : l)).join('\n');
  const parsed = parseNvidiaSmiCsvWithHeader(body, { maxBytes: MAX_LOG_BYTES, maxRows: 50_000_000 });
  if (!parsed.ok) throw new ConfigError(name, parsed.error.line, 'row', parsed.error.message);
  const byUuid = new Map<string, number>();
  for (const h of inv.hosts.values()) h.uuids.forEach((u, i) => byUuid.set(u.toLowerCase(), h.gpus[i] ?? -1));
  return parsed.readings.map((r) => {
    const cell = all[r.line - 1]?.split(',')[tsCol]?.trim() ?? '';
    const ms = Date.parse(cell.replace(/^(\d{4})\/(\d{2})\/(\d{2}) /, '$1-$2-$3T') + 'Z') - utcOffsetMin * 60_000;
    if (!Number.isFinite(ms)) throw new ConfigError(name, r.line, 'timestamp', `"${cell}" is not a time (2026/01/01 00:00:01.000)`);
    const gpu = byUuid.get(r.uuid.toLowerCase());
    if (gpu === undefined || gpu < 0) throw new ConfigError(name, r.line, 'uuid', `${r.uuid} is not in the inventory`);
    return { gpu, tMs: Math.round(ms / 1000) * 1000, r };
  });
}

/** Build the run from placed readings (one frame per second) in a temporary telemetry.db, then save it as a recording. */
export function importToRecording(placed: readonly Placed[], inv: Inventory, o: { out: string; label: string; meta: Record<string, unknown> }): void {
  if (placed.length === 0) throw new ConfigError('(input)', null, '', 'nothing to import: no readings');
  const t = inv.topology;
  const n = t.gpuCount;
  const idx = indexTopology(t);
  const agg = createAggregates(t);
  const byTime = new Map<number, Placed[]>();
  for (const p of placed) {
    const at = byTime.get(p.tMs);
    if (at) at.push(p);
    else byTime.set(p.tMs, [p]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'headroom-import-'));
  try {
    const db = openTelemetryDb(join(dir, 'telemetry.db'));
    const run = beginRun(db, { kind: 'fleet', label: o.label, topology: t, meta: o.meta, startedWallMs: Date.now() });
    const w = new TelemetryWriter(db, run, { rows: t.rows.length, racks: t.racks.length });
    for (const tMs of [...byTime.keys()].sort((a, b) => a - b)) {
      // A GPU without a reading at this instant is missing (NaN), never zero.
      const col = () => new Float64Array(n).fill(NaN);
      const live = { powerW: col(), tempC: col(), clockMHz: col(), limitW: col(), util: col(), flags: new Uint32Array(n) };
      for (const { gpu, r } of byTime.get(tMs) ?? []) {
        live.powerW[gpu] = r.powerW ?? NaN;
        live.tempC[gpu] = r.tempC ?? NaN;
        live.clockMHz[gpu] = r.smClockMHz ?? NaN;
        live.limitW[gpu] = r.enforcedLimitW ?? r.limitW ?? NaN;
        live.util[gpu] = r.utilPct === null ? NaN : r.utilPct / 100;
        live.flags[gpu] = r.clockEventMask ?? 0;
      }
      const counted = { powerW: live.powerW.map((x) => (Number.isFinite(x) ? x : 0)), util: live.util.map((x) => (Number.isFinite(x) ? x : 0)), tempC: live.tempC };
      aggregate(t, idx, counted, agg);
      w.write([{ tMs, ...live, rackW: agg.rackW, rackMaxTempC: agg.rackMaxTempC, rowW: agg.rowW, rowMaxTempC: agg.rowMaxTempC, siteW: agg.siteW }]);
    }
    w.flush();
    endRun(db, run, Date.now());
    writeRecording({ telemetry: db, run, out: o.out, meta: o.meta });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `headroom import nvidia-smi LOG.csv … --inventory inv.yaml --out F.headroom`. */
export function importCommand(args: string[]): number {
  const [kind, ...rest] = args;
  if (kind !== 'nvidia-smi') throw new UsageError(kind === undefined ? 'import needs a kind: nvidia-smi' : `unknown import kind "${kind}" (nvidia-smi; Prometheus range queries are not built yet)`);
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: { inventory: { type: 'string' }, out: { type: 'string' }, 'utc-offset-min': { type: 'string', default: '0' } },
  });
  if (!values.inventory || !values.out || positionals.length === 0) throw new UsageError('usage: headroom import nvidia-smi LOG.csv [LOG2.csv …] --inventory inv.yaml --out F.headroom');
  const offset = Number(values['utc-offset-min']);
  if (!Number.isInteger(offset) || Math.abs(offset) > 14 * 60) throw new UsageError(`--utc-offset-min must be whole minutes within ±840, got "${values['utc-offset-min']}"`);
  const inv = loadInventoryFile(values.inventory);
  const placed = positionals.flatMap((f) => readNvidiaSmiLog(f, inv, offset));
  importToRecording(placed, inv, { out: values.out, label: `import nvidia-smi ${positionals.map((f) => basename(f)).join(', ')}`, meta: { imported: { kind: 'nvidia-smi', files: positionals.map((f) => basename(f)) }, site: inv.topology.site.name } });
  const seconds = new Set(placed.map((p) => p.tMs)).size;
  console.error(`imported ${placed.length.toLocaleString('en-US')} readings (${seconds} s, ${new Set(placed.map((p) => p.gpu)).size} GPUs) → ${values.out}`);
  return 0;
}
