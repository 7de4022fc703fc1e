import type { Playbook, PolicyConfig } from '../../../shared/domain/control.js';
import type { Topology } from '../../../shared/domain/topology.js';
import type { Arbiter } from './arbiter.js';
import type { FleetColumns } from './playbookLayer.js';
import { DEFAULT_PLAYBOOKS, initialPlaybookState, playbookRowView, stepPlaybook, type PlaybookState } from './playbooks.js';
import { clockCapsFor, initialPolcaState, rowPct, stepPolca, type PolcaRowState, type PolcaRowView, type ResolvedClockCaps } from './polca.js';
import { createHeadroomMemory, expectedRise, headroomLockPct, noteLocks, observeEnvelope, stepEscalation, type HeadroomRowMemory } from './headroom.js';
import { drawRow, rowBrakeWanted, rowSignature, type RowLayers } from './rowLayers.js';

export type { FleetColumns } from './playbookLayer.js';

/** Per row: budget (kW), power (W; worst case when stale), hottest GPU (°C); per rack: inlet (°C). */
export interface RowReadings {
  readonly rowBudgetKW: ArrayLike<number>;
  readonly rowW: ArrayLike<number>;
  readonly rowMaxTempC: ArrayLike<number>;
  readonly rackInletC: ArrayLike<number>;
}

/** What operators set per row. */
export interface RowOperatorState {
  readonly automation: readonly boolean[];
  readonly manualBrake: ReadonlyArray<{ by: string; reason: string } | null>;
}

/** Per row, the first GPU and one past its last (rows hold contiguous GPUs). */
export function rowGpuSpans(t: Topology): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(t.rows.length);
  const end = new Int32Array(t.rows.length);
  t.rows.forEach((row, r) => {
    const first = t.racks[row.rackStart]!;
    const last = t.racks[row.rackStart + row.rackCount - 1]!;
    start[r] = t.servers[first.serverStart]!.gpuStart;
    const ls = t.servers[last.serverStart + last.serverCount - 1]!;
    end[r] = ls.gpuStart + ls.gpuCount;
  });
  return { start, end };
}

/**
 * The automatic side of the control plane, row by row: each step POLCA and the playbooks in force advance on the
 * row's readings, and a row whose signature changed is redrawn into the arbiter's row layers (rowLayers.ts) and
 * re-decided for its GPUs only. Rules:
 *   - `automatic` false (brake-only): no POLCA caps, no playbooks; the POLCA brake stays armed;
 *   - `controller` 'headroom': POLCA's levels fed Headroom's lock level, hold and deep lock (headroom.ts); its
 *     memory (envelope, learnt rises) restarts when the policy changes;
 *   - automation off on a row: no POLCA caps there; its brake and playbooks stay armed;
 *   - a brake engagement is counted when the row's brake starts being wanted by any source;
 *   - the playbooks in force are the policy's, or DEFAULT_PLAYBOOKS when it lists none; their states restart only
 *     when that list changes; every new policy redraws every row at the next step.
 * Time comes in as arguments.
 */
export class RowControllers {
  readonly polca: PolcaRowState[];
  /** Per row, per playbook in force. */
  states: PlaybookState[][] = [];
  playbooks: readonly Playbook[] = [];
  /** Per GPU model (fleet order): the POLCA clock caps in force. */
  caps: ResolvedClockCaps[] = [];
  /** Per row: brake engagements; brake wanted now (1); playbooks shown. And all rows' engagements. */
  readonly brakes: Int32Array;
  readonly brakeWanted: Uint8Array;
  readonly shown: string[][];
  totalBrakes = 0;
  private readonly sig: string[];
  private policy: PolicyConfig | null = null;
  /** Per row, Headroom's memory (null under POLCA); the lock latency it was built for. */
  private memory: HeadroomRowMemory[] | null = null;
  private memoryLatencyS = NaN;
  /** Servers per row (the shed recommendation's unit). */
  private readonly rowServers: Int32Array;

