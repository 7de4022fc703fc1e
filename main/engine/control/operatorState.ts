import { PolicyConfigSchema, type Actor, type Override, type OverrideAction, type PolicyConfig, type Target } from '../../../shared/domain/control.js';
import type { AuditEntry, AuditSink, ControlState } from '../../core/ports.js';
import { describeTarget } from '../../../shared/naming.js';

/** A row's manual brake: who engaged it, why, since when (engine ms); null: off. */
export type ManualBrake = { by: string; reason: string; sinceMs: number } | null;

const overrideJson = (ov: Override) => JSON.stringify({ target: ov.target, action: ov.action, gpus: ov.gpus.length, expiresAtMs: ov.expiresAtMs });

/**
 * What operators set on the control plane: overrides, and per row automation and the manual brake. Each change is
 * written to control.db (ControlState) with its audit record in one transaction BEFORE memory changes: if either
 * throws, nothing changed. At start it loads what control.db holds (GPU ids outside the fleet dropped; a stored
 * policy that no longer validates is audited as failed and ignored). Requests arrive validated; audit records carry
 * the engine time `nowMs()`.
 */
export class OperatorState {
  /** In force, in creation order. */
  readonly overrides = new Map<string, Override>();
  readonly automation: boolean[];
  readonly manualBrake: ManualBrake[];
  /** The policy stored in control.db (null: none, or invalid). */
  readonly storedPolicy: PolicyConfig | null = null;
  private overrideSeq = 0;

  constructor(
    private readonly store: ControlState | null,
    private readonly audit: AuditSink | null,
    private readonly nowMs: () => number,
    private readonly rowIds: readonly string[],
    gpuCount: number,
    /** How an override's target reads in the audit trail: the screen's words (shared/naming.ts) over the topology. */
    private readonly targetText: (t: Target) => string = (t) => describeTarget(t, null),
  ) {
    this.automation = rowIds.map(() => true);
    this.manualBrake = rowIds.map(() => null);
    if (!store) return;
    const stored = store.load();
    this.overrideSeq = stored.overrideSeq;
    for (const ov of stored.overrides) {
      ov.gpus = (ov.gpus ?? []).filter((g) => Number.isInteger(g) && g >= 0 && g < gpuCount);
      if (ov.gpus.length) this.overrides.set(ov.id, ov);
    }
    for (const r of stored.rows) {
      const i = rowIds.indexOf(r.rowId);
      if (i < 0) continue;
      this.automation[i] = r.automation;
      this.manualBrake[i] = r.manualBrake;
    }
    this.storedPolicy = stored.policyBody ? this.parseStored(stored.policyBody) : null;
  }

  /** Whether audit records are kept at all. */
  get auditing(): boolean {
    return this.audit !== null;
  }

  append(entry: AuditEntry): void {
    this.audit?.append(entry, this.nowMs());
  }

  /** A new override on `gpus` (resolved from `target`), expiring `expiresInS` from now. */
  addOverride(req: { target: Target; action: OverrideAction; gpus: number[]; reason: string; expiresInS: number }, actor: Actor): Override {
    const now = this.nowMs();
    const seq = this.overrideSeq + 1;
    const ov: Override = {
      id: `ov-${seq}`,
      target: structuredClone(req.target),
      action: { ...req.action },
      gpus: req.gpus,
      reason: req.reason,
      createdBy: actor.user,
      createdAtMs: now,
      expiresAtMs: now + Math.round(req.expiresInS * 1000),
    };
    this.persist(() => {
      this.store?.saveOverride(ov, seq);
      this.append({ actor, kind: 'override', target: `${ov.id} ${this.targetText(ov.target)}`, oldValue: '', newValue: overrideJson(ov), reason: ov.reason, outcome: 'ok' });
    });
    this.overrideSeq = seq;
    this.overrides.set(ov.id, ov);
    return ov;
  }

  /** Clear an override in force, by an operator or by the system ('expired'). */
  clearOverride(ov: Override, actor: Actor | 'system', reason: string): void {
    this.persist(() => {
      this.store?.deleteOverride(ov.id);
      this.append({ actor, kind: 'override-clear', target: `${ov.id} ${this.targetText(ov.target)}`, oldValue: overrideJson(ov), newValue: '', reason, outcome: 'ok' });
    });
    this.overrides.delete(ov.id);
  }

  /** Clear every override expired at `nowMs`; true when one was. */
  expire(nowMs: number): boolean {
    let expired = false;
    for (const ov of [...this.overrides.values()]) {
      if (ov.expiresAtMs > nowMs) continue;
      this.clearOverride(ov, 'system', 'expired');
      expired = true;
    }
    return expired;
  }

  setAutomation(r: number, enabled: boolean, reason: string, actor: Actor): void {
    const old = this.automation[r]!;
    this.saveRow(r, enabled, this.manualBrake[r]!, actor, 'automation', { oldValue: old ? 'on' : 'off', newValue: enabled ? 'on' : 'off', reason });
    this.automation[r] = enabled;
  }

  setManualBrake(r: number, engage: boolean, reason: string, actor: Actor): void {
    const next = engage ? { by: actor.user, reason, sinceMs: this.nowMs() } : null;
    const words = (on: boolean) => (on ? 'manual brake on' : 'manual brake off');
    this.saveRow(r, this.automation[r]!, next, actor, 'brake', { oldValue: words(!!this.manualBrake[r]), newValue: words(engage), reason });
    this.manualBrake[r] = next;
  }

  /** Store a policy (already validated) that replaces `old`. */
  savePolicy(cfg: PolicyConfig, old: PolicyConfig, actor: Actor, reason: string): void {
    this.persist(() => {
      this.store?.savePolicy(JSON.stringify(cfg), actor.user, this.nowMs());
      this.append({ actor, kind: 'policy', target: 'policy', oldValue: JSON.stringify(old), newValue: JSON.stringify(cfg), reason, outcome: 'ok' });
    });
  }

  private saveRow(r: number, automation: boolean, manualBrake: ManualBrake, actor: Actor, kind: 'automation' | 'brake', change: { oldValue: string; newValue: string; reason: string }): void {
    const rowId = this.rowIds[r]!;
    this.persist(() => {
      this.store?.saveRow({ rowId, automation, manualBrake }, this.nowMs());
      this.append({ actor, kind, target: `row ${rowId}`, ...change, outcome: 'ok' });
    });
  }

  private parseStored(body: string): PolicyConfig | null {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      raw = undefined;
    }
    const p = PolicyConfigSchema.safeParse(raw);
    if (p.success) return p.data;
    this.append({ actor: 'system', kind: 'policy', target: 'policy', oldValue: body.slice(0, 2000), newValue: '(defaults)', reason: 'the stored policy no longer validates; defaults in force', outcome: 'failed' });
    return null;
  }

  /** Run persistence + audit as one transaction (nothing is applied in memory if it throws). */
  private persist(fn: () => void): void {
    if (this.store) this.store.transaction(fn);
    else fn();
  }
}
