// Speed with the controller in the loop (called from bench/run.ts): the whole tick at 10,240 GPUs with the default controller (Headroom's), the
// store and alerts attached, and the simulation speed-up of the default site under it. Each runs on the compiled
// build (dist/, what `headroom` runs) in a child process of its own, so its first ticks / first run are a fresh
// process's (cold) and the later ones are V8's optimised code (warm).
import { execFileSync } from 'node:child_process';

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Imports and the control plane as main/app/batch.ts runLoaded builds it for the default policy, `--policy headroom` (child-process code). */
const SETUP = `
  const { loadScenario, loadTraces } = await import('./dist/main/sim/config.js');
  const { Simulator } = await import('./dist/main/sim/simulator.js');
  const { SimSource } = await import('./dist/main/sources/simSource.js');
  const { Engine } = await import('./dist/main/engine/engine.js');
  const { ControlService } = await import('./dist/main/engine/control/service.js');
  const { SimActuator } = await import('./dist/main/actuators/simActuator.js');
  const { controlEvents } = await import('./dist/main/core/controlEvents.js');
  const controlled = (engine, sim) => {
    let last = null;
    const control = new ControlService({
      engine, actuator: new SimActuator(sim), audit: null, priorities: sim.gpuPriority(), store: null, mode: 'headroom',
      onChange: (c) => { for (const e of controlEvents(last, c)) engine.note(e); last = c; },
    });
    engine.addService(control);
    return control;
  };`;

/**
 * Runs in `cwd` (default: this checkout), whose dist/ it imports. Plain `-e` (not `--input-type=module`, which the
 * store's worker thread would inherit and refuse), the code in an async function.
 */
const child = <T>(code: string, cwd: string | undefined, env: Record<string, string> = {}): T => {
  const script = `(async () => {${SETUP}${code}\n})().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd, env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
};

export const COLD_TICKS = 30;
/** Warm ticks: the default timeline's s 840…1500, its row-A load spike (900 s, 180 s: caps commanded and released) inside. */
const WARM_FROM = 840;
const WARM_TO = 1500;

/**
 * The whole engine tick for 10,240 GPUs (default site × 8) with the default controller (Headroom's): simulator step (the source poll), ingest and
 * validation, aggregates and meters, the store hand-off (StoreWriter worker, as benchTick), the whole ControlService
 * (reconcile, Headroom's controller + playbooks + arbiter, actuation model, commands to the simulator), alerts. Cold: the first
 * COLD_TICKS ticks of a fresh process; warm: ticks WARM_FROM…WARM_TO, where the controller acts (the load spike on row A).
 */
export function benchFullTick(dir: string, cwd?: string) {
  const code = `
    const { openTelemetryDb } = await import('./dist/main/store/telemetryDb.js');
    const { beginRun } = await import('./dist/main/store/runs.js');
    const { StoreWriter } = await import('./dist/main/store/writer.js');
    const { scenario, topology } = loadScenario('default', { scale: 8 });
    const sim = new Simulator(topology, scenario, loadTraces());
    const file = process.env.BENCH_DB;
    const setup = openTelemetryDb(file);
    const run = beginRun(setup, { kind: 'sim', label: 'bench full tick', topology, meta: {}, startedWallMs: Date.now() });
    setup.close();
    const writer = await StoreWriter.start(file, run, { rows: topology.rows.length, racks: topology.racks.length });
    const engine = new Engine({ topology, source: new SimSource(sim), stepMs: scenario.stepMs, startMs: sim.timeMs, alertRules: scenario.alertRules, sink: writer });
    const control = controlled(engine, sim);
    const tick = [], source = [], service = [], storeWait = [];
    const onTick = control.onTick.bind(control);
    control.onTick = (e, nowMs, stale) => {
      const t0 = performance.now();
      onTick(e, nowMs, stale);
      service.push(performance.now() - t0);
    };
    for (let i = 0; i < ${WARM_TO}; i++) {
      engine.tick();
      tick.push(engine.lastTickMs);
      source.push(engine.lastSourceMs);
      // Real time gives the store worker a second per tick (\`--speed 10\` 100 ms) and it needs a few ms: the next tick
      // starts once it has written this one, as live, so the tick is not timed against the worker on the other core.
      const w0 = performance.now();
      await writer.idle();
      storeWait.push(performance.now() - w0);
    }
    const dropped = writer.stats().dropped;
    await writer.close();
    console.log(JSON.stringify({ gpus: topology.gpuCount, tick, source, service, storeWait, dropped, brakes: control.counts.brakes, caps: control.counts.caps }));`;
  const r = child<{ gpus: number; tick: number[]; source: number[]; service: number[]; storeWait: number[]; dropped: number; brakes: number; caps: number }>(code, cwd, { BENCH_DB: `${dir}/full-tick.db` });
  const cold = r.tick.slice(0, COLD_TICKS);
  const warm = r.tick.slice(WARM_FROM);
  const warmSource = r.source.slice(WARM_FROM);
  const warmService = r.service.slice(WARM_FROM);
  const warmStoreWait = r.storeWait.slice(WARM_FROM);
  return {
    gpus: r.gpus,
    fullP50Ms: r3(quantile(warm, 0.5)),
    fullP99Ms: r3(quantile(warm, 0.99)),
    fullColdP50Ms: r3(quantile(cold, 0.5)),
    fullColdP99Ms: r3(quantile(cold, 0.99)),
    fullFirstTickMs: r3(cold[0]!),
    fullSimStepP50Ms: r3(quantile(warmSource, 0.5)),
    fullSimStepP99Ms: r3(quantile(warmSource, 0.99)),
    fullControlP50Ms: r3(quantile(warmService, 0.5)),
    fullControlP99Ms: r3(quantile(warmService, 0.99)),
    fullStoreWaitP50Ms: r3(quantile(warmStoreWait, 0.5)),
    fullStoreWaitP99Ms: r3(quantile(warmStoreWait, 0.99)),
    fullStoreDropped: r.dropped,
    fullCapCommands: r.caps,
    fullBrakes: r.brakes,
    fullWhat:
      `full*: the whole engine tick at ${r.gpus.toLocaleString('en-US')} GPUs (default site × 8, Headroom's controller as \`headroom sim\` (default policy) builds it): ` +
      'simulator step (source poll) + ingest and validation + aggregates and meters + store hand-off (StoreWriter worker) + ControlService ' +
      "(read-back reconcile, Headroom's controller and playbooks per row, arbiter, actuation model, commands to the simulator) + alerts; compiled build, fresh child process; " +
      `fullCold*: its first ${COLD_TICKS} ticks (fullFirstTickMs: the very first); full*: the ${warm.length} ticks from s ${WARM_FROM} (the row-A load spike of the default timeline at 900 s inside: fullCapCommands, fullBrakes count the whole run); ` +
      'fullSimStep*, fullControl*: the simulator step and the ControlService inside those warm ticks; each tick starts once the store worker has ' +
      'written the one before (fullStoreWait*: that wait, after the tick, not in it), as at real time (1 s per tick) or `--speed 10`, where ' +
      'the worker idles between ticks: back-to-back ticks would time the tick against the worker on the second of 2 cores',
  };
}

