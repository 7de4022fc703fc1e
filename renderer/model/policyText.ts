import type { Playbook } from '../../shared/domain/control.js';

/** A playbook's trigger in words (never the schema's names). */
export function triggerText(t: Playbook['trigger']): string {
  switch (t.kind) {
    case 'powerBudgetLoss':
      return `the row loses part of its power budget (a feed; UPS ride-through ${t.rideThroughS} s)`;
    case 'thermal':
      return `a GPU of the row is within ${t.marginC} °C of slowdown${t.inletAboveC !== undefined ? `, or its inlet is above ${t.inletAboveC} °C` : ''}`;
    case 'loadSpike':
      return `the row's power rises faster than ${t.pctPerS} % of its budget a second, near ${t.nearPct} % (not training waves)`;
  }
}

/** A playbook stage's action in words. */
export function actionText(a: Playbook['stages'][number]['action']): string {
  const who = 'priority' in a && a.priority === 'low' ? 'low-priority GPUs' : 'every GPU';
  if (a.kind === 'brake') return 'the power brake';
  if (a.kind === 'clockCap') return `lock ${who} at ${a.mhzPctOfMax} % of their max clock`;
  return `cap ${who} at ${a.pctOfMaxLimit} % of their max power limit`;
}

/** The fields the form edits, in plain words (a JSON editor stays for everything else). */
export const FORM_FIELDS: Array<{ path: string; label: string; unit: string; step: number }> = [
  { path: 'polca.t1Pct', label: 'Lock low-priority GPUs when the row is above', unit: '% of its budget', step: 1 },
  { path: 'polca.t2Pct', label: 'Lock harder, then high priority, above', unit: '% of its budget', step: 1 },
  { path: 'polca.brakePct', label: 'Brake the whole row above', unit: '% of its budget', step: 1 },
  { path: 'polca.releaseHysteresisPct', label: 'Release once the row is below a threshold by', unit: 'points', step: 1 },
  { path: 'polca.minHoldS', label: 'Keep a stage at least', unit: 's', step: 5 },
  { path: 'headroom.marginPct', label: 'Headroom: keep this much free below the brake', unit: 'points', step: 0.5 },
  { path: 'headroom.minHoldS', label: 'Headroom: hold a lock level at least', unit: 's', step: 10 },
  { path: 'headroom.escalateBrakes', label: 'Headroom: deep lock after this many brakes', unit: 'brakes', step: 1 },
  { path: 'actuation.outOfBandCapS', label: 'An out-of-band (BMC) cap takes', unit: 's', step: 1 },
  { path: 'actuation.inBandS', label: 'An in-band (host) command takes', unit: 's', step: 0.5 },
  { path: 'actuation.brakeS', label: 'The brake takes', unit: 's', step: 1 },
];

/** A policy path in words where the form names it ("polca.t1Pct" → its label), else the path. */
export function pathLabel(path: string): string {
  return FORM_FIELDS.find((f) => f.path === path)?.label ?? path;
}
