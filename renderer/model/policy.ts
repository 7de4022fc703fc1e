/**
 * Reading and editing the control policy: the paper's defaults, differences, the editor's syntax check. Pure.
 * The renderer does not bundle zod: the engine validates (`policy:set`) and its messages are shown as they come.
 */
import type { PolicyConfig } from '../../shared/domain/control.js';

/**
 * The defaults, as `PolicyConfigSchema.parse({})` gives them; a unit test keeps the two equal. `polca` and
 * `actuation` are the paper's values (POLCA): T1 80 %, T2 89 %, brake 100 % of the row budget; out-of-band caps up to
 * 40 s, brake ~5 s. `headroom` configures Headroom's own row controller (`--policy headroom`): those are Headroom's
 * defaults, not values from a paper (shared/domain/control.ts HeadroomConfigSchema, docs/CONTROL.md).
 */
export const PAPER_DEFAULTS: PolicyConfig = Object.freeze({
  polca: { t1Pct: 80, t2Pct: 89, brakePct: 100, releaseHysteresisPct: 5, minHoldS: 30, brakeReleaseS: 10, clockCaps: {} },
  headroom: {
    envelopeS: 30,
    warmupS: 120,
    riseHistoryS: 3600,
    riseQuantile: 1,
    highRiseQuantile: 0.9,
    minRisePct: 4,
    marginPct: 2,
    minHoldS: 300,
    highHoldS: 30,
    escalateBrakes: 2,
    escalateWindowS: 600,
    deepHoldS: 600,
    deepClockShare: 0.7,
  },
  actuation: { outOfBandCapS: 40, brakeS: 5, inBandS: 1, capPath: 'outOfBand', minChangeIntervalS: 5, correctionS: 10 },
  playbooks: [],
});

export function paperDefaults(): PolicyConfig {
  return structuredClone(PAPER_DEFAULTS);
}

export interface Leaf {
  path: string;
  value: unknown;
}

/** Every leaf of a JSON value as "a.b[2].c" paths, in document order. */
export function leaves(v: unknown, path = ''): Leaf[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return [{ path, value: [] }];
    return v.flatMap((x, i) => leaves(x, `${path}[${i}]`));
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return [{ path, value: {} }];
    return keys.flatMap((k) => leaves((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [{ path, value: v }];
}

export interface Change {
  path: string;
  from: string;
  to: string;
}

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** Leaf-level differences between two policies ("polca.t1Pct: 80 → 78"). */
export function diffPolicy(a: unknown, b: unknown): Change[] {
  const la = new Map(leaves(a).map((l) => [l.path, l.value]));
  const lb = new Map(leaves(b).map((l) => [l.path, l.value]));
  const out: Change[] = [];
  for (const [p, v] of la) if (show(v) !== show(lb.get(p))) out.push({ path: p, from: show(v), to: show(lb.get(p)) });
  for (const [p, v] of lb) if (!la.has(p)) out.push({ path: p, from: '(none)', to: show(v) });
  return out;
}

/** Whether a leaf of the policy still has its default (the paper's value; under `headroom.`, Headroom's own). */
export function isDefault(path: string, value: unknown, defaults: PolicyConfig = paperDefaults()): boolean {
  const d = new Map(leaves(defaults).map((l) => [l.path, l.value]));
  return d.has(path) && show(d.get(path)) === show(value);
}

/** What a leaf's default is called: the paper's (POLCA, actuation) or Headroom's own (its controller's block). */
export function defaultTag(path: string): 'paper default' | 'Headroom default' {
  return path === 'headroom' || path.startsWith('headroom.') ? 'Headroom default' : 'paper default';
}

/** Parses the editor's text as a JSON object; what it means is for the engine to judge. */
export function checkPolicyText(text: string): { ok: true; value: unknown } | { ok: false; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`not valid JSON: ${(e as Error).message}`] };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, errors: ['the policy is a JSON object: { "polca": …, "headroom": …, "actuation": …, "playbooks": … }'] };
  return { ok: true, value: raw };
}