/** Simulated s / wall s of the default 1,280-GPU site under the default controller (engine + simulator + control + alerts + report). */
export function benchControlledSim(cwd?: string) {
  const code = `
    const { ReportBuilder } = await import('./dist/main/app/report.js');
    const { scenario, topology } = loadScenario('default');
    const traces = loadTraces();
    const durationS = 3600;
    const runs = [], cpuRuns = [];
    for (let rep = 0; rep < 5; rep++) {
      const sim = new Simulator(topology, scenario, traces);
      const engine = new Engine({ topology, source: new SimSource(sim), stepMs: scenario.stepMs, startMs: sim.timeMs, alertRules: scenario.alertRules });
      const control = controlled(engine, sim);
      const report = new ReportBuilder(engine, durationS, control);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < durationS; i++) {
        const r = engine.tick();
        report.record(r.fired, r.notified);
      }
      const cpu = process.cpuUsage(c0);
      runs.push(Math.round((durationS * 1000) / (performance.now() - t0)));
      cpuRuns.push(Math.round((durationS * 1e6) / (cpu.user + cpu.system)));
    }
    console.log(JSON.stringify({ gpus: topology.gpuCount, durationS, runs, cpuRuns }));`;
  const r = child<{ gpus: number; durationS: number; runs: number[]; cpuRuns: number[] }>(code, cwd);
  return {
    controlledSpeedup: Math.max(...r.runs.slice(1)),
    controlledColdSpeedup: r.runs[0]!,
    controlledRuns: r.runs,
    controlledCpuSpeedup: Math.max(...r.cpuRuns.slice(1)),
    controlledCpuRuns: r.cpuRuns,
    controlledWhat:
      `simulated s / wall s, ${r.gpus.toLocaleString('en-US')} GPUs (default site), ${r.durationS} s at 1 s steps under Headroom's controller as \`headroom sim\` (default policy) ` +
      'builds it (main/app/batch.ts runLoaded: ControlService with SimActuator, the workloads\' priorities, the playbooks): simulator + engine ' +
      '(ingest, aggregates, alerts) + the whole control service + report, no store; compiled build, one child process, 5 runs with fresh state; ' +
      'controlledColdSpeedup: the first run (V8 warming up), controlledSpeedup: the best of the other 4; controlledCpu*: simulated s / CPU s ' +
      'of the process (user + system, GC threads included) for the same runs: not inflated by time slices given to other processes, ' +
      'still by their sharing of cores and caches',
  };
}
