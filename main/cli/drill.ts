import { parseArgs } from 'node:util';
import { DRILLS, drillById } from '../../shared/domain/drills.js';
import { drillReportAuto } from '../app/drill.js';
import { writeJsonAtomic } from './sim.js';
import { num, UsageError } from './usage.js';

const USAGE = 'usage: headroom drill list | headroom drill run NAME --auto [--out report.json] [--seed N] [--warm S]';

/**
 * `headroom drill list`: the library. `headroom drill run NAME --auto`: the drill on its site, Headroom's controller
 * scored beside nobody responding (app/drill.ts); the report (JSON, keys drill, score, detectS, firstActionS,
 * overBudgetS, maxInletC, maxGpuC, brakes, sloImpact, sides) to --out or stdout, a summary line to stderr.
 */
export function drillCommand(args: string[]): number {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    if (rest.length) throw new UsageError(USAGE);
    for (const d of DRILLS) console.log(`${d.id.padEnd(22)} ${d.scenario.padEnd(8)} ${String(d.durationS).padStart(4)} s  rows ${d.rows.join(',').padEnd(8)} ${d.title}`);
    return 0;
  }
  if (sub !== 'run') throw new UsageError(USAGE);
  const { values, positionals } = parseArgs({ args: rest, strict: true, allowPositionals: true, options: { auto: { type: 'boolean', default: false }, out: { type: 'string' }, seed: { type: 'string' }, warm: { type: 'string', default: '300' } } });
  const [name] = positionals;
  if (!name || positionals.length > 1) throw new UsageError(USAGE);
  const spec = drillById(name);
  if (!spec) throw new UsageError(`no drill "${name}"; the library: ${DRILLS.map((d) => d.id).join(', ')} (headroom drill list)`);
  if (!values.auto) throw new UsageError('headroom drill run scores the automatic controller: give --auto (an operator runs a drill in the console: Drills)');
  const warmS = num(values.warm, 'warm', { min: 0, max: 6 * 3600 })!;
  const t0 = performance.now();
  const report = drillReportAuto(spec, { seed: num(values.seed, 'seed', { int: true, min: 0 }), warmS });
  if (values.out) writeJsonAtomic(values.out, report);
  else console.log(JSON.stringify(report, null, 2));
  const [auto, nobody] = report.sides;
  console.error(
    `drill ${spec.id} (${spec.durationS} s on rows ${spec.rows.join(', ')}, after ${warmS} s): automatic ${auto!.score} / 100 — detect ${auto!.detectS ?? '–'} s, first action ${auto!.firstActionS ?? '–'} s, over budget ${auto!.overBudgetS} s, ${auto!.brakes} brakes, inlet ≤ ${auto!.maxInletC} °C, GPU ≤ ${auto!.maxGpuC} °C, work lost ${(auto!.sloImpact * 100).toFixed(1)} %; nobody responding ${nobody!.score} / 100 (over budget ${nobody!.overBudgetS} s, inlet ≤ ${nobody!.maxInletC} °C) in ${((performance.now() - t0) / 1000).toFixed(1)} s${values.out ? `; report → ${values.out}` : ''}`,
  );
  return 0;
}
