import {
  PolicyConfigSchema,
  ReasonSchema,
  type Actor,
  type ControlSummary,
  type GpuControl,
  type Override,
  type OverrideAction,
  type PolicyConfig,
  type Playbook,
  type RowControl,
  type Target,
} from '../../../shared/domain/control.js';
import type { ResponseTypes } from '../../../shared/contract.js';
import type { GpuModel } from '../../../shared/domain/topology.js';
import { Actuation, CH, CHANNEL_NAMES, type Channel, type CommandSink, type Issued } from '../../core/control/actuation.js';
import { Arbiter, SOURCE, SOURCE_NAMES, type Layer } from '../../core/control/arbiter.js';
import { DEFAULT_PLAYBOOKS, describeAction, engagedActions, initialPlaybookState, stepPlaybook, type PlaybookState } from '../../core/control/playbooks.js';
import { clockCapsFor, highEngaged, initialPolcaState, polcaLockMHz, stepPolca, type PolcaRowState, type ResolvedClockCaps } from '../../core/control/polca.js';
import { powerAt } from '../../core/physics.js';
import type { Engine, TickService } from '../engine.js';
import { RefusalError, type Actuator, type AuditEntry, type AuditSink, type ControlApi, type ControlState } from '../../core/ports.js';
import { describeTarget, listIds, Targets } from '../../core/control/targets.js';

/** 'brake-only': no POLCA caps and no playbooks; only the power brake above brakePct (the simulator's `none`). */
export type ControlMode = 'polca' | 'brake-only';

export interface ControlServiceOptions {
  engine: Engine;
  actuator: Actuator;
  audit: AuditSink | null;
  /** Per GPU: 1 = high priority. */
  priorities: Uint8Array;
  /** Where overrides, row flags and the policy persist (control.db in the app), or null: nothing persists. */
  store: ControlState | null;
  /** Called when overrides, automation, stages, playbooks or brakes change (not every tick). */
  onChange: (summary: ControlSummary) => void;
  /** The policy to use when control.db holds none (default: PolicyConfigSchema's defaults, the paper's values). */
  policy?: PolicyConfig;
  mode?: ControlMode;
}

const MAX_EXPIRY_S = 7 * 24 * 3600;


/** Per row, what the arbiter's row layers were last built from (rebuilt only when it changes). */
function rowSignature(p: PolcaRowState, pbs: readonly PlaybookState[], manualBrake: boolean): string {
  let s = `${p.stage}|${highEngaged(p) ? 1 : 0}|${manualBrake ? 1 : 0}`;
  for (const b of pbs) s += `|${b.active ? b.stageSinceMs.map((x) => (Number.isNaN(x) ? 0 : 1)).join('') : '-'}`;
  return s;
}

/**
 * The control plane: each tick POLCA per row, emergency playbooks, manual overrides and brakes are merged by the
 * arbiter into one setpoint per GPU, which the actuation model turns into commands with modelled latency, rate
 * limits and read-back reconciliation; landed commands go to the Actuator. Operator requests are validated
 * (RefusalError, nothing applied), persisted in control.db and audited.
 */
export class ControlService implements ControlApi, TickService {
  readonly arbiter: Arbiter;
  readonly actuation: Actuation;
  /** Wall time of the last decision (POLCA + playbooks + arbiter), ms. Not part of any report. */
  lastDecisionMs = 0;
  /** Per row: engine time of the last brake-on command issued (NaN: none yet). */
  readonly lastBrakeIssuedMs: Float64Array;
  /** Per row: GPUs with a cap, lock or brake in effect; GPUs braked in effect. */
  readonly rowCappedGpus: Int32Array;
  readonly rowBrakedGpus: Int32Array;
  readonly counts = { caps: 0, brakes: 0, releases: 0 };
  /** Per row: brake engagements (any source: POLCA, playbook, manual). */
  readonly rowBrakes: Int32Array;

  private readonly engine: Engine;
  /** Engine time when the service started (a GPU never commanded has been as it is since then). */
  private readonly startMs: number;
  private readonly actuator: Actuator;
  private readonly audit: AuditSink | null;
  private readonly store: ControlState | null;
  private readonly onChange: (s: ControlSummary) => void;
  private readonly priorities: Uint8Array;
  private readonly mode: ControlMode;
  private readonly n: number;
  private readonly models: readonly GpuModel[];
  private readonly gpuModel: Int32Array;
  private readonly rowStart: Int32Array;
  private readonly rowEnd: Int32Array;
  private readonly targets: Targets;
  private readonly L: { polca: Layer; manual: Layer; polcaBrake: Layer; playbooks: Layer; manualBrake: Layer };
  private readonly sink: CommandSink;

