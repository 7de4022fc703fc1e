import { parseArgs } from 'node:util';
import { progressBar } from './progress.js';
import { summaryLine } from '../app/simSummary.js';
import { sweepSummaryLine } from '../app/sweepSummary.js';
import { num, UsageError } from './usage.js';

/** `headroom sim`: one run of a scenario (or `--record` it), or a capacity sweep (`--sweep`), as JSON and a summary line. */
export async function simCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      scenario: { type: 'string', default: 'default' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      out: { type: 'string' },
      scale: { type: 'string' },
      db: { type: 'string' },
      sweep: { type: 'string' },
      policy: { type: 'string' },
      policies: { type: 'string' },
      seeds: { type: 'string' },
      demand: { type: 'string' },
      compare: { type: 'boolean', default: false },
      record: { type: 'string' },
      mitigation: { type: 'string' },
      planner: { type: 'string' },
      workflows: { type: 'string' },
    },
  });
  const { runSim, writeJsonAtomic, DEFAULT_SIM_POLICY } = await import('./sim.js');
  // A day of workflows by default (their planner works by the hour); an hour for everything else.
  const durationS = num(values.duration ?? (values.scenario === 'workflows' ? '86400' : '3600'), 'duration', { min: 1, max: 30 * 24 * 3600 })!;
  if (values.scenario === 'workflows' || values.planner !== undefined || values.workflows !== undefined) return workflowsCommand(values, durationS, writeJsonAtomic);
  const demands = ['production', 'bursty'] as const;
  const demand = values.demand === undefined ? undefined : demands.find((d) => d === values.demand);
  if (values.demand !== undefined && !demand) throw new UsageError(`--demand must be one of ${demands.join(', ')}, got "${values.demand}"`);
  const allPolicies = ['headroom', 'polca', 'polca-no-priority', 'none', 'tapas', 'murakkab'] as const;
  const policyOf = <P extends string>(name: string, flag: string, among: readonly P[]): P => {
    const p = among.find((x) => x === name);
    if (!p) throw new UsageError(`${flag} must be one of ${among.join(', ')}, got "${name}"`);
    return p;
  };
  // A sweep runs one row with one service: nothing for TAPAS's routing to steer between, no declared workflows to
  // re-plan, so neither is among them.
  const sweepPolicies = allPolicies.filter((p) => p !== 'tapas' && p !== 'murakkab');
  if (values.sweep !== undefined) {
    const m = /^servers=(\d+)(?:\.\.(\d+)(?::(\d+))?)?$/.exec(values.sweep);
    if (!m) throw new UsageError(`--sweep must look like servers=56, servers=40..60 or servers=40..60:2, got "${values.sweep}"`);
    const [from, to, step] = [Number(m[1]), Number(m[2] ?? m[1]), Number(m[3] ?? 2)];
    if (!(from >= 1 && to <= 400 && to >= from && step >= 1)) throw new UsageError(`--sweep: need 1 ≤ from ≤ to ≤ 400 and step ≥ 1, got ${from}..${to}:${step}`);
    if (values.scenario !== 'default' || values.scale || values.db) throw new UsageError('--sweep runs its own one-row scenario: --scenario, --scale and --db do not apply');
    if (values.policy !== undefined) throw new UsageError('--sweep runs every policy of --policies (comma-separated), not --policy');
    if (values.seeds !== undefined && values.seed !== undefined) throw new UsageError('give --seed N or --seeds A..B, not both');
    const policies = values.policies === undefined ? undefined : [...new Set(values.policies.split(',').map((x) => policyOf(x.trim(), '--policies', sweepPolicies)))];
    let seeds: number[] | undefined;
    if (values.seeds !== undefined) {
      const sm = /^(\d+)\.\.(\d+)$/.exec(values.seeds);
      if (!sm || Number(sm[2]) < Number(sm[1]) || Number(sm[2]) - Number(sm[1]) >= 1000) throw new UsageError(`--seeds must look like 1..100 (at most 1,000 seeds), got "${values.seeds}"`);
      seeds = Array.from({ length: Number(sm[2]) - Number(sm[1]) + 1 }, (_, i) => Number(sm[1]) + i);
    }
    const { runSweep } = await import('../app/planner.js');
    const t0 = performance.now();
    const result = await runSweep(
      { fromServers: from, toServers: to, step, durationS, seed: num(values.seed, 'seed', { int: true, min: 0 }), ...(policies ? { policies } : {}), ...(seeds ? { seeds } : {}), ...(demand ? { demand } : {}) },
      progressBar(`sweep ${from}..${to}`),
    );
    if (values.out) writeJsonAtomic(values.out, result);
    else console.log(JSON.stringify(result, null, 2));
    console.error(sweepSummaryLine(result, (performance.now() - t0) / 1000, values.out));
    return;
  }
  if (values.policies !== undefined || values.seeds !== undefined) throw new UsageError('--policies and --seeds apply to --sweep');
  if (values.scenario === 'training-swings' || values.mitigation !== undefined) return gridCommand(values, durationS, writeJsonAtomic);
  const policy = values.policy === undefined ? DEFAULT_SIM_POLICY : policyOf(values.policy, '--policy', allPolicies);
  if (values.record && (values.compare || values.db)) throw new UsageError('--record keeps its own telemetry: --compare and --db do not apply');
  const t0 = performance.now();
  const common = {
    scenario: values.scenario,
    seed: num(values.seed, 'seed', { int: true, min: 0 }),
    durationS,
    scale: num(values.scale, 'scale', { int: true, min: 1, max: 64 }),
    onProgress: progressBar(`sim ${values.scenario}`),
  };
  const report = values.record
    ? (await import('./history.js')).simAndRecord({ ...common, policy, out: values.record, ...(demand ? { demand } : {}) })
    : runSim({ ...common, policy, compare: values.compare, db: values.db ?? null, ...(demand ? { demand } : {}) });
  const wallS = (performance.now() - t0) / 1000;
  if (values.out) writeJsonAtomic(values.out, report);
  else console.log(JSON.stringify(report, null, 2));
  console.error(summaryLine(report, wallS, durationS, values.out));
}

