// Control-plane benchmark (called from bench/run.ts): decision time for 10,240 GPUs and the reaction from a
// power-budget-loss event to the brake command. Wall-clock timings on this machine; the reaction is in ticks.
import { ScenarioSchema } from '../shared/domain/scenario.js';
import { SimActuator } from '../main/actuators/simActuator.js';
import { ControlService } from '../main/engine/control/service.js';
import { Engine } from '../main/engine/engine.js';
import { defaultScenario } from '../main/sim/defaultScenario.js';
import { loadScenario, loadTraces } from '../main/sim/config.js';
import { Simulator } from '../main/sim/simulator.js';
import { SimSource } from '../main/sources/simSource.js';

export interface ControlBench {
  /** POLCA (every row) + playbooks + arbiter for every GPU, per tick (ms). */
  decisionP50Ms: number;
  decisionP99Ms: number;
  /** A full arbiter pass over every GPU (what a manual override costs; ticks re-decide only changed rows) (ms). */
  arbiterFullP50Ms: number;
  arbiterFullP99Ms: number;
  /** The whole control service per tick: reconcile + decision + actuation model + commands (ms). */
  serviceP50Ms: number;
  serviceP99Ms: number;
  gpus: number;
  ticks: number;
  /** Ticks from the tick the engine first sees a row's budget drop to the tick the brake command is issued (0 = same tick). */
  reactionTicks: number;
  what: string;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export async function benchControl(opts: { ticks?: number } = {}): Promise<ControlBench> {
  const scale = 8;
  const { topology } = loadScenario('default', { scale });
  // The default site × 8 (10,240 GPUs) without its drill; row C (training, ~85 % of its budget in compute phases)
  // loses 25 % of its budget at 153 s, inside a compute phase (start 30 s, period 12 s, duty 0.75).
  const eventS = 153;
  const scenario = ScenarioSchema.parse({ ...defaultScenario(scale), events: [{ kind: 'powerBudgetLoss', atS: eventS, durationS: 120, row: 'C', fraction: 0.25 }] });
  const sim = new Simulator(topology, scenario, loadTraces(), scenario.seed);
  const engine = new Engine({ topology, source: new SimSource(sim), stepMs: scenario.stepMs, startMs: sim.timeMs });
  const control = new ControlService({ engine, actuator: new SimActuator(sim), audit: null, priorities: sim.gpuPriority(), store: null, onChange: () => {} });
  const serviceMs: number[] = [];
  engine.addService({
    onTick: (e, nowMs, stale) => {
      const t0 = performance.now();
      control.onTick(e, nowMs, stale);
      serviceMs.push(performance.now() - t0);
    },
  });
  const C = topology.rows.findIndex((r) => r.id === 'C');
  const ticks = opts.ticks ?? 300;
  const decision: number[] = [];
  let eventTick = -1;
  let brakeTick = -1;
  for (let i = 0; i < ticks; i++) {
    engine.tick();
    if (i >= 30) decision.push(control.lastDecisionMs);
    if (eventTick < 0 && engine.rowBudgetKW[C]! < topology.rows[C]!.budgetKW) eventTick = i;
    if (eventTick >= 0 && brakeTick < 0 && Number.isFinite(control.lastBrakeIssuedMs[C]!)) brakeTick = i;
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  const svc = serviceMs.slice(30);
  const full: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    control.arbiter.decide();
    full.push(performance.now() - t0);
  }
  return {
    decisionP50Ms: r3(quantile(decision, 0.5)),
    decisionP99Ms: r3(quantile(decision, 0.99)),
    arbiterFullP50Ms: r3(quantile(full, 0.5)),
    arbiterFullP99Ms: r3(quantile(full, 0.99)),
    serviceP50Ms: r3(quantile(svc, 0.5)),
    serviceP99Ms: r3(quantile(svc, 0.99)),
    gpus: topology.gpuCount,
    ticks: decision.length,
    reactionTicks: eventTick >= 0 && brakeTick >= 0 ? brakeTick - eventTick : -1,
    what: 'default site ×8; decision = POLCA + playbooks + arbiter; service = the whole ControlService.onTick; reaction = power-budget loss on row C → brake command issued',
  };
}

// `npx tsx bench/control.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchControl(), null, 2));
}