  private policy: PolicyConfig;
  private playbooks: readonly Playbook[];
  private caps: ResolvedClockCaps[] = [];
  private polca: PolcaRowState[];
  private pbState: PlaybookState[][];
  private readonly automation: boolean[];
  private readonly manualBrake: Array<{ by: string; reason: string; sinceMs: number } | null>;
  private readonly rowSig: string[];
  private readonly rowBrakeWanted: Uint8Array;
  private readonly overrides = new Map<string, Override>();
  private readonly auditBatches = new Map<
    string,
    { row: number; ch: Channel; value: number; prev: number | null; why: number; tighten: boolean; count: number; firstMs: number; lastMs: number; latencyMs: number }
  >();
  /** Per row: ids of active playbooks worth showing (a load-spike playbook only while it caps a GPU). */
  private readonly rowPlaybooksShown: string[][];
  private overrideSeq = 0;

  constructor(o: ControlServiceOptions) {
    const e = o.engine;
    const t = e.topology;
    this.engine = e;
    this.startMs = e.nowMs;
    this.actuator = o.actuator;
    this.audit = o.audit;
    this.store = o.store;
    this.onChange = o.onChange;
    this.mode = o.mode ?? 'polca';
    this.n = t.gpuCount;
    if (o.priorities.length !== this.n) throw new Error(`priorities has ${o.priorities.length} entries, the fleet ${this.n} GPUs`);
    this.priorities = o.priorities;
    this.models = t.models;
    this.gpuModel = e.index.gpuModel;
    this.targets = new Targets(t, this.gpuModel);
    const rows = t.rows.length;
    this.rowStart = new Int32Array(rows);
    this.rowEnd = new Int32Array(rows);
    t.rows.forEach((row, r) => {
      const first = t.racks[row.rackStart]!;
      const last = t.racks[row.rackStart + row.rackCount - 1]!;
      this.rowStart[r] = t.servers[first.serverStart]!.gpuStart;
      const ls = t.servers[last.serverStart + last.serverCount - 1]!;
      this.rowEnd[r] = ls.gpuStart + ls.gpuCount;
    });

    this.arbiter = new Arbiter(this.n);
    this.L = {
      polca: this.arbiter.addLayer('POLCA', 'auto'),
      manual: this.arbiter.addLayer('override', 'manual'),
      // The power brake above the row budget protects the breaker: an emergency, not "automation" (exempt GPUs get it).
      polcaBrake: this.arbiter.addLayer('POLCA brake', 'emergency'),
      playbooks: this.arbiter.addLayer('playbook', 'emergency'),
      manualBrake: this.arbiter.addLayer('manual brake', 'emergency'),
    };
    const act = this.actuator;
    this.sink = {
      apply: (g, ch, v) => {
        if (ch === CH.limit) act.setPowerLimit(g, v);
        else if (ch === CH.lock) act.setClockLock(g, v);
        else act.setBrake(g, v === 1);
      },
    };

    this.automation = t.rows.map(() => true);
    this.manualBrake = t.rows.map(() => null);
    this.rowSig = t.rows.map(() => '');
    this.rowBrakeWanted = new Uint8Array(rows);
    this.lastBrakeIssuedMs = new Float64Array(rows).fill(NaN);
    this.rowCappedGpus = new Int32Array(rows);
    this.rowBrakedGpus = new Int32Array(rows);
    this.rowBrakes = new Int32Array(rows);
    this.rowPlaybooksShown = t.rows.map(() => []);
    this.polca = t.rows.map(() => initialPolcaState(e.nowMs));

    let policy = o.policy ?? PolicyConfigSchema.parse({});
    const stored = this.loadFromDb();
    if (stored.policy) policy = stored.policy;
    this.policy = policy;
    this.playbooks = [];
    this.pbState = [];
    this.actuation = new Actuation(this.n, this.gpuModel, this.models, policy.actuation);
    this.applyPolicy(policy);
    this.rebuildManual();
    this.decide(e.nowMs, false);
    this.arbiter.decide();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Tick
  // -------------------------------------------------------------------------------------------------------------

  onTick(engine: Engine, nowMs: number, stale: boolean): void {
    let changed = this.expireOverrides(nowMs);
    this.actuation.reconcile(nowMs, engine.live, stale, this.sink);
    const t0 = performance.now();
    changed = this.decide(nowMs, stale) || changed;
    this.lastDecisionMs = performance.now() - t0;

    const gpuRow = engine.index.gpuRow;
    const batches = this.auditBatches;
    const onIssue = (c: Issued) => {
      const row = gpuRow[c.gpu]!;
      if (c.ch === CH.brake && c.value === 1) this.lastBrakeIssuedMs[row] = nowMs;
      if (!this.audit) return;
      const key = `${row}|${c.ch}|${c.value}|${c.why}|${c.tighten ? 1 : 0}`;
      const b = batches.get(key);
      if (b) {
        b.count++;
        b.lastMs = nowMs;
        if (b.prev !== c.prev) b.prev = null;
      } else batches.set(key, { row, ch: c.ch, value: c.value, prev: c.prev, why: c.why, tighten: c.tighten, count: 1, firstMs: nowMs, lastMs: nowMs, latencyMs: c.effectAtMs - nowMs });
    };
    const st = this.actuation.step(nowMs, this.arbiter.out, this.sink, onIssue, { holdReleases: stale });
    this.counts.caps += st.caps;
    this.counts.releases += st.releases;
    if (st.landed > 0) this.recountInEffect();
    if (this.audit) this.flushAudit(nowMs, false);
    if (changed) this.onChange(this.summary());
  }

  /**
   * One audit record per command batch: commands issued together to a row for the same value and reason. Cap-downs
   * are written in the tick they are issued; releases, which the actuation model staggers over one change interval,
   * are gathered until that window has passed, so a row's uncap is one record, not one per tick.
   */
  private flushAudit(nowMs: number, all: boolean): void {
    const windowMs = this.policy.actuation.minChangeIntervalS * 1000 + this.engine.step;
    for (const [key, b] of this.auditBatches) {
      if (!all && !b.tighten && nowMs - b.firstMs < windowMs) continue;
      this.auditBatches.delete(key);
      const rowId = this.engine.topology.rows[b.row]!.id;
      const what = this.describeValue(b.ch, b.value, this.rowStart[b.row]!);
      const prev = b.prev === null ? 'mixed' : this.describeValue(b.ch, b.prev, this.rowStart[b.row]!);
      const why = this.arbiter.whyOf(b.why) || (b.tighten ? '' : 'release: no contribution asks for it any more');
      const span = Math.round((b.lastMs - b.firstMs) / 1000);
      this.append({
        actor: 'system',
        kind: 'actuation',
        target: `row ${rowId}`,
        oldValue: prev,
        newValue: `${b.count} GPU${b.count === 1 ? '' : 's'} → ${what} (in effect ${Math.round(b.latencyMs / 1000)} s after issue${span > 0 ? `; issued over ${span} s, staggered` : ''})`,
        reason: why,
        outcome: 'ok',
      });
    }
  }

  /**
   * POLCA per row, playbooks, row layers (rebuilt only when a row's state changed), arbiter. Returns true when
   * something an operator sees (stage, playbook, brake) changed.
   */
  private decide(nowMs: number, stale: boolean): boolean {
    const e = this.engine;
    const t = e.topology;
    const a = this.policy.actuation;
    const capLatencyS = a.capPath === 'inBand' ? a.inBandS : a.outOfBandCapS;
    let changed = false;
    for (let r = 0; r < t.rows.length; r++) {
      const view = { budgetKW: e.rowBudgetKW[r]!, powerW: e.agg.rowW[r]!, stale };
      const prev = this.polca[r]!;
      const capsEnabled = this.mode === 'polca' && this.automation[r]!;
      const next = stepPolca(this.policy.polca, view, prev, nowMs, { capLatencyS, capsEnabled });
      this.polca[r] = next;
      if (this.mode === 'polca') {
        const row = t.rows[r]!;
        const model = this.models[this.gpuModel[this.rowStart[r]!]!]!;
        let inlet = NaN;
        for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
          const x = e.rackInletC[k]!;
          if (Number.isFinite(x) && !(x <= inlet)) inlet = x;
        }
        const hottest = e.agg.rowMaxTempC[r]!;
        const pv = {
          budgetKW: view.budgetKW,
          provisionedKW: row.budgetKW,
          powerW: view.powerW,
          stale,
          minMarginC: Number.isFinite(hottest) ? model.slowdownC - hottest : NaN,
          hottestC: Number.isFinite(hottest) ? hottest : NaN,
          inletC: inlet,
        };
        const states = this.pbState[r]!;
        for (let i = 0; i < this.playbooks.length; i++) states[i] = stepPlaybook(this.playbooks[i]!, pv, states[i]!, nowMs, { capLatencyS, brakeLatencyS: a.brakeS });
      }
      const wanted = next.stage === 'brake' || this.manualBrake[r] !== null || this.pbState[r]!.some((s, i) => engagedActions(this.playbooks[i]!, s).some((x) => x.action.kind === 'brake'));
      if (wanted && this.rowBrakeWanted[r] === 0) {
        this.counts.brakes++;
        this.rowBrakes[r]++;
      }
      this.rowBrakeWanted[r] = wanted ? 1 : 0;
      const sig = rowSignature(next, this.pbState[r]!, this.manualBrake[r] !== null);
      if (sig !== this.rowSig[r]) {
        this.rowSig[r] = sig;
        this.rebuildRow(r);
        // Only a rebuilt row's contributions changed: re-decide its GPUs (manual changes re-decide everything).
        this.arbiter.decide(this.rowStart[r]!, this.rowEnd[r]!);
        changed = true;
      }
    }
    return changed;
  }

