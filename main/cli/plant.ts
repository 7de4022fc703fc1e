import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { PlantSpecSchema } from '../../shared/domain/plant.js';
import { firmBudgets, PlantError, resolvePlant } from '../core/plant.js';
import { ConfigError, loadScenario, parseConfig } from '../sim/config.js';
import { NetboxError, netboxRackFeeds } from '../sources/netbox.js';
import { num, UsageError } from './usage.js';

/** The upstream part of a plant (feeds, UPS, devices; racks come from NetBox). */
const UpstreamSchema = PlantSpecSchema.omit({ racks: true }).strict();

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/**
 * `headroom plant import netbox --feeds power-feeds.json --upstream upstream.yaml [--scenario S] --out plant.yaml`:
 * the site's rack feeds from NetBox, above them the upstream plant; checked against the site's topology (every rack
 * fed, every panel known, the plant resolves) before the file is written (atomically). Prints the derived budgets.
 */
export function plantCommand(args: string[]): number {
  const [sub, kind, ...rest] = args;
  if (sub !== 'import' || kind !== 'netbox') throw new UsageError('usage: headroom plant import netbox --feeds power-feeds.json --upstream upstream.yaml [--scenario NAME|FILE] [--scale N] --out plant.yaml');
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: { feeds: { type: 'string' }, upstream: { type: 'string' }, scenario: { type: 'string', default: 'default' }, scale: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.feeds || !values.upstream || !values.out) throw new UsageError('plant import netbox needs --feeds, --upstream and --out');
  const loaded = loadScenario(values.scenario, { scale: num(values.scale, 'scale', { int: true, min: 1, max: 64 }) });
  const upstream = parseConfig(UpstreamSchema, read(values.upstream), values.upstream);
  try {
    const devices = new Set(upstream.devices.map((d) => d.id));
    const { racks, continuousPct, skipped } = netboxRackFeeds(read(values.feeds), values.feeds, loaded.topology, devices);
    const spec = PlantSpecSchema.parse({ ...upstream, continuousPct: Math.min(upstream.continuousPct, continuousPct), racks });
    const plant = resolvePlant(spec, loaded.topology);
    const b = firmBudgets(plant, loaded.topology);
    const tmp = `${values.out}.tmp-${process.pid}`;
    writeFileSync(tmp, `# From NetBox power feeds (${values.feeds}) under ${values.upstream}; put it under your topology's \`plant:\`.\n${stringify(spec)}`);
    renameSync(tmp, values.out);
    console.error(`${racks.length} racks fed from ${new Set(racks.flatMap((r) => [r.a, r.b].filter(Boolean))).size} panels (${skipped} feeds skipped: not active or not wired to a rack) → ${values.out}`);
    loaded.topology.rows.forEach((r, i) => console.error(`  row ${r.id}: ${b.rowKW[i]} kW, limited by ${b.limitedBy[i]}`));
    return 0;
  } catch (e) {
    if (e instanceof NetboxError) throw new UsageError(e.message);
    if (e instanceof PlantError) throw new ConfigError(values.upstream, null, e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
}
