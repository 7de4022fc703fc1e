import type { AlertRule } from '../../shared/domain/alerts.js';
import type { RowControl } from '../../shared/domain/control.js';
import { ClockEvent, SampleFlag } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import { gpuName, serverOfGpu } from '../../shared/naming.js';
import type { Observation } from './alerts.js';

/**
 * Observations of heat, cooling, the plant and the controller (observe.ts hands these rule kinds here). Pure.
 * Hysteresis: `isActive(alertId)` says whether an alert is pending or firing now; an active one holds until its
 * quantity falls `hysteresis` below the threshold.
 */

/** A plant device out of service by failure, and the rows whose budget it lowered. */
export interface PlantOut {
  device: string;
  rows: readonly string[];
}

export interface SiteState {
  rackInletC?: Float64Array;
  /** Per rack, its CDU's design loop supply (°C); NaN for an air-cooled rack. */
  rackLoopSupplyC?: Float64Array;
  /** Per row: its heat (W) and the cooling capacity in force (kW); rows with a liquid rack are not judged. */
  rowW?: ArrayLike<number>;
  rowCoolingKW?: ArrayLike<number>;
  rowHasLiquid?: Uint8Array;
  /** Per rack, the inlet's rise over the last `windowS` in °C per minute (NaN: not known yet). */
  inletRise?: (windowS: number) => Float64Array | null;
  flags?: Uint32Array;
  rowControl?: readonly RowControl[] | null;
  plantOut?: readonly PlantOut[];
  isActive?: (alertId: string) => boolean;
}

/**
 * A GPU slowing itself down for heat: HW thermal slowdown, or HW slowdown without the power brake that also asserts it.
 * SW thermal (the driver trimming clocks near its max operating temperature) is routine under load and not alerted.
 */
export function thermalSlowdown(f: number): boolean {
  return (f & ClockEvent.hwThermal) !== 0 || ((f & ClockEvent.hwSlowdown) !== 0 && (f & ClockEvent.hwPowerBrake) === 0);
}
/** Readings that say nothing about the GPU now (stale, replaced, or a dark rack). */
const NOT_A_READING = SampleFlag.stale | SampleFlag.invalid | SampleFlag.unpowered;

const idOf = (rule: AlertRule, subject: string) => `${rule.id}:${subject}`;
const round1 = (x: number) => Math.round(x * 10) / 10;

