import { PolicyConfigSchema, type PolicyConfig } from '../../../shared/domain/control.js';
import type { GpuModel } from '../../../shared/domain/topology.js';

/**
 * Policy validation: the schema (ranges, T1 < T2 < brake), then what the schema cannot know, the fleet's GPU models.
 * Rules:
 *   - every issue names the field's path from `policy.` (`policy.polca.clockCaps.H100-SXM.lowT1MHz`);
 *   - clock caps of a model in the fleet lie within its clock range (minClockMHz…maxClockMHz), and its T2 lock
 *     for low-priority GPUs is not above its T1 lock;
 *   - caps for a model not in the fleet are kept unchecked (they apply if such GPUs are added);
 *   - a schema refusal lists every schema issue; a range refusal names the first issue (models in the config's
 *     order; per model lowT1MHz, lowT2MHz, highT2MHz, then the T1/T2 order).
 */

/** One refused field: its path (`policy.…`) and why. */
export interface PolicyIssue {
  path: string;
  message: string;
}

export type PolicyCheck = { ok: true; policy: PolicyConfig } | { ok: false; issues: PolicyIssue[]; message: string };

const CAP_FIELDS = ['lowT1MHz', 'lowT2MHz', 'highT2MHz'] as const;

/** The checks against the fleet's GPU models, on a config the schema accepted. Empty when there is nothing to refuse. */
export function policyRangeIssues(cfg: PolicyConfig, models: readonly GpuModel[]): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  for (const [modelId, c] of Object.entries(cfg.polca.clockCaps)) {
    const m = models.find((x) => x.id === modelId);
    if (!m) continue;
    const at = `policy.polca.clockCaps.${modelId}`;
    for (const k of CAP_FIELDS) {
      if (c[k] < m.minClockMHz || c[k] > m.maxClockMHz) {
        issues.push({ path: `${at}.${k}`, message: `${c[k]} MHz is outside ${modelId}'s clock range ${m.minClockMHz}–${m.maxClockMHz} MHz` });
      }
    }
    if (c.lowT2MHz > c.lowT1MHz) issues.push({ path: `${at}.lowT2MHz`, message: `the T2 lock (${c.lowT2MHz} MHz) must not be above the T1 lock (${c.lowT1MHz} MHz)` });
  }
  return issues;
}

const line = (i: PolicyIssue) => `${i.path}: ${i.message}`;

/** Validate unvalidated input as a policy for a fleet of these GPU models. */
export function checkPolicy(config: unknown, models: readonly GpuModel[]): PolicyCheck {
  const parsed = PolicyConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: `policy.${i.path.map(String).join('.') || '(root)'}`, message: i.message }));
    return { ok: false, issues, message: issues.map(line).join('; ') };
  }
  const issues = policyRangeIssues(parsed.data, models);
  if (issues.length) return { ok: false, issues, message: line(issues[0]!) };
  return { ok: true, policy: parsed.data };
}
