import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES } from '../../../shared/domain/alerts.js';
import { resolveTopology } from '../../../main/core/topology.js';
import { ControlService } from '../../../main/engine/control/service.js';
import { Engine } from '../../../main/engine/engine.js';
import type { Actuator } from '../../../main/core/ports.js';
import type { Source, SourceBatch } from '../../../main/core/source.js';

/**
 * The engine with a source that carries rack meters: the meterDrift alert (one per rack, after its hold time) and the
 * control plane reading the meter where it exists. Two rows (A, B) of two racks, one server of 8 H100 each; every GPU
 * at 500 W with 1 kW of server overhead: 5 kW per rack, 10 kW per row, which is 80 % of a 12.5 kW budget.
 */
const BUDGET_KW = 12.5;
const topology = resolveTopology({
  site: { id: 'm', name: 'meters' },
  gpuModels: [],
  rows: ['A', 'B'].map((id) => ({ id, budgetKW: BUDGET_KW, coolingKW: 100, supplyC: 22, racks: 2, serversPerRack: 1, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1000, serverActiveW: 0 })),
});
const N = topology.gpuCount;

/** Constant GPU readings; rack meters as given (kW, NaN: none), or no meter columns at all. */
class MeteredSource implements Source {
  readonly id = 'fleet';
  readonly kind = 'agent' as const;
  /** Nothing arrives while true (the fleet went silent). */
  silent = false;
  constructor(private readonly rackKW: number[] | null) {}
  poll(nowMs: number): SourceBatch | null {
    if (this.silent) return null;
    return {
      tMs: nowMs,
      powerW: new Float64Array(N).fill(500),
      tempC: new Float64Array(N).fill(50),
      clockMHz: new Float64Array(N).fill(1500),
      limitW: new Float64Array(N).fill(700),
      util: new Float64Array(N).fill(0.5),
      flags: new Uint32Array(N),
      ...(this.rackKW ? { rackMeteredKW: this.rackKW, rowMeteredKW: [NaN, NaN] } : {}),
    };
  }
}

class RecordingActuator implements Actuator {
  readonly id = 'rec';
  readonly limits = new Map<number, number>();
  readonly brakes = new Set<number>();
  setPowerLimit(g: number, w: number): void {
    this.limits.set(g, w);
  }
  setClockLock(): void {}
  setBrake(g: number, on: boolean): void {
    if (on) this.brakes.add(g);
    else this.brakes.delete(g);
  }
}

function rig(rackKW: number[] | null) {
  const source = new MeteredSource(rackKW);
  const engine = new Engine({ topology, source, stepMs: 1000, startMs: 0 });
  const actuator = new RecordingActuator();
  const control = new ControlService({ engine, actuator, audit: null, priorities: new Uint8Array(N), store: null, onChange: () => {} });
  engine.addService(control);
  return { engine, actuator, control, source };
}

const rowOf = (g: number) => topology.racks[topology.servers.find((s) => g >= s.gpuStart && g < s.gpuStart + s.gpuCount)!.rack]!.row;
const meterAlerts = (e: Engine) => e.activeAlerts().filter((a) => a.rule === 'meterDrift');

describe('meters in the engine', () => {
  it('meterDrift fires once its condition has held 60 s, one alert per drifting rack, none for racks in agreement or unmetered', () => {
    // A01 and A02 read 20 % above the model, B01 agrees, B02 has no meter.
    const { engine } = rig([6.25, 6.25, 5, NaN]);
    for (let k = 0; k < 60; k++) engine.tick();
    const pending = meterAlerts(engine);
    expect(pending.map((a) => [a.id, a.state])).toEqual([
      ['meterDrift:A01', 'pending'],
      ['meterDrift:A02', 'pending'],
    ]);
    engine.tick();
    const firing = meterAlerts(engine);
    expect(firing.map((a) => [a.id, a.state, a.subject.kind, a.row, a.severity])).toEqual([
      ['meterDrift:A01', 'firing', 'rack', 'A', 'warning'],
      ['meterDrift:A02', 'firing', 'rack', 'A', 'warning'],
    ]);
    expect(firing[0]!.value).toBe(20);
    expect(firing[0]!.summary).toBe('Rack A01: its PDUs read 6.3 kW, the model 5.0 kW (GPU readings + server overhead): drift +20.0 % over 60 s (threshold 10 %)');
    for (let k = 0; k < 30; k++) engine.tick();
    expect(meterAlerts(engine).map((a) => a.id)).toEqual(['meterDrift:A01', 'meterDrift:A02']);
  });

  it('a silent source: no meter counts as fresh any more, the drift is not judged and control sees the worst case', () => {
    const { engine, source } = rig([6.25, 6.25, 5, NaN]);
    for (let k = 0; k < 61; k++) engine.tick();
    expect(meterAlerts(engine).map((a) => a.state)).toEqual(['firing', 'firing']);
    source.silent = true;
    for (let k = 0; k < 4; k++) engine.tick();
    expect(engine.stale).toBe(true);
    expect(Array.from(engine.meters.rackMeteredKW)).toEqual([NaN, NaN, NaN, NaN]);
    // Every GPU at its 700 W limit + 1 kW of server: 6.6 kW per rack, the model's worst case.
    expect(Array.from(engine.controlRackW)).toEqual([6600, 6600, 6600, 6600]);
    // Not judged: the alerts resolve after keepFiringForS (30 s), they do not stay on a silent meter.
    for (let k = 0; k < 30; k++) engine.tick();
    expect(meterAlerts(engine)).toEqual([]);
  });

  it('the default rules carry meterDrift at 10 %, 60 s window, held 60 s, warning', () => {
    expect(DEFAULT_ALERT_RULES.find((r) => r.kind === 'meterDrift')).toEqual({ id: 'meterDrift', kind: 'meterDrift', thresholdPct: 10, windowS: 60, severity: 'warning', forS: 60, keepFiringForS: 30 });
  });

  it('without meters control sees exactly the model and no meter alert is raised', () => {
    const { engine } = rig(null);
    for (let k = 0; k < 90; k++) engine.tick();
    expect(Array.from(engine.controlRowW)).toEqual(Array.from(engine.agg.rowW));
    expect(Array.from(engine.controlRackW)).toEqual(Array.from(engine.agg.rackW));
    expect(engine.meters.active).toBe(false);
    expect(meterAlerts(engine)).toEqual([]);
  });

  it('a row the model puts at 80 % but whose meters read 105 % is braked; its unmetered twin at 80 % is left alone', () => {
    // Row A's racks read 6.5625 kW each: 13.125 kW, 105 % of 12.5 kW. Row B has no meters.
    const { engine, actuator, control } = rig([6.5625, 6.5625, NaN, NaN]);
    for (let k = 0; k < 10; k++) engine.tick();
    expect(Array.from(engine.agg.rowW)).toEqual([10_000, 10_000]);
    expect(Array.from(engine.controlRowW)).toEqual([13_125, 10_000]);
    const rows = control.summary().rows;
    expect(rows.map((r) => [r.row, r.stage])).toEqual([
      ['A', 'brake'],
      ['B', 'normal'],
    ]);
    const braked = [...actuator.brakes];
    expect(braked.length).toBe(16);
    expect(braked.every((g) => rowOf(g) === 0)).toBe(true);
    expect([...actuator.limits.keys()].every((g) => rowOf(g) === 0)).toBe(true);
    // The row-power alert reads the same power: row A over its budget, row B quiet.
    expect(engine.activeAlerts().filter((a) => a.rule.startsWith('rowPower')).map((a) => a.id)).toEqual(['rowPower100:A']);
  });
});
