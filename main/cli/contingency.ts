import { parseArgs } from 'node:util';
import { contingencyReport } from '../app/contingency.js';
import { loadScenario } from '../sim/config.js';
import { num, UsageError } from './usage.js';
import { overloadText } from '../../shared/domain/plantText.js';

/** `headroom contingency`. Exit 0 when every single failure is survivable in time, 1 when one is not. */
export function contingencyCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { maintenance: { type: 'string', multiple: true, default: [] }, scenario: { type: 'string', default: 'default' }, scale: { type: 'string' }, seed: { type: 'string' }, at: { type: 'string', default: '300' }, json: { type: 'boolean', default: false } },
  });
  const atS = num(values.at, 'at', { int: true, min: 1, max: 86_400 })!;
  const loaded = loadScenario(values.scenario, { scale: num(values.scale, 'scale', { int: true, min: 1, max: 64 }) });
  if (!loaded.topology.plant) throw new UsageError(`${values.scenario}: its topology describes no plant (add \`plant:\`; docs/SCENARIOS.md)`);
  const r = contingencyReport(loaded, { atS, seed: num(values.seed, 'seed', { int: true, min: 0 }), maintenance: values.maintenance.flatMap((m) => m.split(',')).map((m) => m.trim()).filter(Boolean) });
  if (values.json) console.log(JSON.stringify(r, null, 2));
  else {
    if (r.maintenance.length) console.log(`maintenance: ${r.maintenance.join(', ')} out of service`);
    console.log(`${r.scenario}: ${r.gpus.toLocaleString('en-US')} GPUs, ${r.devices} plant devices, ${r.contingencies.length} single failures analysed in ${r.analysisMs} ms (loads at ${r.atS} s)`);
    for (const b of r.budgets) console.log(`  row ${b.row}: budget ${b.budgetKW} kW, limited by ${b.limitedBy}`);
    for (const c of r.contingencies.filter((x) => x.overloads.length > 0 || x.racksLost.length > 0)) {
      const over = c.overloads.map(overloadText).join(', ');
      const lost = c.racksLost.length ? `; loses ${c.racksLost.length} racks` : '';
      const resp = c.response.capsKW > 0 ? `; cap ${c.response.capsKW} kW (${c.response.path}, lands in ${c.response.landsInS} s, −${c.response.costPct} % throughput)` : '';
      console.log(`  ${!c.inTime ? 'LATE' : c.racksLost.length ? 'LOST' : 'ok  '} ${c.device}: ${over || 'no overload'}${lost}${resp}`);
    }
    console.log(r.unsafe.length === 0 ? 'every single failure is survivable in time' : `NOT survivable in time: ${r.unsafe.join(', ')}`);
  }
  return r.unsafe.length === 0 ? 0 : 1;
}