/** `headroom sim --scenario training-swings --mitigation none|smoothing|burn|storage|stagger|all` (issue 15): app/gridSim.ts. */
async function gridCommand(values: Record<string, string | boolean | undefined>, durationS: number, writeJsonAtomic: (file: string, data: unknown) => void): Promise<void> {
  const { MITIGATIONS } = await import('../../shared/domain/grid.js');
  if (values.scenario !== 'training-swings') throw new UsageError(`--mitigation applies to --scenario training-swings, not "${String(values.scenario)}"`);
  for (const flag of ['scale', 'db', 'policy', 'demand', 'record'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --scenario training-swings`);
  if (values.compare) throw new UsageError('--compare does not apply to --scenario training-swings: every run reports the unmitigated baseline beside it');
  const name = (values.mitigation as string | undefined) ?? 'none';
  const mitigation = MITIGATIONS.find((m) => m === name);
  if (!mitigation) throw new UsageError(`--mitigation must be one of ${MITIGATIONS.join(', ')}, got "${name}"`);
  if (durationS > 24 * 3600) throw new UsageError(`--duration: at most 86400 s for training-swings (10 ms steps), got ${durationS}`);
  const { runGridScenario, gridSummaryLine } = await import('../app/gridSim.js');
  const t0 = performance.now();
  const report = runGridScenario({ mitigation, durationS, seed: num(values.seed as string | undefined, 'seed', { int: true, min: 0 }), onProgress: progressBar(`sim training-swings ${mitigation}`) });
  if (values.out) writeJsonAtomic(values.out as string, report);
  else console.log(JSON.stringify(report, null, 2));
  console.error(gridSummaryLine(report, (performance.now() - t0) / 1000, values.out as string | undefined));
}

/** `headroom sim --scenario workflows --planner fixed|best-static|murakkab [--compare] [--workflows FILE]` (issue 16): app/workflowSim.ts. */
async function workflowsCommand(values: Record<string, string | boolean | undefined>, durationS: number, writeJsonAtomic: (file: string, data: unknown) => void): Promise<void> {
  if (values.scenario !== 'workflows') throw new UsageError(`--planner and --workflows apply to --scenario workflows, not "${String(values.scenario)}"`);
  for (const flag of ['scale', 'db', 'policy', 'demand', 'record', 'mitigation', 'sweep'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --scenario workflows`);
  const { PLANNERS, runWorkflowsScenario, workflowsSummaryLine } = await import('../app/workflowSim.js');
  const name = (values.planner as string | undefined) ?? 'murakkab';
  const planner = PLANNERS.find((p) => p === name);
  if (!planner) throw new UsageError(`--planner must be one of ${PLANNERS.join(', ')}, got "${name}"`);
  if (durationS < 3600 || durationS > 7 * 86400) throw new UsageError(`--duration: 3600..604800 s for workflows (the planner works by the hour), got ${durationS}`);
  let file;
  if (typeof values.workflows === 'string') {
    const { readFileSync } = await import('node:fs');
    const { readConfig, ConfigError } = await import('../sim/config.js');
    const { WorkflowsFileSchema } = await import('../../shared/domain/workflows.js');
    const { checkWorkflowModels } = await import('../core/workflows/service.js');
    let text: string;
    try {
      text = readFileSync(values.workflows, 'utf8');
    } catch (e) {
      throw new UsageError(`--workflows: cannot read ${values.workflows}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const located = readConfig(WorkflowsFileSchema, text, values.workflows);
    file = located.value;
    const bad = checkWorkflowModels(file);
    if (bad) throw new ConfigError(values.workflows, located.lineOf(bad.field), bad.field, bad.message);
  }
  const report = runWorkflowsScenario({ planner, durationS, seed: num(values.seed as string | undefined, 'seed', { int: true, min: 0 }), compare: values.compare === true, ...(file ? { file } : {}) });
  if (values.out) writeJsonAtomic(values.out as string, report);
  else console.log(JSON.stringify(report, null, 2));
  console.error(workflowsSummaryLine(report, values.out as string | undefined));
}
