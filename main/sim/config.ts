import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isMap, isNode, isSeq, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ScenarioSchema, type Scenario } from '../../shared/domain/scenario.js';
import { TopologyFileSchema, type Topology } from '../../shared/domain/topology.js';
import { defaultTopologySpec, resolveTopology, TopologyError } from '../core/topology.js';
import { gb200Scenario } from './gb200Scenario.js';
import { tapasFreeScenario, tapasScenario } from './tapasScenario.js';
import { defaultScenario } from './defaultScenario.js';
import { parseAzureTrace, type Trace } from './traces.js';
import { checkReferences, ScenarioError } from './references.js';
import { feasibility, unreachableRefusal } from '../core/feasibility.js';

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

/** A validated configuration and where its fields are: the line of a field path, for checks made after parsing. */
export interface LocatedConfig<T> {
  value: T;
  /** The line of a field ("rows[2].gpuModel", "plant: UPS1" for the device with that id), or of its nearest parent. */
  lineOf(field: string): number | null;
}

/** Parse YAML or JSON text and validate it; every error carries file, line and field path. */
export function parseConfig<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  return readConfig(schema, text, file).value;
}

/** parseConfig, keeping the document so that later errors (unknown references…) can name their line too. */
export function readConfig<S extends z.ZodType>(schema: S, text: string, file: string): LocatedConfig<z.output<S>> {
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
  const lineOf = (field: string) => {
    const { path, id } = splitField(field);
    return lineOfPath(doc, lineCounter, path, id);
  };
  if (r.success) return { value: r.data, lineOf };
  const issue = specificIssue(r.error.issues[0]!);
  const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
  throw new ConfigError(file, lineOfPath(doc, lineCounter, issue.path, null), field, issue.message);
}

/**
 * The issue to report. A value that fails inside a union (`topology:` is a file name or a topology) comes back as one
 * "Invalid input" on the union; the branch the value was meant for (one it has the type of) says what and where.
 */
function specificIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const mismatch = (i: z.core.$ZodIssue) => (i.code === 'invalid_type' || i.code === 'invalid_value') && i.path.length === 0;
  const meant = issue.errors.filter((branch) => branch.length > 0 && !branch.every(mismatch));
  if (meant.length === 0) {
    const expected = [...new Set(issue.errors.flat().flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : i.code === 'invalid_value' ? i.values.map((v) => JSON.stringify(v)) : [])))];
    return { path: issue.path, message: expected.length ? `Invalid input: expected ${expected.join(' or ')}` : issue.message };
  }
  // Of the branches it was meant for, the one that got furthest into the value.
  const best = meant.reduce((a, b) => (b[0]!.path.length > a[0]!.path.length ? b : a));
  const inner = specificIssue(best[0]!);
  return { path: [...issue.path, ...inner.path], message: inner.message };
}

/** "topology.rows[2].gpuModel" → ["topology", "rows", 2, "gpuModel"]; "plant: UPS1" → ["plant"] and id "UPS1". */
function splitField(field: string): { path: Array<string | number>; id: string | null } {
  const at = field.indexOf(': ');
  const head = at < 0 ? field : field.slice(0, at);
  const path = [...head.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]!));
  return { path, id: at < 0 ? null : field.slice(at + 2) };
}

/** The line of a field, or of the nearest parent the document has; with an id, that item's line under it. */
function lineOfPath(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[], id: string | null): number | null {
  for (let k = path.length; k >= 0; k--) {
    const found: unknown = k === 0 ? doc.contents : doc.getIn(path.slice(0, k).map((p) => (typeof p === 'symbol' ? String(p) : p)), true);
    if (!isNode(found)) continue;
    const node = (id !== null && findById(found, id)) || found;
    if (node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return null;
}

/** The first mapping under `node` whose `id` is `id` (devices, feeds, cooling groups are named by id). */
function findById(node: unknown, id: string): Node | null {
  if (isMap(node)) {
    if (node.get('id') === id) return node;
    for (const pair of node.items) {
      const found = findById(pair.value, id);
      if (found) return found;
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      const found = findById(item, id);
      if (found) return found;
    }
  }
  return null;
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

/** Load "default" (optionally scaled), "gb200" (sim/gb200Scenario.ts), "tapas" / "tapas-free" (sim/tapasScenario.ts) or a scenario file; resolve its topology. Throws ConfigError. */
export function loadScenario(nameOrFile: string, opts: { scale?: number; cwd?: string } = {}): LoadedScenario {
  let scenario: Scenario;
  let source: string;
  // Where a field is in the scenario's file: errors found after parsing (unknown model, row, rack…) name its line too.
  let lineOf: (field: string) => number | null = () => null;
  const refused = (field: string, reason: string) => new ConfigError(source, lineOf(field), field, reason);
  if (nameOrFile === 'default') {
    scenario = ScenarioSchema.parse(defaultScenario(opts.scale ?? 1));
    source = 'default';
  } else if (nameOrFile === 'gb200') {
    scenario = ScenarioSchema.parse(gb200Scenario());
    source = 'gb200';
  } else if (nameOrFile === 'tapas' || nameOrFile === 'tapas-free') {
    scenario = ScenarioSchema.parse(nameOrFile === 'tapas' ? tapasScenario() : tapasFreeScenario());
    source = nameOrFile;
  } else {
    source = isAbsolute(nameOrFile) ? nameOrFile : resolve(opts.cwd ?? process.cwd(), nameOrFile);
    const read = readConfig(ScenarioSchema, readText(source), source);
    scenario = read.value;
    lineOf = read.lineOf;
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
      if (e instanceof TopologyError) throw refused(`topology.${e.path}`, e.message.slice(e.path.length + 2));
      throw e;
    }
    refuseUnreachable(topology, (field, reason) => refused(`topology.${field}`, reason));
  }
  try {
    checkReferences(scenario, topology);
  } catch (e) {
    if (e instanceof ScenarioError) throw refused(e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
  return { scenario, topology, source };
}

/** Load a standalone topology file (YAML or JSON). */
export function loadTopologyFile(file: string): Topology {
  const { value: spec, lineOf } = readConfig(TopologyFileSchema, readText(file), file);
  let topology: Topology;
  try {
    topology = resolveTopology(spec);
  } catch (e) {
    if (e instanceof TopologyError) throw new ConfigError(file, lineOf(e.path), e.path, e.message.slice(e.path.length + 2));
    throw e;
  }
  refuseUnreachable(topology, (field, reason) => new ConfigError(file, lineOf(field), field, reason));
  return topology;
}

/**
 * A provisioned row budget below the row's floor (core/feasibility.ts: non-GPU server power at full activity plus
 * every GPU busy at its minimum cap) is refused: no cap could ever hold the row under load. The first such row names
 * its `rows[i].budgetKW` (its row's line where the budget comes from the plant), the budget, the floor and the
 * servers to shed.
 */
function refuseUnreachable(t: Topology, refuse: (field: string, reason: string) => ConfigError): void {
  const bad = feasibility(t).find((f) => !f.reachable);
  if (!bad) return;
  throw refuse(`rows[${bad.row}].budgetKW`, unreachableRefusal(bad));
}