  /** Rebuild a row's POLCA, POLCA-brake, playbook and manual-brake layers. */
  private rebuildRow(r: number): void {
    const from = this.rowStart[r]!;
    const to = this.rowEnd[r]!;
    const rowId = this.engine.topology.rows[r]!.id;
    const { polca: LP, polcaBrake: LB, playbooks: LY, manualBrake: LM } = this.L;
    for (const ly of [LP, LB, LY, LM]) Arbiter.clear(ly, from, to);
    const arb = this.arbiter;
    const st = this.polca[r]!;
    const t2 = st.stage === 't2' || st.stage === 'brake';
    const why = (text: string) => arb.why(text);
    const pct = (x: number) => `${x} %`;
    const P = this.policy.polca;
    // Per GPU model: the lock and its reason for each priority, computed once (not per GPU: 2,560 GPUs a row at ×8).
    const lockOf: Array<[number, number]> = [];
    const whyOf: Array<[number, number]> = [];
    this.models.forEach((_, mi) => {
      const caps = this.caps[mi]!;
      const lo = polcaLockMHz(st, false, caps);
      const hi = polcaLockMHz(st, true, caps);
      lockOf.push([lo, hi]);
      whyOf.push([
        lo > 0 ? why(`POLCA ${t2 ? `T2 (${pct(P.t2Pct)})` : `T1 (${pct(P.t1Pct)})`} on row ${rowId}: low-priority GPU → ${lo} MHz (${caps.origin})`) : 0,
        hi > 0 ? why(`POLCA T2 on row ${rowId}: high-priority GPU, row still above T2 (${pct(P.t2Pct)}) after the low-priority locks → ${hi} MHz (${caps.origin})`) : 0,
      ]);
    });
    const prio = this.priorities;
    const gm = this.gpuModel;
    for (let g = from; g < to; g++) {
      const k = prio[g] === 1 ? 1 : 0;
      const mi = gm[g]!;
      const lock = lockOf[mi]![k];
      if (lock > 0) {
        LP.lockMHz[g] = lock;
        LP.lockWhy[g] = whyOf[mi]![k];
      }
    }
    if (st.stage === 'brake') {
      const w = why(`POLCA brake on row ${rowId}: row power above ${pct(P.brakePct)} of its budget`);
      LB.brake.fill(1, from, to);
      LB.brakeWhy.fill(w, from, to);
    }
    const mb = this.manualBrake[r];
    if (mb) {
      const w = why(`manual brake on row ${rowId} by ${mb.by}: ${mb.reason}`);
      LM.brake.fill(1, from, to);
      LM.brakeWhy.fill(w, from, to);
    }
    const states = this.pbState[r]!;
    const shown: string[] = [];
    this.playbooks.forEach((pb, i) => {
      if (!states[i]!.active) return;
      let acting = false;
      for (const { stage, action } of engagedActions(pb, states[i]!)) {
        const w = why(`playbook ${pb.id} on row ${rowId}, stage ${stage + 1}: ${describeAction(action)}`);
        if (action.kind === 'brake') {
          acting = true;
          for (let g = from; g < to; g++) {
            if (LY.brake[g] === 0) {
              LY.brake[g] = 1;
              LY.brakeWhy[g] = w;
            }
          }
          continue;
        }
        const lowOnly = action.priority === 'low';
        const isLock = action.kind === 'clockCap';
        const valueOf = this.models.map((m) =>
          action.kind === 'clockCap' ? Math.max(m.minClockMHz, Math.round((action.mhzPctOfMax / 100) * m.maxClockMHz)) : Math.max(m.minLimitW, Math.round((action.pctOfMaxLimit / 100) * m.maxLimitW)),
        );
        const col = isLock ? LY.lockMHz : LY.limitW;
        const whyCol = isLock ? LY.lockWhy : LY.limitWhy;
        for (let g = from; g < to; g++) {
          if (lowOnly && prio[g] === 1) continue;
          acting = true;
          const v = valueOf[gm[g]!]!;
          if (col[g] === 0 || v < col[g]!) {
            col[g] = v;
            whyCol[g] = w;
          }
        }
      }
      if (acting || pb.trigger.kind !== 'loadSpike') shown.push(pb.id);
    });
    this.rowPlaybooksShown[r] = shown;
  }

