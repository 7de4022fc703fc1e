import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PolicyConfigSchema } from '../shared/domain/control.js';
import { BOUNDS, runSchedule, type CheckResult } from '../test/fixtures/faultCheck.js';
import type { Example, ViolationKind } from '../test/fixtures/faultPlantBase.js';
import { FAULT, randomSchedule, scheduleSeed } from '../test/fixtures/faultSchedules.js';
import type { SoakPart, SoakSection } from './types.js';

/**
 * The closed loop under random fault schedules (issue 11): the real Engine + ControlService on a row of four host
 * agents (test/fixtures/faultPlant.ts: FaultPlant models agent.ts's lease and safe cap and the console's fleet
 * actuator), each schedule drawing hosts gone silent, whole-source stalls, actuator failures (commands to a host lost),
 * actuation delays, a budget loss and sometimes the brake path failing for good. Checked per schedule (runSchedule):
 *   - 0 releases on stale data: per GPU and channel (limit, lock, brake), decided by the control service while that
 *     GPU's reading was stale (its own flag or the whole source); and re-sends that loosened a GPU at its agent while
 *     the console saw it stale;
 *   - 0 commands outside the device limits;
 *   - every stretch above the true budget no longer than brake latency (+ the actuation delay in force) + 1 tick while
 *     the brake path works, and no longer than lease + interval from the failure when it does not.
 * 100,000 schedules (1,000 with --quick) from one seed, split over two worker threads for the full run.
 */

/** The run's seed: schedule i is randomSchedule(scheduleSeed(SEED, i)), reproducible alone. */
export const SEED = 2026;
export const FULL_RUNS = 100_000;
export const QUICK_RUNS = 1_000;
/** Examples kept per kind of violation. */
const EXAMPLES_PER_KIND = 3;
const KINDS: readonly ViolationKind[] = ['staleRelease', 'staleResend', 'badCommand', 'brakeBound', 'leaseBound'];
const BRAKE_S = PolicyConfigSchema.parse({}).actuation.brakeS;

/**
 * What a range of schedules measured (mergeable across workers): a schedule's figures (faultCheck.ts CheckResult, less
 * its seed) summed or maxed over the runs, with the number of runs and of those whose brake path failed.
 */
export type Tally = Omit<CheckResult, 'seed'> & {
  runs: number;
  brakePathFailed: number;
};

export function emptyTally(): Tally {
  return {
    runs: 0,
    ticks: 0,
    overTicks: 0,
    staleRelease: 0,
    staleResend: 0,
    staleResendReapply: 0,
    badCommand: 0,
    brakeBound: 0,
    leaseBound: 0,
    brakeBoundUndercount: 0,
    leaseBoundUndercount: 0,
    undercountTicks: 0,
    brakeStretches: 0,
    leaseStretches: 0,
    worstBrakeStretch: 0,
    worstBrakeExcess: -Infinity,
    worstBrakeExcessClean: -Infinity,
    worstLeaseStretch: 0,
    worstLeaseExcess: -Infinity,
    worstLeaseExcessClean: -Infinity,
    lostCommands: 0,
    sentCommands: 0,
    lapses: 0,
    reapplies: 0,
    brakePathFailed: 0,
    examples: [],
  };
}

const SUMS = ['ticks', 'overTicks', 'staleRelease', 'staleResend', 'staleResendReapply', 'badCommand', 'brakeBound', 'leaseBound', 'brakeBoundUndercount', 'leaseBoundUndercount', 'undercountTicks', 'brakeStretches', 'leaseStretches', 'lostCommands', 'sentCommands', 'lapses', 'reapplies'] as const;
const MAXES = ['worstBrakeStretch', 'worstBrakeExcess', 'worstBrakeExcessClean', 'worstLeaseStretch', 'worstLeaseExcess', 'worstLeaseExcessClean'] as const;

function addExamples(into: Example[], from: readonly Example[]): void {
  for (const e of from) if (into.filter((x) => x.kind === e.kind).length < EXAMPLES_PER_KIND) into.push(e);
}

/** Fold one schedule's result into a tally. */
export function add(t: Tally, r: CheckResult, brakePathFailed: boolean): void {
  t.runs++;
  for (const k of SUMS) t[k] += r[k];
  for (const k of MAXES) t[k] = Math.max(t[k], r[k]);
  if (brakePathFailed) t.brakePathFailed++;
  addExamples(t.examples, r.examples);
}

