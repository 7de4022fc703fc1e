import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fitProfiles } from '../app/profiles.js';
import { runLoaded } from '../app/batch.js';
import { place, type Candidate, type PlacementRequest } from '../core/placement.js';
import type { SiteProfiles } from '../core/profiles.js';
import type { Topology } from '../../shared/domain/topology.js';
import { loadScenario } from '../sim/config.js';
import { StoreError } from '../store/db.js';
import { listRuns } from '../store/runs.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { progressBar } from './progress.js';
import { num, UsageError } from './usage.js';
import { writeJsonAtomic } from './sim.js';
import { simulatePlacement, type PlacedRun } from '../app/placementSim.js';

const USAGE =
  'usage: headroom place --gpus N [--kind iaas|saas] [--profile training|inference] (--db telemetry.db [--run N] | --scenario NAME|FILE [--duration S] [--seed N] [--simulate]) [--stride S] [--top K] [--json] [--out F]';

/** Profiles from stored history (`--db`) or from a simulated run of a scenario (`--scenario`, recorded to a temporary store). */
function profilesFrom(values: Record<string, string | boolean | undefined>): { profiles: SiteProfiles; topology: Topology; source: string } {
  const strideS = num(values.stride as string | undefined, 'stride', { int: true, min: 1, max: 3600 }) ?? 10;
  const bar = process.stderr.isTTY ? progressBar('profiles') : undefined;
  if (values.db !== undefined) {
    const file = values.db as string;
    if (!existsSync(file)) throw new StoreError(`${file}: no such telemetry database`);
    const db = openTelemetryDb(file, true);
    try {
      const runs = listRuns(db);
      const run = num(values.run as string | undefined, 'run', { int: true, min: 1 }) ?? runs.at(-1)?.id;
      if (run === undefined) throw new StoreError(`${file}: no runs stored`);
      const r = fitProfiles(db, run, { strideS, ...(bar ? { onProgress: bar } : {}) });
      return { ...r, source: `${file} run ${run}` };
    } finally {
      db.close();
    }
  }
  if (values.scenario === undefined) throw new UsageError(`give --db (stored history) or --scenario (simulate a day of it); ${USAGE}`);
  const durationS = num(values.duration as string | undefined, 'duration', { int: true, min: 600, max: 7 * 86_400 }) ?? 3600;
  const seed = num(values.seed as string | undefined, 'seed', { int: true, min: 0 });
  const loaded = loadScenario(values.scenario as string);
  const dir = mkdtempSync(join(tmpdir(), 'headroom-place-'));
  try {
    const file = join(dir, 'telemetry.db');
    runLoaded(loaded, { seed: seed ?? loaded.scenario.seed, durationS, policy: 'polca', db: file, ...(bar ? { onProgress: bar } : {}) });
    const db = openTelemetryDb(file, true);
    try {
      const r = fitProfiles(db, listRuns(db).at(-1)!.id, { strideS });
      return { ...r, source: `${values.scenario as string}, ${durationS} s simulated under POLCA` };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const line = (c: Candidate, i: number) => `${String(i + 1).padStart(3)}. ${c.server.padEnd(8)} ${c.feasible ? '' : '✗ '}headroom ${c.score.toFixed(2)}: ${c.reason}`;

/** `headroom place`: where the next N GPUs should go, ranked with reasons, against first fit. */
export function placeCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      gpus: { type: 'string' },
      kind: { type: 'string', default: 'iaas' },
      profile: { type: 'string', default: 'training' },
      db: { type: 'string' },
      run: { type: 'string' },
      scenario: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      stride: { type: 'string' },
      top: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      simulate: { type: 'boolean', default: false },
    },
  });
  if (values.simulate && values.scenario === undefined) throw new UsageError('--simulate runs the placements in the scenario: give --scenario');
  const gpus = num(values.gpus, 'gpus', { int: true, min: 1, max: 100_000 });
  if (gpus === undefined) throw new UsageError(USAGE);
  if (values.kind !== 'iaas' && values.kind !== 'saas') throw new UsageError(`--kind must be iaas or saas, got "${values.kind}"`);
  if (values.profile !== 'training' && values.profile !== 'inference') throw new UsageError(`--profile must be training or inference, got "${values.profile}"`);
  if (values.db !== undefined && values.scenario !== undefined) throw new UsageError('give --db or --scenario, not both');
  const top = num(values.top, 'top', { int: true, min: 1, max: 10_000 }) ?? 10;
  const req: PlacementRequest = { gpus, kind: values.kind, profile: values.profile };
  const { profiles, topology, source } = profilesFrom(values);
  const t0 = performance.now();
  const r = place(topology, profiles, req);
  const placeMs = Math.round((performance.now() - t0) * 10) / 10;
  // --simulate: the advisor's pick and first fit each added to the scenario and run (under POLCA), side by side.
  let simulated: { advisor: PlacedRun; firstFit: PlacedRun } | undefined;
  if (values.simulate && r.chosen.length > 0) {
    const loaded = loadScenario(values.scenario!);
    const o = { seed: num(values.seed, 'seed', { int: true, min: 0 }) ?? loaded.scenario.seed, durationS: num(values.duration, 'duration', { int: true, min: 600, max: 7 * 86_400 }) ?? 3600 };
    simulated = { advisor: simulatePlacement(loaded, req, r.chosen, o), firstFit: simulatePlacement(loaded, req, r.firstFit, o) };
  }
  const out = { source, window: { fromMs: profiles.fromMs, toMs: profiles.toMs, ticks: profiles.ticks, strideS: profiles.strideS }, placeMs, ...r, ranked: r.ranked.slice(0, top), ...(simulated ? { simulated } : {}) };
  if (values.out) writeJsonAtomic(values.out, { ...out, profiles });
  if (values.json) {
    console.log(JSON.stringify(out, null, 2));
    return r.summary.advisor.feasible && r.placedGpus >= gpus ? 0 : 1;
  }
  console.log(`${gpus} GPUs, ${req.kind} ${req.profile}, from ${source}: ${r.ranked.length} free servers (${placeMs} ms)`);
  if (r.ranked.length === 0) {
    console.log('no free server (every server ran work over the window)');
    return 1;
  }
  console.log('ranked alone, best first:');
  r.ranked.slice(0, top).forEach((c, i) => console.log(line(c, i)));
  console.log(`advisor's pick (${r.chosen.length} servers, each judged with those before it): ${r.chosen.map((c) => c.server).join(', ')}`);
  const fx = (e: typeof r.summary.advisor) => `worst row ${e.worstRowPct} % of budget, hottest inlet ${e.hottestInletC ?? '?'} °C${e.feasible ? '' : ', INFEASIBLE'}`;
  console.log(`  advisor:   ${fx(r.summary.advisor)}`);
  console.log(`  first fit: ${fx(r.summary.firstFit)} (${r.firstFit.map((c) => c.server).join(', ')})`);
  if (r.placedGpus < gpus) console.log(`only ${r.placedGpus} of ${gpus} GPUs fit in the free servers`);
  if (simulated) {
    const ran = (x: PlacedRun) =>
      `worst row ${x.worstRow} peak ${x.worstRowPeakPct} %, ${x.powerThrottleEvents} power-throttling events, ${x.thermalThrottleEvents} thermal, hottest GPU ${x.maxGpuC ?? '?'} °C, inlet ${x.maxInletC ?? '?'} °C, ${x.brakes} brakes; the placed work at ${x.placedThroughputRatio ?? '?'} of its unconstrained throughput`;
    console.log('simulated under POLCA:');
    console.log(`  advisor:   ${ran(simulated.advisor)}`);
    console.log(`  first fit: ${ran(simulated.firstFit)}`);
  }
  return r.summary.advisor.feasible && r.placedGpus >= gpus ? 0 : 1;
}