  /** Rebuild the manual-override layer and the exempt flags from the overrides in force. */
  private rebuildManual(): void {
    const LM = this.L.manual;
    Arbiter.clear(LM);
    this.arbiter.exempt.fill(0);
    for (const ov of this.overrides.values()) {
      const w = this.arbiter.why(`override ${ov.id} by ${ov.createdBy}: ${ov.reason}`);
      const a = ov.action;
      for (const g of ov.gpus) {
        if (a.kind === 'exempt') this.arbiter.exempt[g] = 1;
        else if (a.kind === 'powerCap') {
          if (LM.limitW[g] === 0 || a.watts < LM.limitW[g]!) {
            LM.limitW[g] = a.watts;
            LM.limitWhy[g] = w;
          }
        } else if (LM.lockMHz[g] === 0 || a.mhz < LM.lockMHz[g]!) {
          LM.lockMHz[g] = a.mhz;
          LM.lockWhy[g] = w;
        }
      }
    }
    this.arbiter.decide();
  }

  private recountInEffect(): void {
    const eff = this.actuation.eff;
    for (let r = 0; r < this.rowStart.length; r++) {
      let capped = 0;
      let braked = 0;
      for (let g = this.rowStart[r]!; g < this.rowEnd[r]!; g++) {
        if (this.actuation.capped(g)) capped++;
        if (eff[CH.brake][g] === 1) braked++;
      }
      this.rowCappedGpus[r] = capped;
      this.rowBrakedGpus[r] = braked;
    }
  }