  constructor(
    private readonly topology: Topology,
    private readonly fleet: FleetColumns,
    /** Per row, the GPUs [start, end). */
    private readonly spans: { start: Int32Array; end: Int32Array },
    private readonly arbiter: Arbiter,
    private readonly layers: RowLayers,
    private readonly automatic: boolean,
    nowMs: number,
    private readonly controller: 'polca' | 'headroom' = 'polca',
    private readonly stepMs = 1000,
  ) {
    const rows = topology.rows;
    this.rowServers = Int32Array.from(rows, (row) => {
      let n = 0;
      for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) n += topology.racks[k]!.serverCount;
      return n;
    });
    this.polca = rows.map(() => initialPolcaState(nowMs));
    this.brakes = new Int32Array(rows.length);
    this.brakeWanted = new Uint8Array(rows.length);
    this.shown = rows.map(() => []);
    this.sig = rows.map(() => '');
  }

  setPolicy(cfg: PolicyConfig): void {
    const pbChanged = this.policy === null || JSON.stringify(cfg.playbooks) !== JSON.stringify(this.policy.playbooks) || this.states.length === 0;
    this.policy = cfg;
    this.caps = this.fleet.models.map((m) => clockCapsFor(m, cfg.polca));
    this.memory = null;
    if (pbChanged) {
      this.playbooks = this.automatic ? (cfg.playbooks.length ? cfg.playbooks : DEFAULT_PLAYBOOKS) : [];
      this.states = this.topology.rows.map(() => this.playbooks.map((pb) => initialPlaybookState(pb)));
    }
    this.sig.fill('');
  }

  /** POLCA's levels with Headroom's hold, made once per policy. */
  private headroomPolca(policy: PolicyConfig): PolicyConfig['polca'] {
    if (this.headroomCfg?.[0] !== policy) this.headroomCfg = [policy, { ...policy.polca, minHoldS: policy.headroom.minHoldS }];
    return this.headroomCfg[1];
  }
  private headroomCfg: [PolicyConfig, PolicyConfig['polca']] | null = null;

  /** Redraw row r at the next step (its operator state changed). */
  invalidate(r: number): void {
    this.sig[r] = '';
  }

  /** Step every row. Returns true when a row was redrawn (a stage, playbook or brake operators see changed). */
  step(rd: RowReadings, op: RowOperatorState, nowMs: number, stale: boolean): boolean {
    const policy = this.policy!;
    const a = policy.actuation;
    const capLatencyS = a.capPath === 'inBand' ? a.inBandS : a.outOfBandCapS;
    const { models, gpuModel } = this.fleet;
    const { start, end } = this.spans;
    let changed = false;
    const headroom = this.controller === 'headroom' && this.automatic;
    if (headroom && (this.memory === null || this.memoryLatencyS !== capLatencyS)) {
      this.memory = this.topology.rows.map(() => createHeadroomMemory(policy.headroom, this.stepMs, capLatencyS));
      this.memoryLatencyS = capLatencyS;
    }
    const polcaCfg = headroom ? this.headroomPolca(policy) : policy.polca;
    const H = policy.headroom;
    // Objects of one fixed shape, made once per step (spreading per row per tick cost more than the rules).
    const on = { capLatencyS, capsEnabled: true, lowDeepFirst: headroom, highHoldS: headroom ? H.highHoldS : undefined };
    const off = { ...on, capsEnabled: false };
    for (let r = 0; r < this.topology.rows.length; r++) {
      const view: PolcaRowView = { budgetKW: rd.rowBudgetKW[r]!, powerW: rd.rowW[r]!, stale, lockPct: undefined, risePct: undefined, highPct: undefined };
      const capsEnabled = this.automatic && op.automation[r]!;
      if (headroom) {
        const mem = this.memory![r]!;
        const env = observeEnvelope(mem, rowPct(view), stale, nowMs);
        const rise = expectedRise(mem, H, policy.polca);
        view.lockPct = headroomLockPct(env, rise, policy.polca, H);
        view.risePct = rise;
        view.highPct = headroomLockPct(env, expectedRise(mem, H, policy.polca, H.highRiseQuantile), policy.polca, H);
      }
      let next = stepPolca(polcaCfg, view, this.polca[r]!, nowMs, capsEnabled ? on : off);
      const states = this.states[r]!;
      if (this.automatic) {
        const row = this.topology.rows[r]!;
        const slowdownC = models[gpuModel[start[r]!]!]!.slowdownC;
        const pv = playbookRowView({ budgetKW: view.budgetKW, powerW: view.powerW, stale, provisionedKW: row.budgetKW, slowdownC, hottestC: rd.rowMaxTempC[r]!, rackInletC: rd.rackInletC, rackStart: row.rackStart, rackCount: row.rackCount });
        for (let i = 0; i < this.playbooks.length; i++) states[i] = stepPlaybook(this.playbooks[i]!, pv, states[i]!, nowMs, { capLatencyS, brakeLatencyS: a.brakeS });
      }
      const manualBrake = op.manualBrake[r]!;
      const wanted = rowBrakeWanted(next, manualBrake !== null, this.playbooks, states);
      const braked = wanted && this.brakeWanted[r] === 0;
      if (braked) {
        this.totalBrakes++;
        this.brakes[r]!++;
      }
      if (headroom && capsEnabled) {
        const o = { nowMs, braked, stale, capLatencyS, budgetKW: view.budgetKW, rowKW: view.powerW / 1000, servers: this.rowServers[r]! };
        next = stepEscalation(policy.headroom, policy.polca, this.memory![r]!, next, o);
        noteLocks(this.memory![r]!, next, nowMs, policy.headroom, capLatencyS);
      }
      this.polca[r] = next;
      this.brakeWanted[r] = wanted ? 1 : 0;
      const sig = rowSignature(next, states, manualBrake !== null);
      if (sig !== this.sig[r]) {
        this.sig[r] = sig;
        const span = { id: this.topology.rows[r]!.id, from: start[r]!, to: end[r]! };
        const inputs = { polca: next, config: policy.polca, caps: this.caps, manualBrake, playbooks: this.playbooks, states, controller: headroom ? policy.headroom : null };
        this.shown[r] = drawRow(this.layers, this.fleet, span, inputs, (text) => this.arbiter.why(text));
        // Only a redrawn row's contributions changed: re-decide its GPUs (manual changes re-decide everything).
        this.arbiter.decide(span.from, span.to);
        changed = true;
      }
    }
    return changed;
  }
}
