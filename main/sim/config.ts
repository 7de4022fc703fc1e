import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { ScenarioSchema, type Scenario } from '../../shared/domain/scenario.js';
import { TopologyFileSchema, type Topology } from '../../shared/domain/topology.js';
import { defaultTopologySpec, resolveTopology, TopologyError } from '../core/topology.js';
import { gb200Scenario } from './gb200Scenario.js';
import { defaultScenario } from './defaultScenario.js';
import { parseAzureTrace, type Trace } from './traces.js';
import { checkReferences, ScenarioError } from './references.js';

/** A configuration file that cannot be used: names the file, the line (when known) and the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${field || '(document)'}: ${reason}`);
  }
}

/** YAML aliases a configuration may expand (the `yaml` package's maxAliasCount). */
export const YAML_MAX_ALIASES = 100;

/** Parse YAML or JSON text and validate it; every error carries file, line and field path. */
export function parseConfig<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(file, lineCounter.linePos(e.pos[0]).line, '', e.message.split('\n')[0]!);
  }
  let data: unknown;
  try {
    // Aliases expand on the way to JS: bounded, or a few lines of YAML ("billion laughs") would fill memory.
    data = doc.toJS({ maxAliasCount: YAML_MAX_ALIASES });
  } catch (e) {
    const bomb = /alias/i.test((e as Error).message);
    throw new ConfigError(file, null, '', bomb ? `too many YAML alias expansions (over ${YAML_MAX_ALIASES}); refused` : (e as Error).message.split('\n')[0]!);
  }
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.map((p) => String(p));
  let line: number | null = null;
  for (let k = path.length; k >= 0 && line === null; k--) {
    const node: unknown = k === 0 ? doc.contents : doc.getIn(path.slice(0, k), true);
    if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
  }
  const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
  throw new ConfigError(file, line, field, issue.message);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, null, '', `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Data shipped with Headroom (traces), located relative to this module in source and in dist alike. */
export function dataDir(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(resolve(dir, 'data', 'traces'))) return resolve(dir, 'data');
    dir = resolve(dir, '..');
  }
  throw new Error('Headroom data folder (data/traces) not found next to the installation');
}

let traceCache: Record<'code' | 'conv', Trace> | null = null;
export function loadTraces(): Record<'code' | 'conv', Trace> {
  if (!traceCache) {
    const dir = resolve(dataDir(), 'traces');
    traceCache = {
      code: parseAzureTrace('AzureLLMInferenceTrace_code.csv', readText(resolve(dir, 'AzureLLMInferenceTrace_code.csv'))),
      conv: parseAzureTrace('AzureLLMInferenceTrace_conv.csv', readText(resolve(dir, 'AzureLLMInferenceTrace_conv.csv'))),
    };
  }
  return traceCache;
}

export interface LoadedScenario {
  scenario: Scenario;
  topology: Topology;
  source: string;
}

/** Load "default" (optionally scaled), "gb200" (sim/gb200Scenario.ts) or a scenario file; resolve its topology. Throws ConfigError. */
export function loadScenario(nameOrFile: string, opts: { scale?: number; cwd?: string } = {}): LoadedScenario {
  let scenario: Scenario;
  let source: string;
  if (nameOrFile === 'default') {
    scenario = ScenarioSchema.parse(defaultScenario(opts.scale ?? 1));
    source = 'default';
  } else if (nameOrFile === 'gb200') {
    scenario = ScenarioSchema.parse(gb200Scenario());
    source = 'gb200';
  } else {
    source = isAbsolute(nameOrFile) ? nameOrFile : resolve(opts.cwd ?? process.cwd(), nameOrFile);
    scenario = parseConfig(ScenarioSchema, readText(source), source);
    if (opts.scale && opts.scale !== scenario.scale) scenario = { ...scenario, scale: opts.scale };
  }
  let topology: Topology;
  if (typeof scenario.topology === 'string' && scenario.topology !== 'default') {
    // A separate topology file: its own errors name its own file and line.
    topology = loadTopologyFile(resolve(source === 'default' ? (opts.cwd ?? process.cwd()) : dirname(source), scenario.topology));
  } else {
    const spec = scenario.topology === 'default' ? defaultTopologySpec(scenario.scale) : TopologyFileSchema.parse(scenario.topology);
    try {
      topology = resolveTopology(spec);
    } catch (e) {
      if (e instanceof TopologyError) throw new ConfigError(source, null, `topology.${e.path}`, e.message.slice(e.path.length + 2));
      throw e;
    }
  }
  try {
    checkReferences(scenario, topology);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ConfigError(source, null, e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
  return { scenario, topology, source };
}

/** Load a standalone topology file (YAML or JSON). */
export function loadTopologyFile(file: string): Topology {
  const spec = parseConfig(TopologyFileSchema, readText(file), file);
  try {
    return resolveTopology(spec);
  } catch (e) {
    if (e instanceof TopologyError) throw new ConfigError(file, null, e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
}
