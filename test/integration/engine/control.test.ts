import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../../shared/domain/control.js';
import { ScenarioSchema, type ScenarioFile } from '../../../shared/domain/scenario.js';
import { SimActuator } from '../../../main/actuators/simActuator.js';
import { CH } from '../../../main/core/control/actuation.js';
import { SOURCE } from '../../../main/core/control/arbiter.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import { ControlService } from '../../../main/engine/control/service.js';
import { Engine } from '../../../main/engine/engine.js';
import { RefusalError, type AuditEntry, type AuditSink } from '../../../main/core/ports.js';
import { defaultScenario } from '../../../main/sim/defaultScenario.js';
import { loadScenario, loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';
import { SimSource } from '../../../main/sources/simSource.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { controlState } from '../../../main/store/control.js';
import { describeTarget, gpuName } from '../../../shared/naming.js';
import type { DB } from '../../../main/store/db.js';
import { tempDir } from '../../helpers.js';

const topology = resolveTopology(defaultTopologySpec(1));
const ROW = { A: 0, B: 1, C: 2, D: 3 } as const;
const GPUS_PER_ROW = 320;

class FakeAudit implements AuditSink {
  readonly entries: AuditEntry[] = [];
  append(entry: AuditEntry, simMs: number) {
    this.entries.push(entry);
    return { ...entry, seq: this.entries.length, atMs: 0, simMs, actor: typeof entry.actor === 'string' ? entry.actor : entry.actor.user, role: 'system' as const, prevHash: '', hash: '' };
  }
}

function rig(file: ScenarioFile, o: { control?: 'polca' | 'brake-only' | false; policy?: PolicyConfig; db?: DB | null; audit?: AuditSink | null } = {}) {
  const scenario = ScenarioSchema.parse(file);
  const sim = new Simulator(topology, scenario, loadTraces(), scenario.seed);
  const engine = new Engine({ topology, source: new SimSource(sim), stepMs: scenario.stepMs, startMs: sim.timeMs });
  const changes: number[] = [];
  const control = new ControlService({
    engine,
    actuator: new SimActuator(sim),
    audit: o.audit ?? null,
    priorities: sim.gpuPriority(),
    store: o.db ? controlState(o.db) : null,
    onChange: () => changes.push(engine.nowMs),
    mode: o.control === 'brake-only' ? 'brake-only' : 'polca',
    ...(o.policy ? { policy: o.policy } : {}),
  });
  if (o.control !== false) engine.addService(control);
  const pct = (r: number) => (engine.agg.rowW[r]! / (engine.rowBudgetKW[r]! * 1000)) * 100;
  return { sim, engine, control, pct, changes };
}

const noEvents = (): ScenarioFile => ({ ...defaultScenario(1), events: [] });
const operator = { user: 'alice', role: 'operator' as const };
const admin = { user: 'root', role: 'admin' as const };

function longestRun(xs: readonly number[], over = 100): number {
  let best = 0;
  let cur = 0;
  for (const x of xs) {
    cur = x > over ? cur + 1 : 0;
    best = Math.max(best, cur);
  }
  return best;
}

describe('control plane through the real engine and simulator', () => {
  it('row D (30 % oversubscribed), bursty demand: POLCA bounds every excursion above the budget to the brake latency + 1 tick', () => {
    // The stress profile (every server in step): production demand rarely takes row D over its budget at all.
    const runs = (['polca', 'brake-only', false] as const).map((mode) => {
      const r = rig({ ...noEvents(), demand: 'bursty' }, { control: mode });
      const d: number[] = [];
      for (let i = 0; i < 2400; i++) {
        r.engine.tick();
        d.push(r.pct(ROW.D));
      }
      return { mode, d, over: d.filter((x) => x > 100).length, brakes: r.control.rowBrakes[ROW.D]!, capped: r.control.rowCappedGpus[ROW.D]! };
    });
    const [polca, brakeOnly, none] = runs;
    console.log(
      `row D, 2400 s: POLCA ${polca!.brakes} brakes, ${polca!.over} s above 100 % (longest ${longestRun(polca!.d)} s); ` +
        `brake only ${brakeOnly!.brakes} brakes, ${brakeOnly!.over} s; no controller ${none!.over} s above 100 % (longest ${longestRun(none!.d)} s)`,
    );
    expect(longestRun(polca!.d)).toBeLessThanOrEqual(6);
    expect(longestRun(brakeOnly!.d)).toBeLessThanOrEqual(6);
    expect(polca!.over).toBeLessThan(none!.over / 10);
    expect(polca!.brakes).toBeLessThan(brakeOnly!.brakes / 5);
  });

  it('telemetry stall: row D counted at its worst case is braked, nothing is released while stale', () => {
    const r = rig({ ...defaultScenario(1), events: [{ kind: 'sourceStall', atS: 200, durationS: 30 }] });
    const released: number[] = [];
    for (let i = 1; i <= 260; i++) {
      const before = Float64Array.from(r.control.actuation.req[CH.lock]);
      r.engine.tick();
      if (r.engine.stale) {
        const after = r.control.actuation.req[CH.lock];
        for (let g = 0; g < after.length; g++) if (before[g]! > 0 && (after[g] === 0 || after[g]! > before[g]!)) released.push(g);
      }
      if (i === 215) expect(r.control.rowState('D').polca.stage).toBe('brake');
    }
    expect(released).toEqual([]);
  });

  it('power-budget loss: brake command within one tick of the event, back under the new budget within the 10 s ride-through', () => {
    const file = { ...defaultScenario(1), events: [{ kind: 'powerBudgetLoss' as const, atS: 300, durationS: 300, row: 'C', fraction: 0.25 }] };
    const r = rig(file, { audit: new FakeAudit() });
    let k0 = -1;
    const after: number[] = [];
    let brakeIssuedMs = NaN;
    let eventMs = NaN;
    for (let i = 1; i <= 700; i++) {
      r.engine.tick();
      if (k0 < 0 && r.engine.rowBudgetKW[ROW.C]! < topology.rows[ROW.C]!.budgetKW) {
        k0 = i;
        eventMs = r.engine.nowMs;
        expect(r.pct(ROW.C)).toBeGreaterThan(100); // the training row is above its new budget
      }
      if (k0 > 0 && Number.isNaN(brakeIssuedMs) && Number.isFinite(r.control.lastBrakeIssuedMs[ROW.C]!)) brakeIssuedMs = r.control.lastBrakeIssuedMs[ROW.C]!;
      if (k0 > 0 && i >= k0 + 10 && i < k0 + 300) after.push(r.pct(ROW.C));
    }
    const reaction = (brakeIssuedMs - eventMs) / 1000;
    console.log(`power-budget loss on row C: brake issued ${reaction} s after the event; max ${Math.max(...after).toFixed(1)} % of the new budget from +10 s`);
    expect(reaction).toBeLessThanOrEqual(1);
    expect(Math.max(...after)).toBeLessThanOrEqual(100);
    expect(r.control.rowState('C').playbooks.find((p) => p.id === 'power-budget-loss')!.state.active).toBe(false); // budget back at 600 s
  });

  it('cooling loss: thermal caps land before any GPU reaches hardware slowdown (without them it does)', () => {
    const file = { ...defaultScenario(1), events: [{ kind: 'coolingLoss' as const, atS: 120, row: 'C', fraction: 0.7 }] };
    const runOnce = (control: boolean) => {
      const r = rig(file, { control: control ? 'polca' : false });
      let firstSlowdown = NaN;
      let capIssued = NaN;
      let hottestAtCap = NaN;
      let maxC = 0;
      for (let i = 1; i <= 900; i++) {
        r.engine.tick();
        const t = r.engine.agg.rowMaxTempC[ROW.C]!;
        maxC = Math.max(maxC, t);
        if (Number.isNaN(firstSlowdown) && t >= topology.models[0]!.slowdownC) firstSlowdown = i;
        if (control && Number.isNaN(capIssued) && r.control.actuation.req[CH.lock][ROW.C * GPUS_PER_ROW]! > 0) {
          capIssued = i;
          hottestAtCap = t;
        }
      }
      return { firstSlowdown, capIssued, hottestAtCap, maxC };
    };
    const without = runOnce(false);
    const withCtl = runOnce(true);
    console.log(`cooling loss on row C: without control slowdown at ${without.firstSlowdown} s (max ${without.maxC.toFixed(1)} °C); with: caps at ${withCtl.capIssued} s (hottest ${withCtl.hottestAtCap.toFixed(1)} °C), max ${withCtl.maxC.toFixed(1)} °C`);
    expect(without.firstSlowdown).toBeGreaterThan(0);
    expect(withCtl.capIssued).toBeGreaterThan(120);
    expect(withCtl.hottestAtCap).toBeGreaterThanOrEqual(89 - 8);
    expect(Number.isNaN(withCtl.firstSlowdown)).toBe(true);
  });

  it('load spike: low-priority GPUs are capped early by the load-spike playbook, before POLCA\'s T2; high-priority ones are not', () => {
    // The surge must push a row toward its budget: row D (30 % oversubscribed) at ~74 %, ×3 arrivals. (On row A, which
    // is provisioned for its full load, the same surge tops out below 85 %: no emergency, and no playbook.)
    const racks = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `D${String(from + i).padStart(2, '0')}`);
    const r = rig({
      name: 'spike',
      services: [
        { id: 'hi', priority: 'high', trace: 'conv', placement: { racks: racks(1, 5) }, ratePerServer: 2 },
        { id: 'lo', priority: 'low', trace: 'conv', placement: { racks: racks(6, 10) }, ratePerServer: 2, traceOffsetS: 900 },
      ],
      events: [{ kind: 'loadSpike', atS: 300, durationS: 300, factor: 3, rows: ['D'] }],
    });
    const hiGpu = ROW.D * GPUS_PER_ROW; // rack D01
    const lowGpu = hiGpu + 160; // rack D06
    let active = NaN;
    let stageThen = '';
    let gpusThen: ReturnType<typeof r.control.gpus> = [];
    for (let i = 1; i <= 330 && Number.isNaN(active); i++) {
      r.engine.tick();
      const st = r.control.rowState('D');
      if (st.playbooks.find((p) => p.id === 'load-spike')!.state.active) {
        active = i;
        stageThen = st.polca.stage;
        gpusThen = r.control.gpus([lowGpu, hiGpu]);
      }
    }
    const [lo, hi] = gpusThen;
    console.log(`load spike ×3 on row D at 300 s: playbook active at ${active} s (POLCA stage then: ${stageThen})`);
    expect(active).toBeGreaterThanOrEqual(300);
    expect(active).toBeLessThanOrEqual(305);
    expect(['normal', 't1']).toContain(stageThen);
    expect(lo!.requested.lockMHz).toBe(Math.round(0.79 * 1980));
    expect(lo!.reasons[0]!.why).toContain('playbook load-spike');
    expect(hi!.reasons.some((x) => x.why.includes('load-spike'))).toBe(false);
  });
});

