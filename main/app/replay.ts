import { basename, resolve } from 'node:path';
import { PolicyConfigSchema, type PolicyConfig } from '../../shared/domain/control.js';
import { ReplayPolicySchema, type ReplayInfo, type ReplayPolicy, type ReplayResult, type ReplaySeries, type ReplaySide } from '../../shared/domain/replay.js';
import { ScenarioSchema, type ScenarioEvent } from '../../shared/domain/scenario.js';
import type { LoadedScenario } from '../sim/config.js';
import { StoreError } from '../store/db.js';
import { openRecording, RECORDED_RUN, recordedEvents, recordingFrameReader, recordingMeta } from '../store/recording.js';
import { DemandSource, type DemandBand } from '../sources/demandSource.js';
import { Engine } from '../engine/engine.js';
import { ControlService } from '../engine/control/service.js';
import type { Topology } from '../../shared/domain/topology.js';
import { getRun } from '../store/runs.js';
import { queryRange } from '../store/telemetry.js';
import { controlModeOf, runLoaded, type ReplayOrigin, type SimPolicy } from './batch.js';
import { ReportBuilder, type SimReport, type WorkloadFigures } from './report.js';

/**
 * Counterfactual replay of a recorded simulator run. The demand is what the run kept for this (`ReplayOrigin`: the
 * scenario as resolved, the seed, the simulator's start) plus the drills operators started, read back from the
 * recorded event line and put on the scenario's timeline at the second they started. The run is re-simulated from
 * its start up to the recording's end, twice: through the recorded policy ("as recorded", which also measures how
 * faithfully a re-run reproduces the recording) and through the chosen one; both report on the recording's window.
 * Operator actions (overrides, brakes by hand, automation switched off) are not replayed: that is what the
 * reproduction gap shows. The console's replay jobs (a worker each, polled for progress) are in replayJobs.ts.
 */

const BIN_MS = 10_000;

/** What a recording needs for a replay, read once; refused with one line when it cannot be replayed. */
export interface ReplayPlan {
  /** 'sim': re-simulated from the run's demand; 'fleet': a real fleet's demand inferred from what it showed. */
  kind: 'sim' | 'fleet';
  file: string;
  /** Where to open it again (a fleet replay reads its frames while it runs). */
  path: string;
  topology: Topology;
  /** The simulator's scenario (sim only). */
  loaded: LoadedScenario | null;
  seed: number;
  startMs: number;
  fromMs: number;
  toMs: number;
  policy: ReplayPolicy;
  config: PolicyConfig;
  drills: number;
  recorded: { tMs: number[]; avgKW: Array<Array<number | null>> };
}

