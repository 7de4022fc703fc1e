import { rowPressure, type ReconfigView } from '../../core/control/reconfig.js';
import { initialReplan, stepReplan, type ReplanState } from '../../core/workflows/replan.js';
import type { AuditSink, WorkflowPort } from '../../core/ports.js';
import type { Engine, TickService } from '../engine.js';

/**
 * Murakkab's lever between epochs (issue 16 item 3; `--policy murakkab`): each tick every row's pressure from what
 * the engine sees (control row power against the budget in force, the hottest rack inlet, the hottest GPU — the same
 * view as TAPAS's SaaS levers) and, when the rule says so (core/workflows/replan.ts), the row's share of each declared
 * workflow to the planner's next-best plan through the workflow port (the simulator; a real fleet's orchestrator).
 * Added before the control service, it is the first lever a row reaches for; the caps stay the fast safety net and
 * bite only while a re-plan is not enough or not yet landed (its new instances take minutes to start). Each change is
 * audited (kind `lever`, old → new plan, kW freed, SLO attainment, "instead of caps"), shown on its row and counted.
 */
export class WorkflowLevers implements TickService {
  readonly state: ReplanState[];
  /** Per row: its pressure at the last tick (0…1). */
  readonly pressure: Float64Array;
  replans = 0;
  private readonly slowdownC: Float64Array;
  /** Per row: every rack asked since the row was last at its plans in force (all go back together). */
  private readonly asked: Array<Set<number>>;

  constructor(
    engine: Engine,
    private readonly port: WorkflowPort,
    private readonly audit: AuditSink | null,
    /** Called when a row's lever changes (the console re-publishes the control summary, which carries it). */
    private readonly onChange: () => void = () => {},
  ) {
    const t = engine.topology;
    engine.rowLever ??= t.rows.map(() => null);
    this.state = t.rows.map(() => initialReplan());
    this.pressure = new Float64Array(t.rows.length);
    this.asked = t.rows.map(() => new Set<number>());
    this.slowdownC = Float64Array.from(t.rows, (row) => {
      const sv = t.servers[t.racks[row.rackStart]!.serverStart]!;
      return t.models[sv.model]!.slowdownC;
    });
  }

  onTick(engine: Engine, nowMs: number, stale: boolean): void {
    const t = engine.topology;
    for (let r = 0; r < t.rows.length; r++) {
      const row = t.rows[r]!;
      const slices = this.port.slices(r, nowMs);
      // Rows that never ran workflows and hold none now: nothing to decide.
      if (slices.length === 0 && this.state[r]!.rung === 0) continue;
      let inlet = NaN;
      for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
        const x = engine.rackInletC[k]!;
        if (Number.isFinite(x) && !(x <= inlet)) inlet = x;
      }
      const budgetKW = engine.rowBudgetKW[r]!;
      const rowW = engine.controlRowW[r]!;
      const view: ReconfigView = { rowPct: budgetKW > 0 ? rowW / (budgetKW * 10) : Infinity, hottestGpuC: engine.agg.rowMaxTempC[r]!, slowdownC: this.slowdownC[r]!, hottestInletC: inlet, stale };
      this.pressure[r] = rowPressure(view);
      const racks = [...new Set(slices.flatMap((s) => s.racks))];
      let workflowW = 0;
      for (const k of racks) workflowW += engine.controlRackW[k]!;
      const { state, change } = stepReplan(this.state[r]!, { view, rowW, budgetW: budgetKW * 1000, workflowW, slices }, nowMs);
      this.state[r] = state;
      if (!change) continue;
      for (const k of racks) this.asked[r]!.add(k);
      const target = change.to === 0 ? [...this.asked[r]!] : racks;
      if (this.port.replan(r, target, change.ratio, change.latencyS) === 0) {
        // No rack can take it: stay, clocks restarted.
        this.state[r] = { ...state, rung: change.from, levels: state.levels.slice(0, change.from), landsAtMs: -Infinity };
        continue;
      }
      if (change.to === 0) this.asked[r]!.clear();
      this.replans++;
      const names = change.workflows.map((w) => w.workflow).join(', ');
      engine.rowLever![r] = change.to === 0 ? null : { label: 'Re-planned', reason: `Murakkab: ${names} on the row's next-best plan (${change.fromKW} → ${change.toKW} kW): ${change.reason}` };
      this.onChange();
      this.audit?.append(
        {
          actor: 'system',
          kind: 'lever',
          target: `row ${row.id}`,
          oldValue: change.workflows.map((w) => `${w.workflow}: ${w.from}`).join('; '),
          newValue: `${change.workflows.map((w) => `${w.workflow}: ${w.to}`).join('; ')} (${Math.round(change.ratio * 100)} % of the plans in force; in effect in ${change.latencyS} s, when the new instances have started)`,
          reason: `Murakkab re-plan of ${names}: ${change.reason}`,
          outcome: 'ok',
        },
        nowMs,
      );
    }
  }
}
