import { RECONFIG_LADDER } from '../../../shared/domain/reconfig.js';
import { initialReconfig, rowPressure, stepReconfig, type ReconfigRowState, type ReconfigView } from '../../core/control/reconfig.js';
import type { AuditSink, SaasPort } from '../../core/ports.js';
import type { Engine, TickService } from '../engine.js';

/**
 * TAPAS's SaaS levers beside the caps (`--policy tapas`): each tick every row's pressure (core/control/reconfig.ts)
 * from what the engine sees — control row power against the budget in force, the hottest rack inlet, the hottest GPU
 * — and, when the rule says so, its SaaS instances one rung along the reconfiguration ladder through the SaaS port
 * (the simulator's platform; a real fleet's orchestrator). Each change is audited (kind `lever`) with its reason, and
 * counted. A row whose SaaS instances cannot change (none there, or every rung forbidden) keeps its rung: nothing to
 * audit. Routing needs no tick here: the router reads the same slack (core/slack.ts) where the requests are.
 */
export class SaasLevers implements TickService {
  readonly state: ReconfigRowState[];
  /** Per row: its pressure at the last tick (0…1). */
  readonly pressure: Float64Array;
  reconfigurations = 0;
  private readonly slowdownC: Float64Array;

  constructor(
    engine: Engine,
    private readonly saas: SaasPort,
    private readonly audit: AuditSink | null,
    /** Called when a row's lever changes (the console re-publishes the control summary, which carries it). */
    private readonly onChange: () => void = () => {},
  ) {
    const t = engine.topology;
    engine.rowLever = t.rows.map(() => null);
    this.state = t.rows.map(() => initialReconfig());
    this.pressure = new Float64Array(t.rows.length);
    // A row's slowdown: its first GPU's model (rows hold one model in every site Headroom models).
    this.slowdownC = Float64Array.from(t.rows, (row) => {
      const sv = t.servers[t.racks[row.rackStart]!.serverStart]!;
      return t.models[sv.model]!.slowdownC;
    });
  }

  onTick(engine: Engine, nowMs: number, stale: boolean): void {
    const t = engine.topology;
    const maxRung = RECONFIG_LADDER.length - 1;
    const latencyS = (from: number, to: number) => Math.max(RECONFIG_LADDER[from]!.latencyS, RECONFIG_LADDER[to]!.latencyS);
    for (let r = 0; r < t.rows.length; r++) {
      const row = t.rows[r]!;
      let inlet = NaN;
      for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
        const x = engine.rackInletC[k]!;
        if (Number.isFinite(x) && !(x <= inlet)) inlet = x;
      }
      const budgetKW = engine.rowBudgetKW[r]!;
      const v: ReconfigView = {
        rowPct: budgetKW > 0 ? engine.controlRowW[r]! / (budgetKW * 10) : Infinity,
        hottestGpuC: engine.agg.rowMaxTempC[r]!,
        slowdownC: this.slowdownC[r]!,
        hottestInletC: inlet,
        stale,
      };
      this.pressure[r] = rowPressure(v);
      const { state, change } = stepReconfig(this.state[r]!, v, nowMs, { maxRung, latencyS });
      if (change && this.saas.reconfigure(r, change.to) === 0) {
        // Nothing on the row can take that rung: stay, clocks restarted.
        this.state[r] = { ...state, rung: change.from, landsAtMs: -Infinity };
        continue;
      }
      this.state[r] = state;
      if (!change) continue;
      this.reconfigurations++;
      const rung = RECONFIG_LADDER[change.to]!;
      engine.rowLever![r] = change.to === 0 ? null : { label: rung.id === 'fp8' ? 'FP8' : 'small model', reason: `TAPAS: the row's SaaS instances → ${rung.label} (quality −${(rung.qualityCost * 100).toFixed(1)} %): ${change.reason}` };
      this.onChange();
      this.audit?.append(
        {
          actor: 'system',
          kind: 'lever',
          target: `row ${row.id}`,
          oldValue: RECONFIG_LADDER[change.from]!.label,
          newValue: `${RECONFIG_LADDER[change.to]!.label} on the row's SaaS instances (in effect in ${latencyS(change.from, change.to)} s, rolling)`,
          reason: `TAPAS reconfiguration: ${change.reason}`,
          outcome: 'ok',
        },
        nowMs,
      );
    }
  }
}