export function observeSite(t: Topology, rules: readonly AlertRule[], rule: AlertRule, s: SiteState, out: Observation[]): void {
  const active = s.isActive ?? (() => false);
  switch (rule.kind) {
    case 'rackInlet': {
      const inlet = s.rackInletC;
      if (!inlet) return;
      // Only the highest inlet threshold a rack is above reports (27 °C warning gives way to 32 °C critical).
      const level = (r: AlertRule, rack: string) => (r.kind === 'rackInlet' ? r.thresholdC - (active(idOf(r, rack)) ? (r.hysteresisC ?? 0) : 0) : Infinity);
      const higher = rules.filter((r) => r.kind === 'rackInlet' && r.thresholdC > rule.thresholdC);
      // Below the threshold less its hysteresis nothing can hold: skip the per-rack alert lookups (most racks, most ticks).
      const floor = rule.thresholdC - (rule.hysteresisC ?? 0);
      for (let k = 0; k < t.racks.length; k++) {
        const c = inlet[k]!;
        if (!(c > floor)) continue;
        const rack = t.racks[k]!;
        // A direct-to-chip rack's "inlet" is its loop's supply: judged by liquidLoop, not the air envelope.
        if (Number.isFinite(s.rackLoopSupplyC?.[k] ?? NaN)) continue;
        if (!(c > level(rule, rack.id)) || higher.some((h) => c > level(h, rack.id))) continue;
        const row = t.rows[rack.row]!.id;
        out.push({ rule, subject: { kind: 'rack', id: rack.id }, row, value: round1(c), unit: '°C', summary: `Rack ${rack.id} inlet at ${c.toFixed(1)} °C (threshold ${rule.thresholdC} °C)` });
      }
      return;
    }
    case 'liquidLoop': {
      const inlet = s.rackInletC;
      const design = s.rackLoopSupplyC;
      if (!inlet || !design) return;
      const level = (r: AlertRule, rack: string) => (r.kind === 'liquidLoop' ? r.riseC - (active(idOf(r, rack)) ? (r.hysteresisC ?? 0) : 0) : Infinity);
      const higher = rules.filter((r) => r.kind === 'liquidLoop' && r.riseC > rule.riseC);
      const floor = rule.riseC - (rule.hysteresisC ?? 0);
      for (let k = 0; k < t.racks.length; k++) {
        const d = design[k]!;
        if (!Number.isFinite(d)) continue;
        const rise = inlet[k]! - d;
        if (!(rise > floor)) continue;
        const rack = t.racks[k]!;
        if (!(rise > level(rule, rack.id)) || higher.some((h) => rise > level(h, rack.id))) continue;
        out.push({ rule, subject: { kind: 'rack', id: rack.id }, row: t.rows[rack.row]!.id, value: round1(inlet[k]!), unit: '°C', summary: `Rack ${rack.id}: its loop supply is ${inlet[k]!.toFixed(1)} °C, ${rise.toFixed(1)} °C above design (${d} °C): CDU flow or capacity short` });
      }
      return;
    }
    case 'coolingShortfall': {
      const w = s.rowW;
      const cap = s.rowCoolingKW;
      if (!w || !cap) return;
      for (let r = 0; r < t.rows.length; r++) {
        if (s.rowHasLiquid?.[r]) continue;
        const pct = (w[r]! / 1000 / cap[r]!) * 100;
        if (!(pct > rule.pct)) continue;
        const id = t.rows[r]!.id;
        out.push({ rule, subject: { kind: 'row', id }, row: id, value: round1(pct), unit: '%', summary: `Row ${id}: its heat (${(w[r]! / 1000).toFixed(0)} kW) is ${pct.toFixed(0)} % of the cooling in force (${cap[r]!.toFixed(0)} kW): inlets will climb` });
      }
      return;
    }
    case 'inletRise': {
      const rise = s.inletRise?.(rule.windowS);
      if (!rise) return;
      for (let k = 0; k < t.racks.length; k++) {
        const v = rise[k]!;
        if (!(v > rule.cPerMin)) continue;
        const rack = t.racks[k]!;
        out.push({ rule, subject: { kind: 'rack', id: rack.id }, row: t.rows[rack.row]!.id, value: round1(v), unit: '°C/min', summary: `Rack ${rack.id} inlet rising ${v.toFixed(1)} °C/min over ${rule.windowS} s (threshold ${rule.cPerMin} °C/min): is its cooling failing?` });
      }
      return;
    }
    case 'gpuThermalSlowdown': {
      const flags = s.flags;
      if (!flags) return;
      for (let g = 0; g < flags.length; g++) {
        const f = flags[g]!;
        if (!thermalSlowdown(f) || (f & NOT_A_READING) !== 0) continue;
        const what = f & SampleFlag.shutdown ? 'has shut down on temperature' : 'is in HW thermal slowdown (clocks halved)';
        out.push({ rule, subject: { kind: 'gpu', id: gpuName(t, g) }, row: rowOfGpu(t, g), value: 1, unit: '', summary: `GPU ${gpuName(t, g)} ${what}` });
      }
      return;
    }
    case 'rowBrake':
      for (const c of s.rowControl ?? []) {
        if (!(c.stage === 'brake' || c.manualBrake !== null || c.brakedGpus > 0)) continue;
        const by = c.manualBrake ? `by ${c.manualBrake.by}: ${c.manualBrake.reason}` : c.stage === 'brake' ? 'by the controller (row above its budget)' : c.playbook ? `by playbook ${c.playbook}` : 'engaged';
        out.push({ rule, subject: { kind: 'row', id: c.row }, row: c.row, value: c.brakedGpus, unit: 'GPUs', summary: `Row ${c.row}: power brake ${by} — ${c.brakedGpus} GPUs at the brake clock` });
      }
      return;
    case 'controllerStage':
      for (const c of s.rowControl ?? []) {
        if (c.stage === 'normal' && c.playbook === null && !c.deepLock) continue;
        const parts = [c.stage === 'normal' ? '' : `stage ${c.stage.toUpperCase()}`, c.deepLock ? 'deep lock' : '', c.playbook ? `playbook ${c.playbook}` : '', `${c.cappedGpus} GPUs capped`, c.shedServers > 0 ? `shed ${c.shedServers} servers recommended` : ''].filter(Boolean);
        out.push({ rule, subject: { kind: 'row', id: c.row }, row: c.row, value: c.cappedGpus, unit: 'GPUs', summary: `Row ${c.row}: controller acting — ${parts.join(', ')}` });
      }
      return;
    case 'plantOut':
      for (const p of s.plantOut ?? []) {
        const rows = p.rows.length ? `; budgets lowered on row${p.rows.length === 1 ? '' : 's'} ${p.rows.join(', ')}` : '';
        out.push({ rule, subject: { kind: 'plant', id: p.device }, row: p.rows.length === 1 ? p.rows[0]! : null, value: p.rows.length, unit: 'rows', summary: `${p.device} out of service (failure)${rows}` });
      }
      return;
    default:
      return;
  }
}

function rowOfGpu(t: Topology, g: number): string {
  return t.rows[t.racks[t.servers[serverOfGpu(t, g)]!.rack]!.row]!.id;
}
