import type { ControlSummary } from '../../shared/domain/control.js';
import type { TickEvent } from './ports.js';

/**
 * What changed on the control plane between two summaries, as events for the run's time line: per row the stage
 * (normal / t1 / t2 / brake, with Headroom's deep lock and shed recommendation when they are on), the active playbook, automation and the operator's brake; overrides set and cleared.
 * Pure; `prev` null = the first summary (everything in it is new).
 */
export function controlEvents(prev: ControlSummary | null, next: ControlSummary): TickEvent[] {
  const out: TickEvent[] = [];
  const before = new Map(prev?.rows.map((r) => [r.row, r]));
  for (const r of next.rows) {
    const p = before.get(r.row);
    // The stage, with Headroom's deep lock and shed recommendation (a change of either is a stage event too).
    if (!p || p.stage !== r.stage || p.deepLock !== r.deepLock || p.shedServers !== r.shedServers) {
      out.push({ kind: 'stage', subject: r.row, body: { stage: r.stage, ...(r.deepLock ? { deepLock: true } : {}), ...(r.shedServers > 0 ? { shedServers: r.shedServers } : {}) } });
    }
    if (!p || p.playbook !== r.playbook) out.push({ kind: 'playbook', subject: r.row, body: { playbook: r.playbook } });
    if (!p || p.automation !== r.automation) out.push({ kind: 'automation', subject: r.row, body: { on: r.automation } });
    if (!p || Boolean(p.manualBrake) !== Boolean(r.manualBrake)) out.push({ kind: 'brake', subject: r.row, body: { on: r.manualBrake !== null, by: r.manualBrake?.by ?? null, reason: r.manualBrake?.reason ?? null } });
  }
  const had = new Set(prev?.overrides.map((o) => o.id));
  const has = new Set(next.overrides.map((o) => o.id));
  for (const o of next.overrides) if (!had.has(o.id)) out.push({ kind: 'override', subject: o.id, body: { on: true, target: o.target, action: o.action, by: o.createdBy, reason: o.reason } });
  for (const o of prev?.overrides ?? []) if (!has.has(o.id)) out.push({ kind: 'override', subject: o.id, body: { on: false } });
  return out;
}
