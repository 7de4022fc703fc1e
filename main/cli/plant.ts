import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { PlantSpecSchema, type PlantSpecInput } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { firmBudgets, PlantError, resolvePlant } from '../core/plant.js';
import { ConfigError, loadScenario, parseConfig } from '../sim/config.js';
import { DcimError, type DcimText } from '../sources/dcimJson.js';
import { dcimYamlPlant } from '../sources/dcimYaml.js';
import { netboxPlant } from '../sources/netbox.js';
import { num, UsageError } from './usage.js';

/** The upstream part of a plant (feeds, UPS, devices; racks come from NetBox). */
const UpstreamSchema = PlantSpecSchema.omit({ racks: true }).strict();

const USAGE = 'usage: headroom plant import netbox --feeds F --upstream upstream.yaml --out plant.yaml [--panels F] [--racks F --site SLUG] [--ports F --devices F], or headroom plant import yaml --in site-dcim.yaml --out plant.yaml (both: [--scenario NAME|FILE] [--scale N]; headroom help)';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
const texts = (files: readonly string[] | undefined): DcimText[] => (files ?? []).map((file) => ({ file, text: read(file) }));

/**
 * `headroom plant import netbox …` (rack feeds from NetBox under an upstream plant) and `headroom plant import yaml
 * --in site-dcim.yaml` (Headroom's own DCIM inventory): the plant is checked against the site's topology (every rack
 * fed, every panel known, the plant resolves) before the file is written, atomically; on any problem one line (file,
 * object, field), exit 2 and nothing written. Prints the derived budgets, and warnings that do not stop the import.
 */
export function plantCommand(args: string[]): number {
  const [sub, kind, ...rest] = args;
  if (sub !== 'import' || (kind !== 'netbox' && kind !== 'yaml')) throw new UsageError(USAGE);
  const files = { type: 'string', multiple: true } as const;
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      feeds: files, panels: files, ports: files, devices: files, racks: files,
      site: { type: 'string' }, upstream: { type: 'string' }, in: { type: 'string' },
      scenario: { type: 'string', default: 'default' }, scale: { type: 'string' }, out: { type: 'string' },
    },
  });
  const given = (k: keyof typeof values) => values[k] !== undefined;
  if (kind === 'netbox') {
    if (!values.feeds || !values.upstream || !values.out) throw new UsageError('plant import netbox needs --feeds, --upstream and --out');
    if (given('in')) throw new UsageError('plant import netbox takes --feeds (and --panels, --ports, --devices, --racks), not --in');
  } else {
    if (!values.in || !values.out) throw new UsageError('plant import yaml needs --in and --out');
    const stray = (['feeds', 'panels', 'ports', 'devices', 'racks', 'site', 'upstream'] as const).filter(given);
    if (stray.length) throw new UsageError(`plant import yaml takes --in, not --${stray.join(', --')}`);
  }
  const loaded = loadScenario(values.scenario, { scale: num(values.scale, 'scale', { int: true, min: 1, max: 64 }) });
  const source = kind === 'netbox' ? values.upstream! : values.in!;
  try {
    if (kind === 'yaml') {
      const { spec, site } = dcimYamlPlant(read(values.in!), values.in!, loaded.topology);
      const summary = `${loaded.topology.racks.length} racks under ${spec.devices?.length ?? 0} panels, ${spec.ups.length} UPS`;
      return write(spec, loaded.topology, values.out, source, `From ${values.in}${site ? ` (${site})` : ''}`, [summary]);
    }
    const upstream = parseConfig(UpstreamSchema, read(values.upstream!), values.upstream!);
    const nb = netboxPlant(
      { feeds: texts(values.feeds), panels: texts(values.panels), ports: texts(values.ports), devices: texts(values.devices), racks: texts(values.racks), ...(values.site ? { site: values.site } : {}) },
      loaded.topology,
      new Set(upstream.devices.map((d) => d.id)),
      values.upstream!,
    );
    const spec = { ...upstream, continuousPct: Math.min(upstream.continuousPct, nb.continuousPct), racks: nb.racks };
    const inputs = [['power feeds', values.feeds], ['panels', values.panels], ['ports', values.ports], ['devices', values.devices], ['racks', values.racks]] as const;
    const header = `From NetBox (${inputs.filter(([, f]) => f?.length).map(([k, f]) => `${k}: ${f!.join(', ')}`).join('; ')}${values.site ? `; site ${values.site}` : ''}) under ${values.upstream}`;
    const lines = [`${loaded.topology.racks.length} racks fed from ${nb.panels.length} panels (${nb.skipped} feeds skipped: not active, not wired to a rack, or at another site)`];
    if (values.ports?.length) {
      const sum = (k: 'allocatedW' | 'nameplateW') => ([...nb.draws.values()].reduce((s, d) => s + d[k], 0) / 1000).toFixed(1);
      lines.push(`power ports: ${[...nb.draws.values()].reduce((s, d) => s + d.ports, 0)} on ${nb.draws.size} racks draw ${sum('allocatedW')} kW allocated, ${sum('nameplateW')} kW nameplate (${nb.portsSkipped} left out: no draw recorded, or at another site)`);
    }
    return write(spec, loaded.topology, values.out, source, header, lines, nb.warnings);
  } catch (e) {
    if (e instanceof DcimError) throw new UsageError(e.message);
    if (e instanceof PlantError) throw new ConfigError(source, null, e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
}

/**
 * Check the spec resolves on the site, write it (temporary file, then rename: all or nothing), print what it gives:
 * the summary lines (the first ends with the output file), each row's budget, then the warnings.
 */
function write(input: PlantSpecInput, topology: Topology, out: string, source: string, header: string, summary: string[], warnings: string[] = []): number {
  const parsed = PlantSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(source, null, `plant.${issue.path.map(String).join('.')}`, issue.message);
  }
  const spec = parsed.data;
  const b = firmBudgets(resolvePlant(spec, topology), topology);
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `# ${header}; put it under your topology's \`plant:\`.\n${stringify(spec)}`);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  summary.forEach((l, i) => console.error(i === 0 ? `${l} → ${out}` : l));
  topology.rows.forEach((r, i) => console.error(`  row ${r.id}: ${b.rowKW[i]} kW, limited by ${b.limitedBy[i]}`));
  for (const w of warnings) console.error(`warning: ${w}`);
  return 0;
}