  private expireOverrides(nowMs: number): boolean {
    let expired = false;
    for (const ov of [...this.overrides.values()]) {
      if (ov.expiresAtMs > nowMs) continue;
      this.persist(() => {
        this.store?.deleteOverride(ov.id);
        this.append({ actor: 'system', kind: 'override-clear', target: `${ov.id} ${describeTarget(ov.target)}`, oldValue: this.overrideJson(ov), newValue: '', reason: 'expired', outcome: 'ok' });
      });
      this.overrides.delete(ov.id);
      expired = true;
    }
    if (expired) this.rebuildManual();
    return expired;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------------------------

  summary(): ControlSummary {
    return {
      rows: this.engine.topology.rows.map((_, r) => this.rowControl(r)),
      overrides: [...this.overrides.values()].map((o) => ({ ...o, gpus: [...o.gpus] })),
      gpuSource: Array.from(this.arbiter.out.source),
      counts: { ...this.counts },
    };
  }

  private rowControl(r: number): RowControl {
    const ids = this.rowPlaybooksShown[r]!;
    return {
      row: this.engine.topology.rows[r]!.id,
      automation: this.automation[r]!,
      stage: this.polca[r]!.stage,
      playbook: ids.length ? ids.join(', ') : null,
      cappedGpus: this.rowCappedGpus[r]!,
      brakedGpus: this.rowBrakedGpus[r]!,
      manualBrake: this.manualBrake[r] ? { ...this.manualBrake[r]! } : null,
    };
  }

  gpus(ids: readonly number[]): GpuControl[] {
    this.targets.checkGpus(ids);
    const A = this.actuation;
    const o = this.arbiter.out;
    return ids.map((g) => {
      const d = A.req;
      const alarmBits = A.alarm[g]!;
      const alarm = alarmBits
        ? [0, 1, 2]
            .filter((c) => alarmBits & (1 << c))
            .map((c) => `${CHANNEL_NAMES[c]} ${this.describeValue(c as Channel, A.eff[c]![g]!, g)} not seen in read-back ${this.policy.actuation.correctionS} s after it took effect`)
            .join('; ')
        : null;
      const reasons = this.arbiter.explain(g).map((c) => ({ source: c.source, what: c.what, why: c.why }));
      // Overrides that lost to a lower one on the same GPU (the manual layer holds only the lowest).
      for (const ov of this.overrides.values()) {
        if (ov.action.kind === 'exempt' || !ov.gpus.includes(g)) continue;
        const what = ov.action.kind === 'powerCap' ? `power limit ${ov.action.watts} W` : `clock lock ${ov.action.mhz} MHz`;
        if (!reasons.some((x) => x.source === 'manual' && x.what === what)) reasons.push({ source: 'manual', what, why: `override ${ov.id} by ${ov.createdBy}: ${ov.reason} (a lower value wins)` });
      }
      if (this.arbiter.exempt[g] === 1) {
        const ov = [...this.overrides.values()].find((x) => x.action.kind === 'exempt' && x.gpus.includes(g));
        if (ov) reasons.push({ source: 'manual', what: 'exempt from automation', why: `override ${ov.id} by ${ov.createdBy}: ${ov.reason}` });
      }
      return {
        gpu: g,
        requested: { limitW: d[CH.limit][g]!, lockMHz: d[CH.lock][g]!, brake: d[CH.brake][g] === 1, source: SOURCE_NAMES[o.source[g]!]!, since: Number.isFinite(A.reqSinceMs[g]!) ? A.reqSinceMs[g]! : this.startMs },
        inEffect: { limitW: A.eff[CH.limit][g]!, lockMHz: A.eff[CH.lock][g]!, brake: A.eff[CH.brake][g] === 1 },
        pending: A.pending(g).map((p) => ({ what: `${CHANNEL_NAMES[p.ch]} → ${this.describeValue(p.ch, p.value, g)}`, effectAtMs: p.effectAtMs })),
        reasons,
        exempt: this.arbiter.exempt[g] === 1,
        alarm,
      };
    });
  }

  /** The policy in force; an empty playbook list means the built-in playbooks, which are returned as such. */
  getPolicy(): PolicyConfig {
    const p = structuredClone(this.policy);
    if (p.playbooks.length === 0) p.playbooks = structuredClone([...this.activePlaybooks()]);
    return p;
  }

  brakedRows(): ReadonlySet<string> {
    const out = new Set<string>();
    this.engine.topology.rows.forEach((row, r) => {
      if (this.rowBrakeWanted[r] === 1 || this.rowBrakedGpus[r]! > 0) out.add(row.id);
    });
    return out;
  }

  /** Estimate of the action's effect on the target's power (nothing is applied). */
  preview(target: Target, action: OverrideAction): ResponseTypes['override:preview'] {
    const gpus = this.targets.resolve(target);
    const L = this.engine.live;
    let currentW = 0;
    let afterW = 0;
    let clamped = 0;
    for (const g of gpus) {
      const m = this.models[this.gpuModel[g]!]!;
      const p = L.powerW[g]!;
      currentW += p;
      if (action.kind === 'powerCap') {
        const w = Math.min(m.maxLimitW, Math.max(m.minLimitW, action.watts));
        if (w !== action.watts) clamped++;
        afterW += Math.min(p, w);
      } else if (action.kind === 'clockLock') {
        const f = Math.min(m.maxClockMHz, Math.max(m.minClockMHz, action.mhz));
        if (f !== action.mhz) clamped++;
        afterW += Math.min(p, this.powerAtClock(g, m, f));
      } else {
        // Exempt: the GPU loses its automatic (POLCA) lock; estimate its power at the lock that remains.
        const o = this.arbiter.out;
        if (o.lockSrc[g] === SOURCE.auto) {
          let rest = 0;
          for (const ly of [this.L.manual, this.L.polcaBrake, this.L.playbooks, this.L.manualBrake]) {
            const v = ly.lockMHz[g]!;
            if (v > 0 && (rest === 0 || v < rest)) rest = v;
          }
          afterW += Math.max(p, Math.min(L.limitW[g]!, this.powerAtClock(g, m, rest > 0 ? rest : m.maxClockMHz)));
        } else afterW += p;
      }
    }
    const r1 = (x: number) => Math.round(x * 10) / 10;
    return { gpus: gpus.length, currentW: r1(currentW), afterW: r1(afterW), deltaW: r1(afterW - currentW), clamped };
  }

  /** Power of GPU g at clock f, from its current reading through the physics model (activity inferred). */
  private powerAtClock(g: number, m: GpuModel, f: number): number {
    const L = this.engine.live;
    const p = L.powerW[g]!;
    const clock = L.clockMHz[g]!;
    if (!(clock > m.idleClockMHz) || p <= m.idleW) return p; // idle: a lock changes nothing
    const dyn = (m.maxLimitW - m.idleW) * Math.pow(clock / m.maxClockMHz, m.clockPowerExponent);
    const activity = dyn > 0 ? Math.max(0, (p - m.idleW) / dyn) : 0;
    return powerAt(m, activity, f);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Operator actions: validate (RefusalError, nothing applied) → persist + audit (one transaction) → apply
  // -------------------------------------------------------------------------------------------------------------

  setOverride(req: { target: Target; action: OverrideAction; reason: string; expiresInS: number }, actor: Actor): Override {
    const reason = this.reason(req.reason);
    const gpus = this.targets.resolve(req.target);
    this.targets.checkAction(req.action, gpus, this.models);
    if (!(Number.isFinite(req.expiresInS) && req.expiresInS > 0 && req.expiresInS <= MAX_EXPIRY_S)) {
      throw new RefusalError(`expiry must be between 1 s and 7 days, got ${req.expiresInS} s`);
    }
    const now = this.engine.nowMs;
    const seq = this.overrideSeq + 1;
    const ov: Override = {
      id: `ov-${seq}`,
      target: structuredClone(req.target),
      action: { ...req.action },
      gpus,
      reason,
      createdBy: actor.user,
      createdAtMs: now,
      expiresAtMs: now + Math.round(req.expiresInS * 1000),
    };
    this.persist(() => {
      this.store?.saveOverride(ov, seq);
      this.append({ actor, kind: 'override', target: `${ov.id} ${describeTarget(ov.target)}`, oldValue: '', newValue: this.overrideJson(ov), reason, outcome: 'ok' });
    });
    this.overrideSeq = seq;
    this.overrides.set(ov.id, ov);
    this.rebuildManual();
    this.arbiter.decide();
    this.onChange(this.summary());
    return { ...ov, gpus: [...gpus] };
  }

  clearOverride(id: string, reason: string, actor: Actor): void {
    const why = this.reason(reason);
    const ov = this.overrides.get(id);
    if (!ov) throw new RefusalError(`no override "${id}" is in force${this.overrides.size ? ` (in force: ${listIds([...this.overrides.keys()])})` : ''}`);
    this.persist(() => {
      this.store?.deleteOverride(id);
      this.append({ actor, kind: 'override-clear', target: `${id} ${describeTarget(ov.target)}`, oldValue: this.overrideJson(ov), newValue: '', reason: why, outcome: 'ok' });
    });
    this.overrides.delete(id);
    this.rebuildManual();
    this.arbiter.decide();
    this.onChange(this.summary());
  }

  setAutomation(row: string, enabled: boolean, reason: string, actor: Actor): RowControl {
    const why = this.reason(reason);
    const r = this.row(row);
    const old = this.automation[r]!;
    this.persist(() => {
      this.saveRow(r, enabled, this.manualBrake[r]!);
      this.append({ actor, kind: 'automation', target: `row ${row}`, oldValue: old ? 'on' : 'off', newValue: enabled ? 'on' : 'off', reason: why, outcome: 'ok' });
    });
    this.automation[r] = enabled;
    this.onChange(this.summary());
    return this.rowControl(r);
  }

  brakeRow(row: string, engage: boolean, reason: string, actor: Actor): RowControl {
    const why = this.reason(reason);
    const r = this.row(row);
    const old = this.manualBrake[r]!;
    const next = engage ? { by: actor.user, reason: why, sinceMs: this.engine.nowMs } : null;
    this.persist(() => {
      this.saveRow(r, this.automation[r]!, next);
      this.append({ actor, kind: 'brake', target: `row ${row}`, oldValue: old ? 'manual brake on' : 'manual brake off', newValue: engage ? 'manual brake on' : 'manual brake off', reason: why, outcome: 'ok' });
    });
    this.manualBrake[r] = next;
    this.rowSig[r] = '';
    this.decide(this.engine.nowMs, this.engine.stale);
    this.arbiter.decide();
    this.onChange(this.summary());
    return this.rowControl(r);
  }

  setPolicy(config: unknown, reason: string, actor: Actor): PolicyConfig {
    const why = this.reason(reason);
    const parsed = PolicyConfigSchema.safeParse(config);
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `policy.${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new RefusalError(msg);
    }
    const cfg = parsed.data;
    for (const [modelId, c] of Object.entries(cfg.polca.clockCaps)) {
      const m = this.models.find((x) => x.id === modelId);
      if (!m) continue;
      for (const k of ['lowT1MHz', 'lowT2MHz', 'highT2MHz'] as const) {
        if (c[k] < m.minClockMHz || c[k] > m.maxClockMHz) {
          throw new RefusalError(`policy.polca.clockCaps.${modelId}.${k}: ${c[k]} MHz is outside ${modelId}'s clock range ${m.minClockMHz}–${m.maxClockMHz} MHz`);
        }
      }
      if (c.lowT2MHz > c.lowT1MHz) throw new RefusalError(`policy.polca.clockCaps.${modelId}.lowT2MHz: the T2 lock (${c.lowT2MHz} MHz) must not be above the T1 lock (${c.lowT1MHz} MHz)`);
    }
    const old = this.policy;
    this.persist(() => {
      this.store?.savePolicy(JSON.stringify(cfg), actor.user, this.engine.nowMs);
      this.append({ actor, kind: 'policy', target: 'policy', oldValue: JSON.stringify(old), newValue: JSON.stringify(cfg), reason: why, outcome: 'ok' });
    });
    this.applyPolicy(cfg);
    this.decide(this.engine.nowMs, this.engine.stale);
    this.arbiter.decide();
    this.onChange(this.summary());
    return this.getPolicy();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------------------------

