// zod must run jitless under the console's CSP: configured before the schemas are used.
import './zodCsp.js';
import { PolicyConfigSchema, type PolicyConfig } from '../../shared/domain/control.js';
import type { GpuModel } from '../../shared/domain/topology.js';
export { FORM_FIELDS } from './policyText.js';

/**
 * The policy form's checks, as the operator types: the engine's own schema (thresholds in order: T1 < T2 < the brake,
 * every value in its range — the same rules `policy:set` applies), and each clock cap within its GPU model's clock
 * range, lower at T2 than at T1 for low priority. Errors by field path ("polca.t1Pct"); `value` when there is none.
 */
export function checkDraft(draft: unknown, models: readonly GpuModel[]): { errors: Record<string, string>; value: PolicyConfig | null } {
  const errors: Record<string, string> = {};
  const r = PolicyConfigSchema.safeParse(draft);
  if (!r.success) {
    for (const i of r.error.issues) {
      const path = i.path.join('.') || '(policy)';
      errors[path] ??= i.message;
    }
  }
  const caps = (draft as { polca?: { clockCaps?: Record<string, { lowT1MHz: number; lowT2MHz: number; highT2MHz: number }> } })?.polca?.clockCaps ?? {};
  for (const [id, c] of Object.entries(caps)) {
    const m = models.find((x) => x.id === id);
    if (!m) {
      errors[`polca.clockCaps.${id}`] = `no GPU model "${id}" on this site`;
      continue;
    }
    for (const k of ['lowT1MHz', 'lowT2MHz', 'highT2MHz'] as const) {
      const v = c[k];
      if (!(Number.isFinite(v) && v >= m.minClockMHz && v <= m.maxClockMHz)) errors[`polca.clockCaps.${id}.${k}`] = `${m.id} clocks run ${m.minClockMHz}–${m.maxClockMHz} MHz`;
    }
    if (c.lowT2MHz > c.lowT1MHz) errors[`polca.clockCaps.${id}.lowT2MHz`] ??= 'low priority is capped deeper above T2 than above T1';
  }
  return { errors, value: Object.keys(errors).length === 0 && r.success ? r.data : null };
}

export function getPath(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}

export function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let v: Record<string, unknown> = o;
  for (const k of keys.slice(0, -1)) v = (v[k] ??= {}) as Record<string, unknown>;
  v[keys.at(-1)!] = value;
}
