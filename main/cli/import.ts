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
import { fetchRange, placeRange } from './importProm.js';

/** What an import knows of one GPU at one instant (any subset; several sources for one instant merge). */
export interface ImportedFields {
  powerW: number;
  tempC: number;
  clockMHz: number;
  limitW: number;
  /** 0..1 */
  util: number;
  flags: number;
}

/** Readings placed on the fleet: GPU index, instant (ms, rounded to the second). */
export interface Placed {
  gpu: number;
  tMs: number;
  v: Partial<ImportedFields>;
}

function fromNvidiaSmi(r: NvidiaSmiReading): Partial<ImportedFields> {
  const v: Partial<ImportedFields> = {};
  const put = (k: keyof ImportedFields, x: number | null | undefined) => {
    if (x !== null && x !== undefined) v[k] = x;
  };
  put('powerW', r.powerW);
  put('tempC', r.tempC);
  put('clockMHz', r.smClockMHz);
  put('limitW', r.enforcedLimitW ?? r.limitW);
  put('util', r.utilPct === null ? null : r.utilPct / 100);
  put('flags', r.clockEventMask ?? 0);
  return v;
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
    return { gpu, tMs: Math.round(ms / 1000) * 1000, v: fromNvidiaSmi(r) };
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
      for (const { gpu, v } of byTime.get(tMs) ?? []) {
        for (const k of ['powerW', 'tempC', 'clockMHz', 'limitW', 'util', 'flags'] as const) {
          const x = v[k];
          if (x !== undefined) live[k][gpu] = x;
        }
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

/** `headroom import nvidia-smi …` or `headroom import prometheus …`; returns the exit code. */
export async function importCommand(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === 'prometheus') return importPrometheus(rest);
  if (kind !== 'nvidia-smi') throw new UsageError(kind === undefined ? 'import needs a kind: nvidia-smi or prometheus' : `unknown import kind "${kind}" (nvidia-smi, prometheus)`);
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

/** `headroom import prometheus RANGE.json … | --url URL --from T --to T [--step S]`, placed through the inventory. */
async function importPrometheus(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { inventory: { type: 'string' }, out: { type: 'string' }, url: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, step: { type: 'string', default: '1' } },
  });
  const usage = 'usage: headroom import prometheus (RANGE.json … | --url URL --from T --to T [--step S]) --inventory inv.yaml --out F.headroom';
  if (!values.inventory || !values.out || (positionals.length === 0) === !values.url) throw new UsageError(usage);
  const inv = loadInventoryFile(values.inventory);
  let placed: Placed[];
  if (values.url) {
    const t = (v: string | undefined, n: string) => {
      const ms = v === undefined ? NaN : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      if (!Number.isFinite(ms)) throw new UsageError(`--${n} must be an ISO time or epoch ms, got "${v ?? ''}"`);
      return Math.floor(ms / 1000);
    };
    const step = Number(values.step);
    if (!(Number.isInteger(step) && step >= 1 && step <= 3600)) throw new UsageError(`--step must be whole seconds 1..3600, got "${values.step}"`);
    const [from, to] = [t(values.from, 'from'), t(values.to, 'to')];
    if (to < from) throw new UsageError('--to is before --from');
    placed = await fetchRange(values.url, from, to, step, inv);
  } else {
    placed = positionals.flatMap((f) => {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(f, 'utf8'));
      } catch (e) {
        throw new ConfigError(basename(f), null, '', `not JSON: ${(e as Error).message}`);
      }
      return placeRange(basename(f), json, inv);
    });
  }
  const from = values.url ?? positionals.map((f) => basename(f)).join(', ');
  importToRecording(placed, inv, { out: values.out, label: `import prometheus ${from}`, meta: { imported: { kind: 'prometheus', from }, site: inv.topology.site.name } });
  console.error(`imported ${placed.length.toLocaleString('en-US')} values (${new Set(placed.map((p) => p.tMs)).size} s, ${new Set(placed.map((p) => p.gpu)).size} GPUs) → ${values.out}`);
  return 0;
}