  private applyPolicy(cfg: PolicyConfig): void {
    const pbChanged = JSON.stringify(cfg.playbooks) !== JSON.stringify(this.policy.playbooks) || this.pbState.length === 0;
    this.policy = cfg;
    this.caps = this.models.map((m) => clockCapsFor(m, cfg.polca));
    this.actuation.cfg = cfg.actuation;
    if (pbChanged) {
      this.playbooks = this.mode === 'polca' ? (cfg.playbooks.length ? cfg.playbooks : DEFAULT_PLAYBOOKS) : [];
      this.pbState = this.engine.topology.rows.map(() => this.playbooks.map((pb) => initialPlaybookState(pb)));
    }
    this.rowSig.fill('');
  }

  /** The controller's state of a row (POLCA and each playbook in force), for tests and diagnostics. */
  rowState(row: string): { polca: PolcaRowState; playbooks: Array<{ id: string; state: PlaybookState }> } {
    const r = this.row(row);
    return { polca: { ...this.polca[r]! }, playbooks: this.playbooks.map((pb, i) => ({ id: pb.id, state: this.pbState[r]![i]! })) };
  }

  /** The playbooks in force (the policy's, or the defaults when it has none). */
  activePlaybooks(): readonly Playbook[] {
    return this.playbooks;
  }