export function merge(a: Tally, b: Tally): Tally {
  const t = { ...a, examples: [...a.examples] };
  t.runs += b.runs;
  t.brakePathFailed += b.brakePathFailed;
  for (const k of SUMS) t[k] += b[k];
  for (const k of MAXES) t[k] = Math.max(t[k], b[k]);
  addExamples(t.examples, b.examples);
  return t;
}

/** Run schedules [from, to) of the run seeded `seed`. */
export function runRange(seed: number, from: number, to: number, progress?: (done: number) => void): Tally {
  const t = emptyTally();
  for (let i = from; i < to; i++) {
    const s = randomSchedule(scheduleSeed(seed, i));
    add(t, runSchedule(s), s.brakePathFailsAt !== null);
    if (progress && (i + 1 - from) % 1000 === 0) progress(i + 1 - from);
  }
  return t;
}

export function violations(t: Tally): number {
  return KINDS.reduce((a, k) => a + t[k], 0);
}

interface Job {
  kind: 'soak:closedLoop';
  seed: number;
  from: number;
  to: number;
}
type FromWorker = { type: 'progress'; done: number } | { type: 'done'; tally: Tally };

/** Split [0, runs) over `workers` worker threads (this module, under tsx), merging their tallies. */
export async function runInWorkers(seed: number, runs: number, workers: number, log: (line: string) => void): Promise<Tally> {
  const done = new Array<number>(workers).fill(0);
  let logged = 0;
  const parts = Array.from({ length: workers }, (_, w) => {
    const job: Job = { kind: 'soak:closedLoop', seed, from: Math.floor((runs * w) / workers), to: Math.floor((runs * (w + 1)) / workers) };
    return new Promise<Tally>((resolve, reject) => {
      // Node 20 does not run a worker's .ts entry under tsx (`execArgv: ['--import', 'tsx']` fails with "Unknown file
      // extension"): the worker registers tsx itself, then imports this module.
      const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
      const worker = new Worker(boot, { eval: true, workerData: job });
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'done') return resolve(m.tally);
        done[w] = m.done;
        const all = done.reduce((a, b) => a + b, 0);
        if (all - logged >= runs / 10) {
          logged = all;
          log(`${all.toLocaleString('en')}/${runs.toLocaleString('en')} schedules`);
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (code !== 0) reject(new Error(`closed-loop worker ${w} exited with code ${code}`));
      });
    });
  });
  return (await Promise.all(parts)).reduce(merge, emptyTally());
}

const num = (x: number) => x.toLocaleString('en');
/** -Infinity (nothing of that kind ran) as 'n/a'. */
const orNa = (x: number): number | string => (Number.isFinite(x) ? x : 'n/a');

export function describeExample(e: Example): string {
  return `schedule ${e.seed}, tick ${e.tick}${e.gpu >= 0 ? `, GPU ${e.gpu}` : ''}: ${e.detail}`;
}

