import { PolicyConfigSchema, ReasonSchema, type Actor, type ControlSummary, type GpuControl, type Override, type OverrideAction, type PolicyConfig, type Playbook, type RowControl, type Target } from '../../../shared/domain/control.js';
import type { ResponseTypes } from '../../../shared/contract.js';
import { Actuation, CH, type CommandSink, type Issued } from '../../core/control/actuation.js';
import { CommandBatches, batchAuditEntry } from '../../core/control/actuationAudit.js';
import { Arbiter, type Layer } from '../../core/control/arbiter.js';
import { countInEffect, gpuControl } from '../../core/control/gpuControl.js';
import { mergeOverrides } from '../../core/control/manualLayer.js';
import type { PlaybookState } from '../../core/control/playbooks.js';
import { checkPolicy } from '../../core/control/policyChecks.js';
import type { PolcaRowState, ResolvedClockCaps } from '../../core/control/polca.js';
import { previewAction } from '../../core/control/preview.js';
import { RowControllers, rowGpuSpans, type FleetColumns } from '../../core/control/rows.js';
import { listIds, Targets } from '../../core/control/targets.js';
import { RefusalError, type ControlApi } from '../../core/ports.js';
import type { Engine, TickService } from '../engine.js';
import { OperatorState } from './operatorState.js';
import type { ControlServiceOptions } from './options.js';
import { describeTarget } from '../../../shared/naming.js';

const MAX_EXPIRY_S = 7 * 24 * 3600;