  /** Caps per GPU model in force, with where each came from. */
  clockCaps(): Record<string, ResolvedClockCaps> {
    return Object.fromEntries(this.models.map((m, i) => [m.id, this.caps[i]!]));
  }

  private reason(text: string): string {
    const r = ReasonSchema.safeParse(text);
    if (!r.success) throw new RefusalError(r.error.issues[0]?.message ?? 'a reason is required');
    return r.data;
  }

  private row(id: string): number {
    return this.targets.row(id);
  }


  private describeValue(ch: Channel, v: number, g: number): string {
    if (ch === CH.brake) return v === 1 ? 'power brake on' : 'power brake off';
    if (ch === CH.lock) return v > 0 ? `${Math.round(v)} MHz` : 'clock unlocked';
    return v >= this.actuation.defaultLimitW(g) ? `default power limit (${Math.round(v)} W)` : `${Math.round(v)} W`;
  }

  private overrideJson(ov: Override): string {
    return JSON.stringify({ target: ov.target, action: ov.action, gpus: ov.gpus.length, expiresAtMs: ov.expiresAtMs });
  }

  private append(entry: AuditEntry): void {
    this.audit?.append(entry, this.engine.nowMs);
  }

  /** Run persistence + audit as one transaction (nothing is applied in memory if it throws). */
  private persist(fn: () => void): void {
    if (this.store) this.store.transaction(fn);
    else fn();
  }