/** Read a recording's replay plan (opens it read-only). Throws StoreError with the reason it cannot be replayed. */
export function replayPlan(file: string): ReplayPlan {
  const name = basename(file);
  const db = openRecording(file);
  try {
    const run = getRun(db, RECORDED_RUN);
    if (!run || run.t0Ms === null || run.t1Ms === null) throw new StoreError(`${name}: holds no telemetry`);
    const meta = recordingMeta(db);
    const origin = originOf(run.meta);
    const fromMs = typeof meta.fromMs === 'number' ? Math.max(meta.fromMs, run.t0Ms) : run.t0Ms;
    const toMs = run.t1Ms;
    const rowIds = run.topology.rows.map((r) => r.id);
    const recorded = queryRange(db, RECORDED_RUN, { scope: 'row', fromMs, toMs: toMs + 1, resS: 10 }, rowIds);
    const config = PolicyConfigSchema.safeParse(meta.policy ?? (run.kind === 'sim' ? {} : { actuation: { capPath: 'inBand' } }));
    const policy = ReplayPolicySchema.safeParse(typeof meta.policyName === 'string' ? meta.policyName : run.meta.policy);
    if (!origin) {
      if (run.kind === 'sim') throw new StoreError(`${name}: made before runs kept their scenario; record it again to replay it`);
      // A real fleet (or an import): its demand is inferred from what the GPUs showed, over the window only.
      return {
        kind: 'fleet',
        file: name,
        path: resolve(file),
        topology: run.topology,
        loaded: null,
        seed: 0,
        startMs: fromMs - 1000,
        fromMs,
        toMs,
        policy: policy.success ? policy.data : 'polca',
        config: config.success ? config.data : PolicyConfigSchema.parse({ actuation: { capPath: 'inBand' } }),
        drills: 0,
        recorded: { tMs: recorded.tMs, avgKW: recorded.avgKW },
      };
    }
    // Drills: scenario events that a person started (kind "scenario" with the event and who); on the timeline at
    // the simulator's second when they were started.
    const drills: ScenarioEvent[] = [];
    for (const e of recordedEvents(db)) {
      if (e.kind !== 'scenario' || typeof e.body.by !== 'string' || !e.body.event || typeof e.body.event !== 'object') continue;
      // The note is stored with the tick after the drill started; its body says the simulator's second.
      const atS = typeof e.body.atS === 'number' ? e.body.atS : (e.tMs - origin.startMs) / 1000 - 1;
      drills.push({ ...(e.body.event as ScenarioEvent), atS });
    }
    const parsed = ScenarioSchema.safeParse({ ...origin.scenario, events: [...origin.scenario.events, ...drills] });
    if (!parsed.success) throw new StoreError(`${name}: its scenario does not read back (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
    return {
      kind: 'sim',
      file: name,
      path: resolve(file),
      topology: run.topology,
      loaded: { scenario: parsed.data, topology: run.topology, source: 'recording' },
      seed: origin.seed,
      startMs: origin.startMs,
      fromMs,
      toMs,
      policy: policy.success ? policy.data : 'polca',
      config: config.success ? config.data : PolicyConfigSchema.parse({}),
      drills: drills.length,
      recorded: { tMs: recorded.tMs, avgKW: recorded.avgKW },
    };
  } finally {
    db.close();
  }
}

function originOf(runMeta: Record<string, unknown>): ReplayOrigin | null {
  const o = (runMeta.replay ?? null) as ReplayOrigin | null;
  return o && typeof o === 'object' && typeof o.seed === 'number' && typeof o.startMs === 'number' && o.scenario && typeof o.scenario === 'object' ? o : null;
}

export function replayInfo(plan: ReplayPlan): ReplayInfo {
  return {
    available: true,
    kind: plan.kind,
    policy: plan.policy,
    config: plan.config,
    scenario: plan.loaded ? plan.loaded.scenario.name : 'the recorded fleet (demand inferred)',
    fromMs: plan.fromMs,
    toMs: plan.toMs,
    leadS: Math.max(0, (plan.fromMs - plan.startMs) / 1000),
    drills: plan.drills,
  };
}

interface SideRun {
  report: SimReport;
  figures: WorkloadFigures[];
  kW: Float64Array[];
  budgetKW: Float64Array[];
  capped: Float64Array[];
  brakes: Array<{ tMs: number; row: number }>;
}

/** 10-second bins over the window, per row: mean power, the budget in force, mean GPUs capped; brakes as they start. */
class SideSeries {
  readonly sum: Float64Array[];
  readonly budget: Float64Array[];
  readonly capped: Float64Array[];
  readonly n: Float64Array;
  readonly brakes: SideRun['brakes'] = [];
  private readonly first: number;
  private lastBrakes: Int32Array | null = null;

  constructor(
    private readonly rows: number,
    private readonly fromMs: number,
    toMs: number,
  ) {
    this.first = Math.floor(fromMs / BIN_MS) * BIN_MS;
    const bins = Math.max(1, Math.ceil((toMs + 1 - this.first) / BIN_MS));
    this.sum = Array.from({ length: rows }, () => new Float64Array(bins));
    this.budget = Array.from({ length: rows }, () => new Float64Array(bins));
    this.capped = Array.from({ length: rows }, () => new Float64Array(bins));
    this.n = new Float64Array(bins);
  }

  tick(engine: Engine, control: ControlService | null): void {
    const t = engine.nowMs;
    if (control) {
      const b = control.rowBrakes;
      if (this.lastBrakes && t >= this.fromMs) for (let r = 0; r < this.rows; r++) if (b[r]! > this.lastBrakes[r]!) this.brakes.push({ tMs: t, row: r });
      this.lastBrakes = Int32Array.from(b);
    }
    if (t < this.fromMs) return;
    const i = Math.floor((t - this.first) / BIN_MS);
    if (i < 0 || i >= this.n.length) return;
    this.n[i]! += 1;
    for (let r = 0; r < this.rows; r++) {
      this.sum[r]![i]! += engine.agg.rowW[r]! / 1000;
      this.budget[r]![i] = engine.rowBudgetKW[r]!;
      this.capped[r]![i]! += control ? control.rowCappedGpus[r]! : 0;
    }
  }

  finish(report: SimReport, figures: WorkloadFigures[]): SideRun {
    for (let r = 0; r < this.rows; r++)
      for (let i = 0; i < this.n.length; i++) {
        const k = this.n[i]! || 1;
        this.sum[r]![i]! /= k;
        this.capped[r]![i]! /= k;
      }
    return { report, figures, kW: this.sum, budgetKW: this.budget, capped: this.capped, brakes: this.brakes };
  }
}

/** One re-run of the plan through a policy, with 10-second series over the window. */
export function runSide(plan: ReplayPlan, policy: SimPolicy, config: PolicyConfig, onProgress?: (doneS: number, totalS: number) => void, band: DemandBand = 'mid'): SideRun {
  const series = new SideSeries(plan.topology.rows.length, plan.fromMs, plan.toMs);
  if (plan.kind === 'fleet') return runFleetSide(plan, policy, config, band, series, onProgress);
  const { report, figures } = runLoaded(plan.loaded!, {
    seed: plan.seed,
    durationS: (plan.toMs - plan.startMs) / 1000,
    policy,
    config,
    reportFromMs: plan.fromMs,
    onProgress,
    onTick: (engine, control) => series.tick(engine, control),
  });
  return series.finish(report, figures);
}

/** A real fleet's window through a policy: the demand inferred per GPU answers the policy's setpoints (DemandSource). */
function runFleetSide(plan: ReplayPlan, policy: SimPolicy, config: PolicyConfig, band: DemandBand, series: SideSeries, onProgress?: (doneS: number, totalS: number) => void): SideRun {
  const db = openRecording(plan.path);
  try {
    const t = plan.topology;
    const source = new DemandSource(t, recordingFrameReader(db), band);
    const engine = new Engine({ topology: t, source, stepMs: 1000, startMs: plan.startMs });
    const control = new ControlService({
      engine,
      actuator: source,
      audit: null,
      // A recording keeps no priorities: every GPU is treated alike.
      priorities: new Uint8Array(t.gpuCount),
      store: null,
      onChange: () => {},
      mode: controlModeOf(policy),
      policy: config,
    });
    engine.addService(control);
    const ticks = Math.round((plan.toMs - plan.startMs) / 1000);
    const report = new ReportBuilder(engine, ticks, control);
    report.begin();
    for (let i = 0; i < ticks; i++) {
      const r = engine.tick();
      report.record(r.fired, r.notified);
      series.tick(engine, control);
      if (onProgress && (i % 30 === 0 || i === ticks - 1)) onProgress(i + 1, ticks);
    }
    control.close();
    return series.finish(report.build({ scenario: plan.file, seed: 0, durationS: ticks, policy }, [], [], null), []);
  } finally {
    db.close();
  }
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

function side(label: string, policy: ReplayPolicy, config: PolicyConfig, run: SideRun): ReplaySide {
  return {
    label,
    policy,
    t1Pct: config.polca.t1Pct,
    t2Pct: config.polca.t2Pct,
    rows: run.report.rows.map((r) => ({ id: r.id, peakPct: r.peakPct, secondsOver100: r.secondsOver100, brakes: r.brakes, pctGpuTimeCapped: r.pctGpuTimeCapped, energyKWh: r.energyKWh })),
    workloads: run.report.workloads.map((w, i) => ({ id: w.id, kind: w.kind, priority: w.priority, throughput: run.figures[i]?.throughput ?? 0, p99LatencyS: w.p99LatencyS })),
    caps: run.report.actions.caps,
    releases: run.report.actions.releases,
  };
}

const pctChange = (a: number, b: number): number | null => (b > 0 ? ((a - b) / b) * 100 : null);
const signed = (x: number, digits = 1): string => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(digits)}`;

/** The short text diff: what changed, most important first. Pure. */
export function replayDiff(base: ReplaySide, replay: ReplaySide, reproduction: ReplayResult['reproduction']): string[] {
  const lines: string[] = [];
  const name = (s: ReplaySide) =>
    s.policy === 'none' ? 'no caps (brake only)' : `${s.policy === 'polca-no-priority' ? 'POLCA without priorities' : s.policy === 'headroom' ? 'Headroom' : 'POLCA'} T1 = ${s.t1Pct} %, T2 = ${s.t2Pct} %`;
  const brakes = (s: ReplaySide) => s.rows.reduce((a, r) => a + r.brakes, 0);
  const bA = brakes(replay);
  const bB = brakes(base);
  lines.push(`${name(replay)}: ${bA} brake${bA === 1 ? '' : 's'} instead of ${bB} (as recorded: ${name(base)})`);
  for (const r of replay.rows) {
    const b = base.rows.find((x) => x.id === r.id);
    if (!b) continue;
    const parts: string[] = [];
    if (r.brakes !== b.brakes) parts.push(`brakes ${b.brakes} → ${r.brakes}`);
    if (Math.abs(r.peakPct - b.peakPct) >= 0.5) parts.push(`peak ${b.peakPct.toFixed(1)} → ${r.peakPct.toFixed(1)} % of budget`);
    if (Math.abs(r.secondsOver100 - b.secondsOver100) >= 1) parts.push(`over budget ${b.secondsOver100} → ${r.secondsOver100} s`);
    if (Math.abs(r.pctGpuTimeCapped - b.pctGpuTimeCapped) >= 0.5) parts.push(`GPU-time capped ${b.pctGpuTimeCapped.toFixed(1)} → ${r.pctGpuTimeCapped.toFixed(1)} %`);
    if (parts.length) lines.push(`row ${r.id}: ${parts.join('; ')}`);
  }
  for (const prio of ['high', 'low'] as const) {
    const sum = (s: ReplaySide) => s.workloads.filter((w) => w.priority === prio).reduce((a, w) => a + w.throughput, 0);
    const d = pctChange(sum(replay), sum(base));
    if (d !== null) lines.push(`${prio}-priority throughput ${Math.abs(d) < 0.05 ? 'unchanged' : `${signed(d)} %`}`);
  }
  if (replay.caps !== base.caps) lines.push(`GPU cap commands ${base.caps} → ${replay.caps}`);
  lines.push(
    reproduction.maxErrPct <= 2
      ? `the as-recorded re-run matches the recording within ${reproduction.maxErrPct.toFixed(1)} % of budget`
      : `the as-recorded re-run differs from the recording by up to ${reproduction.maxErrKW.toFixed(1)} kW (${reproduction.maxErrPct.toFixed(1)} % of budget): the recording holds what a re-run cannot know (operator overrides, automation off, a policy change)`,
  );
  return lines;
}

/** Both re-runs and their comparison. `onProgress` counts simulated seconds over both. */
export function replayCompare(plan: ReplayPlan, policy: ReplayPolicy, config: PolicyConfig, onProgress?: (doneS: number, totalS: number) => void): ReplayResult {
  const oneS = (plan.toMs - plan.startMs) / 1000;
  // A fleet's demand is inferred: the replayed policy also runs on the band's two ends.
  const runs = plan.kind === 'fleet' ? 4 : 2;
  const part = (k: number) => (onProgress ? (d: number) => onProgress(k * oneS + d, runs * oneS) : undefined);
  const base = runSide(plan, plan.policy, plan.config, part(0));
  const other = runSide(plan, policy, config, part(1));
  const low = plan.kind === 'fleet' ? runSide(plan, policy, config, part(2), 'low') : null;
  const high = plan.kind === 'fleet' ? runSide(plan, policy, config, part(3), 'high') : null;
  const t = plan.topology;
  const first = Math.floor(plan.fromMs / BIN_MS) * BIN_MS;
  const bins = base.kW[0]?.length ?? 0;
  const tMs = Array.from({ length: bins }, (_, i) => first + i * BIN_MS);
  const recordedAt = new Map(plan.recorded.tMs.map((ms, i) => [ms, i]));
  let maxErrKW = 0;
  let maxErrPct = 0;
  const rows: ReplaySeries['rows'] = t.rows.map((row, r) => {
    const recordedKW = tMs.map((ms) => {
      const i = recordedAt.get(ms);
      return i === undefined ? null : (plan.recorded.avgKW[r]?.[i] ?? null);
    });
    recordedKW.forEach((v, i) => {
      if (v === null) return;
      const err = Math.abs(v - base.kW[r]![i]!);
      const b = base.budgetKW[r]![i]! || row.budgetKW;
      if (err > maxErrKW) maxErrKW = err;
      if ((err / b) * 100 > maxErrPct) maxErrPct = (err / b) * 100;
    });
    return {
      id: row.id,
      budgetKW: Array.from(base.budgetKW[r]!, r1),
      recordedKW: recordedKW.map((v) => (v === null ? null : r1(v))),
      baseKW: Array.from(base.kW[r]!, r1),
      replayKW: Array.from(other.kW[r]!, r1),
      ...(low && high ? { replayLowKW: Array.from(low.kW[r]!, (v, i) => r1(Math.min(v, high.kW[r]![i]!))), replayHighKW: Array.from(high.kW[r]!, (v, i) => r1(Math.max(v, low.kW[r]![i]!))) } : {}),
      baseCapped: Array.from(base.capped[r]!, r1),
      replayCapped: Array.from(other.capped[r]!, r1),
    };
  });
  const reproduction = { maxErrKW: r2(maxErrKW), maxErrPct: r2(maxErrPct) };
  const a = side('as recorded', plan.policy, plan.config, base);
  const b = side('replayed', policy, config, other);
  return {
    file: plan.file,
    kind: plan.kind,
    fromMs: plan.fromMs,
    toMs: plan.toMs,
    base: a,
    replay: b,
    series: {
      tMs,
      rows,
      brakes: [
        ...base.brakes.map((x) => ({ tMs: x.tMs, row: t.rows[x.row]!.id, side: 'base' as const })),
        ...other.brakes.map((x) => ({ tMs: x.tMs, row: t.rows[x.row]!.id, side: 'replay' as const })),
      ],
    },
    diff: replayDiff(a, b, reproduction),
    reproduction,
  };
}

/** The report of one re-run over the recording's window (`headroom replay`). */
export function replayReport(plan: ReplayPlan, policy?: ReplayPolicy, config?: PolicyConfig): SimReport {
  return runSide(plan, policy ?? plan.policy, config ?? plan.config).report;
}