describe('operator overrides, automation, brakes and policy', () => {
  it('refuses bad input with a clear message and applies nothing', () => {
    const audit = new FakeAudit();
    const dir = tempDir();
    const db = openControlDb(dir.file('control.db'));
    try {
      const r = rig(noEvents(), { db, audit });
      for (let i = 0; i < 5; i++) r.engine.tick();
      const c = r.control;
      const before = JSON.stringify({ s: c.summary().overrides, p: c.getPolicy() });
      const reason = 'maintenance window';
      const refusals: Array<[() => unknown, RegExp]> = [
        [() => c.setOverride({ target: { kind: 'gpus', ids: [1, 99_999] }, action: { kind: 'powerCap', watts: 400 }, reason, expiresInS: 600 }, operator), /unknown GPU id 99999 .*0–1279/],
        [() => c.setOverride({ target: { kind: 'racks', ids: ['Z99'] }, action: { kind: 'powerCap', watts: 400 }, reason, expiresInS: 600 }, operator), /unknown rack "Z99"/],
        [() => c.setOverride({ target: { kind: 'servers', ids: ['A01-S9'] }, action: { kind: 'powerCap', watts: 400 }, reason, expiresInS: 600 }, operator), /unknown server "A01-S9"/],
        [() => c.setOverride({ target: { kind: 'row', id: 'Q' }, action: { kind: 'powerCap', watts: 400 }, reason, expiresInS: 600 }, operator), /unknown row "Q" \(rows: A, B, C, D\)/],
        [() => c.setOverride({ target: { kind: 'row', id: 'A' }, action: { kind: 'powerCap', watts: 150 }, reason, expiresInS: 600 }, operator), /150 W is outside H100-SXM's power limit range 200–700 W/],
        [() => c.setOverride({ target: { kind: 'row', id: 'A' }, action: { kind: 'powerCap', watts: 900 }, reason, expiresInS: 600 }, operator), /range 200–700 W/],
        [() => c.setOverride({ target: { kind: 'row', id: 'A' }, action: { kind: 'clockLock', mhz: 2500 }, reason, expiresInS: 600 }, operator), /2500 MHz is outside H100-SXM's clock range 210–1980 MHz/],
        [() => c.setOverride({ target: { kind: 'row', id: 'A' }, action: { kind: 'clockLock', mhz: 1500 }, reason: ' x ', expiresInS: 600 }, operator), /reason of at least 3 characters/],
        [() => c.setOverride({ target: { kind: 'row', id: 'A' }, action: { kind: 'clockLock', mhz: 1500 }, reason, expiresInS: NaN }, operator), /expiry/],
        [() => c.clearOverride('ov-404', reason, operator), /no override "ov-404"/],
        [() => c.setAutomation('Q', false, reason, operator), /unknown row "Q"/],
        [() => c.brakeRow('Q', true, reason, operator), /unknown row "Q"/],
        [() => c.setPolicy({ polca: { t1Pct: 90, t2Pct: 89 } }, reason, admin), /policy\.polca\.t1Pct: T1 \(90 %\) must be below T2 \(89 %\)/],
        [() => c.setPolicy({ polca: { t1Pct: 80, t2Pct: 89, brakePct: 200 } }, reason, admin), /policy\.polca\.brakePct: .*150/],
        [() => c.setPolicy({ polca: { t1Pct: -1 } }, reason, admin), /policy\.polca\.t1Pct/],
        [() => c.setPolicy({ polca: { clockCaps: { 'H100-SXM': { lowT1MHz: 1700, lowT2MHz: 1500, highT2MHz: 3000 } } } }, reason, admin), /highT2MHz: 3000 MHz is outside H100-SXM's clock range/],
        [() => c.gpus([5000]), /unknown GPU id 5000/],
        [() => c.preview({ kind: 'racks', ids: ['Z1'] }, { kind: 'exempt' }), /unknown rack/],
      ];
      for (const [fn, msg] of refusals) {
        let err: unknown = null;
        try {
          fn();
        } catch (e) {
          err = e;
        }
        expect(err, String(msg)).toBeInstanceOf(RefusalError);
        expect((err as Error).message).toMatch(msg);
      }
      expect(JSON.stringify({ s: c.summary().overrides, p: c.getPolicy() })).toBe(before);
      expect(audit.entries.filter((e) => e.kind !== 'actuation')).toEqual([]);
      expect(db.prepare('SELECT COUNT(*) FROM control_overrides').pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM control_policy').pluck().get()).toBe(0);
      expect(r.control.summary().rows.every((x) => x.automation)).toBe(true);
    } finally {
      db.close();
      dir.cleanup();
    }
  });

  it('an override lands after the modelled latency, is explained, audited as one batch, and expires (audited as system)', () => {
    const audit = new FakeAudit();
    const r = rig(noEvents(), { audit });
    r.engine.tick();
    const preview = r.control.preview({ kind: 'racks', ids: ['A01'] }, { kind: 'clockLock', mhz: 1200 });
    expect(preview.gpus).toBe(32);
    expect(preview.afterW).toBeLessThanOrEqual(preview.currentW);
    expect(preview.clamped).toBe(0);
    const capPreview = r.control.preview({ kind: 'row', id: 'A' }, { kind: 'powerCap', watts: 100 });
    expect(capPreview).toMatchObject({ gpus: 320, clamped: 320 });
    const ov = r.control.setOverride({ target: { kind: 'racks', ids: ['A01'] }, action: { kind: 'clockLock', mhz: 1200 }, reason: 'firmware test', expiresInS: 120 }, operator);
    expect(ov).toMatchObject({ id: 'ov-1', gpus: Array.from({ length: 32 }, (_, i) => i), createdBy: 'alice' });
    expect(audit.entries.at(-1)).toMatchObject({ kind: 'override', target: 'ov-1 rack A01', reason: 'firmware test', outcome: 'ok' });
    r.engine.tick();
    const batch = audit.entries.filter((e) => e.kind === 'actuation');
    expect(batch).toHaveLength(1);
    expect(batch[0]!.target).toBe('row A');
    expect(batch[0]!.newValue).toMatch(/^32 GPUs → 1200 MHz \(in effect 40 s after issue\)/);
    const [g0] = r.control.gpus([0]);
    expect(g0!.requested).toMatchObject({ lockMHz: 1200, source: 'manual' });
    expect(g0!.inEffect.lockMHz).toBe(0);
    expect(g0!.pending).toEqual([{ what: 'clock lock → 1200 MHz', effectAtMs: r.engine.nowMs + 40_000 }]);
    expect(g0!.reasons[0]).toMatchObject({ source: 'manual', what: 'clock lock 1200 MHz', why: 'override ov-1 by alice: firmware test' });
    for (let i = 0; i < 40; i++) r.engine.tick();
    expect(r.sim.gpu.lockMHz[0]).toBe(1200);
    expect(r.control.gpus([0])[0]!.inEffect.lockMHz).toBe(1200);
    for (let i = 0; i < 80; i++) r.engine.tick();
    expect(r.control.summary().overrides).toEqual([]);
    expect(audit.entries.find((e) => e.kind === 'override-clear')).toMatchObject({ actor: 'system', target: 'ov-1 rack A01', reason: 'expired' });
    for (let i = 0; i < 6; i++) r.engine.tick(); // releases are staggered within one change interval (5 s)
    expect(r.control.actuation.req[CH.lock][0]).toBe(0);
    expect(r.control.gpus([0])[0]!.alarm).toBeNull();
  });

  it('closing the service audits the releases still being gathered (none lost at shutdown)', () => {
    const audit = new FakeAudit();
    const r = rig(noEvents(), { audit });
    r.engine.tick();
    const ov = r.control.setOverride({ target: { kind: 'racks', ids: ['A01'] }, action: { kind: 'clockLock', mhz: 1200 }, reason: 'firmware test', expiresInS: 600 }, operator);
    for (let i = 0; i < 45; i++) r.engine.tick();
    r.control.clearOverride(ov.id, 'done', operator);
    for (let i = 0; i < 6; i++) r.engine.tick(); // the releases are issued; their audit batch waits for its window
    const released = () => audit.entries.filter((e) => e.kind === 'actuation' && /unlocked/.test(e.newValue)).length;
    expect(r.control.actuation.req[CH.lock][0]).toBe(0);
    expect(released()).toBe(0);
    r.control.close();
    expect(released()).toBe(1);
  });

  it("the audit trail names an override's target in the screen's words (shared/naming.ts), GPUs by name", () => {
    const audit = new FakeAudit();
    const r = rig(noEvents(), { audit });
    r.engine.tick();
    const target = { kind: 'gpus' as const, ids: [5, 6] };
    r.control.setOverride({ target, action: { kind: 'powerCap', watts: 500 }, reason: 'naming check', expiresInS: 60 }, operator);
    const text = audit.entries.at(-1)?.target ?? '';
    expect(text).toBe(`ov-1 ${describeTarget(target, topology)}`);
    expect(text).toBe(`ov-1 2 GPUs: ${gpuName(topology, 5)}, ${gpuName(topology, 6)}`);
  });

  it('exempt keeps POLCA off the GPUs; a manual row brake (an emergency) still applies to them', () => {
    const r = rig(noEvents());
    for (let i = 0; i < 300; i++) r.engine.tick();
    const d0 = ROW.D * GPUS_PER_ROW + 5 * 32; // first GPU of rack D06 (low priority)
    r.control.setOverride({ target: { kind: 'racks', ids: ['D06'] }, action: { kind: 'exempt' }, reason: 'benchmark run', expiresInS: 3600 }, operator);
    for (let i = 0; i < 10; i++) r.engine.tick();
    const [g] = r.control.gpus([d0]);
    expect(g!.exempt).toBe(true);
    expect(r.control.arbiter.out.lockSrc[d0]).not.toBe(SOURCE.auto); // the load-spike playbook (an emergency) may still lock it
    expect(g!.reasons.filter((x) => x.source === 'auto').every((x) => x.why.includes('exempt'))).toBe(true);
    r.control.brakeRow('D', true, 'feed maintenance', operator);
    expect(r.control.brakedRows().has('D')).toBe(true);
    r.engine.tick();
    expect(r.control.gpus([d0])[0]!.requested).toMatchObject({ brake: true, source: 'emergency' });
    for (let i = 0; i < 6; i++) r.engine.tick();
    expect(r.sim.gpu.brake[d0]).toBe(1);
    r.control.brakeRow('D', false, 'maintenance done', operator);
    for (let i = 0; i < 15; i++) r.engine.tick();
    expect(r.sim.gpu.brake[d0]).toBe(0);
  });

  it('automation off: no POLCA caps on the row (the power brake above the budget stays armed)', () => {
    const r = rig(noEvents());
    r.control.setAutomation('D', false, 'investigating caps', operator);
    let brakedWhileOff = 0;
    for (let i = 0; i < 600; i++) {
      r.engine.tick();
      if (r.control.rowState('D').polca.stage === 'brake') brakedWhileOff++;
      expect(['normal', 'brake']).toContain(r.control.rowState('D').polca.stage);
    }
    const dLow = ROW.D * GPUS_PER_ROW + 200;
    expect(r.control.summary().rows[ROW.D]).toMatchObject({ row: 'D', automation: false });
    expect(r.control.arbiter.out.lockSrc[dLow]).not.toBe(SOURCE.auto);
    expect(r.control.arbiter.layers[0]!.lockMHz.subarray(ROW.D * GPUS_PER_ROW, (ROW.D + 1) * GPUS_PER_ROW).every((x) => x === 0)).toBe(true);
    console.log(`row D with automation off, 600 s: ${brakedWhileOff} s braked`);
  });

  it('persists overrides, automation, manual brakes and policy in control.db', () => {
    const dir = tempDir();
    try {
      const file = dir.file('control.db');
      let db = openControlDb(file);
      const a = rig(noEvents(), { db });
      a.engine.tick();
      a.control.setOverride({ target: { kind: 'row', id: 'B' }, action: { kind: 'powerCap', watts: 500 }, reason: 'cooling work', expiresInS: 3600 }, operator);
      a.control.setAutomation('C', false, 'training checkpoint', operator);
      a.control.brakeRow('A', true, 'breaker test', operator);
      const policy = a.control.setPolicy({ polca: { t1Pct: 75, t2Pct: 85, minHoldS: 120 } }, 'tighter thresholds', admin);
      expect(policy.polca).toMatchObject({ t1Pct: 75, t2Pct: 85, brakePct: 100, minHoldS: 120 });
      db.close();
      db = openControlDb(file);
      const b = rig(noEvents(), { db });
      const s = b.control.summary();
      expect(s.overrides.map((o) => [o.id, o.action, o.gpus.length])).toEqual([['ov-1', { kind: 'powerCap', watts: 500 }, 320]]);
      expect(s.rows.map((x) => x.automation)).toEqual([true, true, false, true]);
      expect(b.control.brakedRows().has('A')).toBe(true);
      expect(b.control.getPolicy().polca.t1Pct).toBe(75);
      b.control.setOverride({ target: { kind: 'gpus', ids: [3] }, action: { kind: 'exempt' }, reason: 'next id', expiresInS: 60 }, operator);
      expect(b.control.summary().overrides.map((o) => o.id)).toEqual(['ov-1', 'ov-2']);
      db.close();
    } finally {
      dir.cleanup();
    }
  });

  it('clock caps per GPU model: the paper values on the A100 lab row, derived ones on H100 rows', () => {
    const lab = loadScenario('test/fixtures/scenarios/a100-lab.yaml');
    const sim = new Simulator(lab.topology, lab.scenario, loadTraces(), lab.scenario.seed);
    const engine = new Engine({ topology: lab.topology, source: new SimSource(sim), stepMs: lab.scenario.stepMs, startMs: sim.timeMs });
    const c = new ControlService({ engine, actuator: new SimActuator(sim), audit: null, priorities: sim.gpuPriority(), store: null, onChange: () => {} });
    expect(c.clockCaps()['A100-SXM']).toEqual({ lowT1MHz: 1275, lowT2MHz: 1110, highT2MHz: 1305, origin: 'POLCA paper' });
    expect(rig(noEvents()).control.clockCaps()['H100-SXM']).toEqual({ lowT1MHz: 1790, lowT2MHz: 1559, highT2MHz: 1833, origin: 'derived from max clock' });
  });
});