export function section(t: Tally, seed: number, wallS: number, workers: number): SoakSection {
  const pass = violations(t) === 0;
  const brakeBounds = `${BRAKE_S + 1}–${BRAKE_S + 1 + FAULT.maxDelayTicks}`;
  const figures: SoakSection['figures'] = {
    seed,
    schedules: t.runs,
    ticks: t.ticks,
    workers,
    gpus: FAULT.gpus,
    hosts: FAULT.hosts,
    leaseS: FAULT.leaseMs / 1000,
    safeCapW: FAULT.safeCapW,
    brakePathFailedSchedules: t.brakePathFailed,
    ticksAboveBudget: t.overTicks,
    staleReleases: t.staleRelease,
    staleResends: t.staleResend,
    staleResendsAfterLapse: t.staleResendReapply,
    commandsOutsideLimits: t.badCommand,
    brakeStretches: t.brakeStretches,
    brakeBoundTicks: brakeBounds,
    worstBrakeStretchTicks: t.worstBrakeStretch,
    worstBrakeExcessTicks: orNa(t.worstBrakeExcess),
    worstBrakeExcessWithoutUndercountTicks: orNa(t.worstBrakeExcessClean),
    brakeBoundViolations: t.brakeBound,
    leaseStretches: t.leaseStretches,
    leaseBoundTicks: BOUNDS.leaseBound,
    worstLeaseStretchTicks: t.worstLeaseStretch,
    worstLeaseExcessTicks: orNa(t.worstLeaseExcess),
    worstLeaseExcessWithoutUndercountTicks: orNa(t.worstLeaseExcessClean),
    leaseBoundViolations: t.leaseBound,
    boundViolationsWhileStaleUndercount: t.brakeBoundUndercount + t.leaseBoundUndercount,
    staleUndercountTicks: t.undercountTicks,
    commandsSent: t.sentCommands,
    commandsLost: t.lostCommands,
    leaseLapses: t.lapses,
    fullResends: t.reapplies,
    firstExamples: t.examples.map(describeExample).join(' | '),
  };
  const lines = [
    `${num(t.runs)} random fault schedules (seed ${seed}; ${num(t.ticks)} ticks of 1 s, 60–240 per schedule) through the real Engine + ControlService ` +
      `on a row of ${FAULT.hosts} host agents × ${FAULT.gpusPerHost} H100 (lease ${FAULT.leaseMs / 1000} s, safe cap ${FAULT.safeCapW} W: all GPUs at it + servers fit the lowest budget): ` +
      `hosts silent, whole-source stalls, actuator failures (${num(t.lostCommands)} of ${num(t.sentCommands)} commands lost, ${num(t.lapses)} lease lapses), ` +
      `actuation delays of 1–${FAULT.maxDelayTicks} s, budget losses up to ${FAULT.maxLossFraction * 100} %, and the brake path failing for good in ${num(t.brakePathFailed)} schedules. ` +
      `${num(t.overTicks)} ticks above the true budget.`,
    `Releases on stale data (per GPU; limit, lock, brake): **${t.staleRelease}** decided by the control service; **${t.staleResend}** re-sends that loosened a GPU at its agent ` +
      `while the console saw it stale (${t.staleResendReapply} of them the fleet actuator's full re-send after a failed command or a lapsed lease).`,
    `Commands outside the device limits: **${t.badCommand}**.`,
    `Brake path working: ${num(t.brakeStretches)} stretches above the budget, longest ${t.worstBrakeStretch} ticks; **${t.brakeBound} longer than brake latency + delay + 1 tick** ` +
      `(${brakeBounds} ticks; worst excess ${orNa(t.worstBrakeExcess)}, ${orNa(t.worstBrakeExcessClean)} where the engine never undercounted the row).`,
    `Brake path failed: ${num(t.leaseStretches)} stretches, longest ${t.worstLeaseStretch} ticks from the failure; **${t.leaseBound} longer than lease + interval** ` +
      `(${BOUNDS.leaseBound} ticks; worst excess ${orNa(t.worstLeaseExcess)}, ${orNa(t.worstLeaseExcessClean)} where the engine never undercounted the row).`,
    ...(t.brakeBound + t.leaseBound > 0
      ? [
          `${t.brakeBoundUndercount + t.leaseBoundUndercount} of the ${t.brakeBound + t.leaseBound} stretches over a bound ran while the engine, stale, counted the row below its true power ` +
            `(${num(t.undercountTicks)} such ticks; a stale GPU must count at its maximum limit, engine.ts markStale).`,
        ]
      : []),
    ...t.examples.map((e) => `- ${e.kind}: ${describeExample(e)}`),
    `${wallS.toFixed(0)} s on ${workers} thread${workers > 1 ? 's' : ''}.`,
  ];
  return { id: 'closedLoop', title: 'Closed loop under random fault schedules', pass, figures, lines, wallS };
}

export const closedLoop: SoakPart = async (o) => {
  const t0 = performance.now();
  const runs = o.quick ? QUICK_RUNS : FULL_RUNS;
  const workers = o.quick ? 1 : Math.max(1, Math.min(2, availableParallelism()));
  o.log(`${num(runs)} schedules, seed ${SEED}, ${workers} thread${workers > 1 ? 's' : ''}`);
  const tally =
    workers > 1
      ? await runInWorkers(SEED, runs, workers, o.log)
      : runRange(SEED, 0, runs, (done) => {
          if (done % Math.max(1000, runs / 10) === 0) o.log(`${num(done)}/${num(runs)} schedules`);
        });
  const wallS = (performance.now() - t0) / 1000;
  o.log(`${num(tally.runs)} schedules, ${num(tally.ticks)} ticks in ${wallS.toFixed(1)} s: ${violations(tally)} violations`);
  return section(tally, SEED, Math.round(wallS * 10) / 10, workers);
};

// A worker thread of the full run (runInWorkers): only for a job of this part, not for any worker that imports it.
if (!isMainThread && (workerData as Job | undefined)?.kind === 'soak:closedLoop') {
  const job = workerData as Job;
  const post = (m: FromWorker) => parentPort!.postMessage(m);
  const tally = runRange(job.seed, job.from, job.to, (done) => post({ type: 'progress', done }));
  post({ type: 'done', tally });
}