  private saveRow(r: number, automation: boolean, brake: { by: string; reason: string; sinceMs: number } | null): void {
    this.store?.saveRow({ rowId: this.engine.topology.rows[r]!.id, automation, manualBrake: brake }, this.engine.nowMs);
  }

  /** Overrides, per-row flags and the policy from control.db. */
  private loadFromDb(): { policy: PolicyConfig | null } {
    if (!this.store) return { policy: null };
    const stored = this.store.load();
    this.overrideSeq = stored.overrideSeq;
    for (const ov of stored.overrides) {
      ov.gpus = (ov.gpus ?? []).filter((g) => Number.isInteger(g) && g >= 0 && g < this.n);
      if (ov.gpus.length) this.overrides.set(ov.id, ov);
    }
    for (const r of stored.rows) {
      const i = this.targets.rowIndex.get(r.rowId);
      if (i === undefined) continue;
      this.automation[i] = r.automation;
      this.manualBrake[i] = r.manualBrake;
    }
    const body = stored.policyBody;
    if (!body) return { policy: null };
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      raw = undefined;
    }
    const p = PolicyConfigSchema.safeParse(raw);
    if (p.success) return { policy: p.data };
    this.append({ actor: 'system', kind: 'policy', target: 'policy', oldValue: body.slice(0, 2000), newValue: '(defaults)', reason: 'the stored policy no longer validates; defaults in force', outcome: 'failed' });
    return { policy: null };
  }
}