/**
 * The control plane: each tick POLCA per row, emergency playbooks, manual overrides and brakes are merged by the
 * arbiter into one setpoint per GPU, which the actuation model turns into commands with modelled latency, rate
 * limits and read-back reconciliation; landed commands go to the Actuator. Operator requests are validated
 * (RefusalError, nothing applied), persisted in control.db and audited (OperatorState).
 * Orchestration only: the rules live in main/core/control (rows, rowLayers, playbookLayer, manualLayer, preview,
 * gpuControl, policyChecks, actuationAudit).
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
  private readonly onChange: (s: ControlSummary) => void;
  private readonly fleet: FleetColumns;
  private readonly spans: { start: Int32Array; end: Int32Array };
  private readonly targets: Targets;
  private readonly manual: Layer;
  private readonly rows: RowControllers;
  private readonly ops: OperatorState;
  private readonly sink: CommandSink;
  private readonly batches = new CommandBatches();
  private policy: PolicyConfig;

  constructor(o: ControlServiceOptions) {
    const e = o.engine;
    const t = e.topology;
    this.engine = e;
    this.startMs = e.nowMs;
    this.onChange = o.onChange;
    const n = t.gpuCount;
    if (o.priorities.length !== n) throw new Error(`priorities has ${o.priorities.length} entries, the fleet ${n} GPUs`);
    this.fleet = { models: t.models, gpuModel: e.index.gpuModel, priorities: o.priorities };
    this.targets = new Targets(t, e.index.gpuModel);
    this.spans = rowGpuSpans(t);
    this.arbiter = new Arbiter(n);
    const polca = this.arbiter.addLayer('POLCA', 'auto');
    this.manual = this.arbiter.addLayer('override', 'manual');
    // The power brake above the row budget protects the breaker: an emergency, not "automation" (exempt GPUs get it).
    const polcaBrake = this.arbiter.addLayer('POLCA brake', 'emergency');
    const playbooks = this.arbiter.addLayer('playbook', 'emergency');
    const manualBrake = this.arbiter.addLayer('manual brake', 'emergency');
    const act = o.actuator;
    this.sink = { apply: (g, ch, v) => (ch === CH.limit ? act.setPowerLimit(g, v) : ch === CH.lock ? act.setClockLock(g, v) : act.setBrake(g, v === 1)) };
    const rowCount = t.rows.length;
    this.lastBrakeIssuedMs = new Float64Array(rowCount).fill(NaN);
    this.rowCappedGpus = new Int32Array(rowCount);
    this.rowBrakedGpus = new Int32Array(rowCount);
    const mode = o.mode ?? 'polca';
    this.rows = new RowControllers(t, this.fleet, this.spans, this.arbiter, { polca, polcaBrake, playbooks, manualBrake }, mode !== 'brake-only', e.nowMs, mode === 'headroom' ? 'headroom' : 'polca', e.step);
    this.rowBrakes = this.rows.brakes;
    this.ops = new OperatorState(o.store, o.audit, () => e.nowMs, t.rows.map((r) => r.id), n, (target) => describeTarget(target, t));
    this.policy = this.ops.storedPolicy ?? o.policy ?? PolicyConfigSchema.parse({});
    this.actuation = new Actuation(n, e.index.gpuModel, t.models, this.policy.actuation);
    this.applyPolicy(this.policy);
    this.rebuildManual();
    this.decide(e.nowMs, false);
    this.arbiter.decide();
  }

  onTick(engine: Engine, nowMs: number, stale: boolean): void {
    let changed = this.ops.expire(nowMs);
    if (changed) this.rebuildManual();
    this.actuation.reconcile(nowMs, engine.live, stale, this.sink);
    const t0 = performance.now();
    changed = this.decide(nowMs, stale) || changed;
    this.lastDecisionMs = performance.now() - t0;
    const gpuRow = engine.index.gpuRow;
    const auditing = this.ops.auditing;
    const onIssue = (c: Issued) => {
      const row = gpuRow[c.gpu]!;
      if (c.ch === CH.brake && c.value === 1) this.lastBrakeIssuedMs[row] = nowMs;
      if (auditing) this.batches.add(row, c, nowMs);
    };
    // Only GPUs re-decided since the last step, and those still waiting to change, are visited.
    const changedGpus = this.arbiter.takeChanged();
    const st = this.actuation.step(nowMs, this.arbiter.out, this.sink, onIssue, { holdReleases: stale, flags: engine.live.flags, changed: changedGpus });
    this.counts.caps += st.caps;
    this.counts.releases += st.releases;
    if (st.landed > 0) {
      // Rows whose in-effect values changed since the last count (landed, or adopted from read-back).
      const eff = this.actuation.takeEffChanged();
      const before = this.rowCappedGpus.join(',') + '|' + this.rowBrakedGpus.join(',');
      countInEffect(this.actuation, this.spans.start, this.spans.end, this.rowCappedGpus, this.rowBrakedGpus, eff.from, eff.to);
      // Caps that land change what the Rows panel says ("320 commanded, 320 landed"): publish it, not only stages.
      if (this.rowCappedGpus.join(',') + '|' + this.rowBrakedGpus.join(',') !== before) changed = true;
    }
    if (auditing) this.flushAudit(nowMs);
    // What the alert rules (rowBrake, controllerStage) read: the same per-row state the console shows.
    if (changed || st.landed > 0 || !engine.rowControl) engine.rowControl = engine.topology.rows.map((_, r) => this.rowControl(r));
    if (changed) this.onChange(this.summary());
  }

  /** On shutdown: audit every open command batch, releases still gathering included, so none is lost. */
  close(): void {
    if (this.ops.auditing) this.flushAudit(this.engine.nowMs, true);
  }

  /** Audit the command batches due (actuationAudit.ts: cap-downs at once, releases once their window has passed). */
  private flushAudit(nowMs: number, all = false): void {
    const windowMs = this.policy.actuation.minChangeIntervalS * 1000 + this.engine.step;
    for (const b of this.batches.takeDue(nowMs, windowMs, all)) {
      const rowId = this.engine.topology.rows[b.row]!.id;
      this.ops.append(batchAuditEntry(b, rowId, this.arbiter.whyOf(b.why), this.actuation.defaultLimitW(this.spans.start[b.row]!)));
    }
  }

  /**
   * Step every row (rows.ts). Returns true when something an operator sees (stage, playbook, brake) changed. Row
   * power is the engine's `controlRowW`: metered where a fresh meter reading exists, else the model.
   */
  private decide(nowMs: number, stale: boolean): boolean {
    const e = this.engine;
    const readings = { rowBudgetKW: e.rowBudgetKW, rowW: e.controlRowW, rowMaxTempC: e.agg.rowMaxTempC, rackInletC: e.rackInletC };
    const changed = this.rows.step(readings, this.ops, nowMs, stale);
    this.counts.brakes = this.rows.totalBrakes;
    return changed;
  }

  /** Rebuild the manual-override layer and the exempt flags from the overrides in force (manualLayer.ts). */
  private rebuildManual(): void {
    mergeOverrides(this.ops.overrides.values(), this.manual, this.arbiter.exempt, (text) => this.arbiter.why(text));
    this.arbiter.decide();
  }

  // Reads -------------------------------------------------------------------------------------------------------

  summary(): ControlSummary {
    return {
      rows: this.engine.topology.rows.map((_, r) => this.rowControl(r)),
      overrides: [...this.ops.overrides.values()].map((o) => ({ ...o, gpus: [...o.gpus] })),
      gpuSource: Array.from(this.arbiter.out.source),
      counts: { ...this.counts },
    };
  }

  private rowControl(r: number): RowControl {
    const ids = this.rows.shown[r]!;
    const mb = this.ops.manualBrake[r]!;
    return {
      row: this.engine.topology.rows[r]!.id,
      automation: this.ops.automation[r]!,
      stage: this.rows.polca[r]!.stage,
      playbook: ids.length ? ids.join(', ') : null,
      cappedGpus: this.rowCappedGpus[r]!,
      brakedGpus: this.rowBrakedGpus[r]!,
      commandedGpus: this.commanded(r),
      deepLock: !Number.isNaN(this.rows.polca[r]!.deepSinceMs),
      shedServers: this.rows.polca[r]!.shedServers,
      manualBrake: mb ? { ...mb } : null,
      lever: this.engine.rowLever?.[r] ?? null,
    };
  }

  /** GPUs of row r with a setpoint requested now (any source). */
  private commanded(r: number): number {
    const src = this.arbiter.out.source;
    let n = 0;
    for (let g = this.spans.start[r]!; g < this.spans.end[r]!; g++) if (src[g] !== 0) n++;
    return n;
  }

  gpus(ids: readonly number[]): GpuControl[] {
    this.targets.checkGpus(ids);
    const inputs = { actuation: this.actuation, arbiter: this.arbiter, overrides: [...this.ops.overrides.values()], correctionS: this.policy.actuation.correctionS, startMs: this.startMs };
    return ids.map((g) => gpuControl(g, inputs));
  }

  /** The policy in force; an empty playbook list means the built-in playbooks, which are returned as such. */
  getPolicy(): PolicyConfig {
    const p = structuredClone(this.policy);
    if (p.playbooks.length === 0) p.playbooks = structuredClone([...this.activePlaybooks()]);
    return p;
  }

  /** The overrides in force (not copied: read, do not keep). */
  overridesNow(): Iterable<Override> {
    return this.ops.overrides.values();
  }

  brakedRows(): ReadonlySet<string> {
    const out = new Set<string>();
    this.engine.topology.rows.forEach((row, r) => {
      if (this.rows.brakeWanted[r] === 1 || this.rowBrakedGpus[r]! > 0) out.add(row.id);
    });
    return out;
  }

  /** Estimate of the action's effect on the target's power (nothing is applied; preview.ts). */
  preview(target: Target, action: OverrideAction): ResponseTypes['override:preview'] {
    return previewAction(this.targets.resolve(target), action, this.fleet.models, this.fleet.gpuModel, this.engine.live, this.arbiter);
  }

  /** The controller's state of a row (POLCA and each playbook in force), for tests and diagnostics. */
  rowState(row: string): { polca: PolcaRowState; playbooks: Array<{ id: string; state: PlaybookState }> } {
    const r = this.targets.row(row);
    return { polca: { ...this.rows.polca[r]! }, playbooks: this.rows.playbooks.map((pb, i) => ({ id: pb.id, state: this.rows.states[r]![i]! })) };
  }

  /** The playbooks in force (the policy's, or the defaults when it has none). */
  activePlaybooks(): readonly Playbook[] {
    return this.rows.playbooks;
  }

  /** Caps per GPU model in force, with where each came from. */
  clockCaps(): Record<string, ResolvedClockCaps> {
    return Object.fromEntries(this.fleet.models.map((m, i) => [m.id, this.rows.caps[i]!]));
  }

  // Operator actions: validate (RefusalError, nothing applied) → persist + audit (one transaction) → apply ------

  setOverride(req: { target: Target; action: OverrideAction; reason: string; expiresInS: number }, actor: Actor): Override {
    const reason = this.reason(req.reason);
    const gpus = this.targets.resolve(req.target);
    this.targets.checkAction(req.action, gpus, this.fleet.models);
    if (!(Number.isFinite(req.expiresInS) && req.expiresInS > 0 && req.expiresInS <= MAX_EXPIRY_S)) {
      throw new RefusalError(`expiry must be between 1 s and 7 days, got ${req.expiresInS} s`);
    }
    const ov = this.ops.addOverride({ target: req.target, action: req.action, gpus, reason, expiresInS: req.expiresInS }, actor);
    this.manualChanged();
    return { ...ov, gpus: [...gpus] };
  }

  clearOverride(id: string, reason: string, actor: Actor): void {
    const why = this.reason(reason);
    const overrides = this.ops.overrides;
    const ov = overrides.get(id);
    if (!ov) throw new RefusalError(`no override "${id}" is in force${overrides.size ? ` (in force: ${listIds([...overrides.keys()])})` : ''}`);
    this.ops.clearOverride(ov, actor, why);
    this.manualChanged();
  }

  setAutomation(row: string, enabled: boolean, reason: string, actor: Actor): RowControl {
    const why = this.reason(reason);
    const r = this.targets.row(row);
    if (this.ops.automation[r] === enabled) throw new RefusalError(`automation on row ${row} is already ${enabled ? 'on' : 'paused'}`);
    this.ops.setAutomation(r, enabled, why, actor);
    this.onChange(this.summary());
    return this.rowControl(r);
  }

  /**
   * The operator's row brake. Refused when it would change nothing: engaging a brake already engaged by hand (who and
   * since when), releasing one that is not (the controller's own brake releases by itself; pause automation to stop it).
   */
  brakeRow(row: string, engage: boolean, reason: string, actor: Actor): RowControl {
    const why = this.reason(reason);
    const r = this.targets.row(row);
    const mb = this.ops.manualBrake[r];
    if (engage && mb) throw new RefusalError(`row ${row}'s brake is already engaged by ${mb.by} since ${new Date(mb.sinceMs).toISOString()} ("${mb.reason}")`);
    if (!engage && !mb) throw new RefusalError(this.rows.polca[r]!.stage === 'brake' ? `row ${row}'s brake is the controller's (the row is above its budget): it releases by itself; pause automation on row ${row} to stop the controller` : `row ${row} has no brake engaged by hand to release`);
    this.ops.setManualBrake(r, engage, why, actor);
    this.rows.invalidate(r);
    this.redecide();
    return this.rowControl(r);
  }

  setPolicy(config: unknown, reason: string, actor: Actor): PolicyConfig {
    const why = this.reason(reason);
    const checked = checkPolicy(config, this.fleet.models);
    if (!checked.ok) throw new RefusalError(checked.message);
    this.ops.savePolicy(checked.policy, this.policy, actor, why);
    this.applyPolicy(checked.policy);
    this.redecide();
    return this.getPolicy();
  }

  // Helpers ------------------------------------------------------------------------------------------------------

  /** After an override change: the manual layer, a full decision, subscribers. */
  private manualChanged(): void {
    this.rebuildManual();
    this.arbiter.decide();
    this.onChange(this.summary());
  }

  /** After a row or policy change: a decision now (not at the next tick), subscribers. */
  private redecide(): void {
    this.decide(this.engine.nowMs, this.engine.stale);
    this.arbiter.decide();
    this.onChange(this.summary());
  }

  private applyPolicy(cfg: PolicyConfig): void {
    this.policy = cfg;
    this.actuation.cfg = cfg.actuation;
    this.rows.setPolicy(cfg);
  }

  private reason(text: string): string {
    const r = ReasonSchema.safeParse(text);
    if (!r.success) throw new RefusalError(r.error.issues[0]?.message ?? 'a reason is required');
    return r.data;
  }
}
