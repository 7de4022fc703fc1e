import type { AlertRule } from '../../shared/domain/alerts.js';
import type { SourceHealth } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import { gpuName, serverOfGpu } from '../../shared/naming.js';
import type { Observation } from './alerts.js';
import { overloadText } from '../../shared/domain/plantText.js';
import type { DropBurst } from './storeDrops.js';
import type { Contingency } from '../../shared/domain/plant.js';
import type { Drift } from './meters.js';
import type { ConfigProblem } from './configSanity.js';
import { unreachableRows, unreachableText } from './feasibility.js';
import { observeSite, type SiteState } from './observeSite.js';

/** The parts of fleet state the alert rules read (heat, plant and controller parts: observeSite.ts). */
export interface ObservedState extends SiteState {
  rowW: Float64Array;
  rowBudgetKW: Float64Array;
  tempC: Float64Array;
  gpuModel: Int32Array;
  sources: readonly SourceHealth[];
  /** The telemetry store's burst of dropped ticks going on, if any (no store: absent). */
  storeDrops?: DropBurst | null;
  /** Single failures of the plant that would not be survived in time (the last N-1 analysis; no plant: absent). */
  contingencyUnsafe?: readonly Contingency[];
  /** Problems of the configuration (core/configSanity.ts; a real fleet's agents report them; absent: none known). */
  configProblems?: readonly ConfigProblem[];
  /** The grid limits crossed at the point of interconnection, in words (the grid feed; absent or empty: none). */
  gridCrossed?: readonly string[];
  /** The last failover of the control service, in words, and when (engine ms); absent or null: none. */
  controllerFailover?: { what: string; atMs: number; leader: string } | null;
  /** Engine time now (ms): rules that hold for a while after an event read it. */
  nowMs?: number;
  /** The site's meters against the model over a window (core/meters.ts); absent or null: no meters. */
  meters?: (windowS: number, thresholdPct: number) => { racks: Drift; rows: Drift } | null;
}

/** Turn fleet state into observations of the rules' conditions; only subjects that meet one produce an observation. */
export function observe(t: Topology, rules: readonly AlertRule[], s: ObservedState): Observation[] {
  const out: Observation[] = [];
  for (const rule of rules) {
    switch (rule.kind) {
      case 'rowPower': {
        // Only the highest row-power threshold a row exceeds reports: a row at 95 % shows one warning, not an
        // info and a warning (the higher alert inhibits the lower ones, as in Alertmanager).
        // With hysteresis, an active alert holds until the row is `hysteresisPct` below its threshold.
        const active = s.isActive ?? (() => false);
        const level = (x: AlertRule, row: string) => (x.kind === 'rowPower' ? x.thresholdPct - (active(`${x.id}:${row}`) ? (x.hysteresisPct ?? 0) : 0) : Infinity);
        const higher = rules.filter((r) => r.kind === 'rowPower' && r.thresholdPct > rule.thresholdPct);
        for (let r = 0; r < t.rows.length; r++) {
          const budget = s.rowBudgetKW[r]!;
          const pct = (s.rowW[r]! / 1000 / budget) * 100;
          const id = t.rows[r]!.id;
          if (!(pct > level(rule, id)) || higher.some((h) => pct > level(h, id))) continue;
          out.push({
            rule,
            subject: { kind: 'row', id: t.rows[r]!.id },
            row: t.rows[r]!.id,
            value: round1(pct),
            unit: '%',
            summary: `Row ${t.rows[r]!.id} at ${pct.toFixed(1)} % of its ${budget.toFixed(1)} kW budget (threshold ${rule.thresholdPct} %)`,
          });
        }
        break;
      }
      case 'gpuNearSlowdown': {
        const limits = slowdownLimits(t, rule.marginC);
        for (let g = 0; g < s.tempC.length; g++) {
          const temp = s.tempC[g]!;
          const mi = s.gpuModel[g]!;
          if (temp >= limits[mi]!) {
            const m = t.models[mi]!;
            out.push({
              rule,
              subject: { kind: 'gpu', id: gpuName(t, g) },
              row: gpuRowId(t, g),
              value: round1(temp),
              unit: '°C',
              summary: `GPU ${gpuName(t, g)} at ${temp.toFixed(1)} °C, within ${rule.marginC} °C of slowdown (${m.slowdownC} °C)`,
            });
          }
        }
        break;
      }
      case 'sourceStale':
        for (const src of s.sources) {
          const ageS = src.lastSampleAgeMs / 1000;
          // A source that reports every 30 s is not silent at 10 s: the limit counts from its expected next sample.
          if (!(ageS > rule.maxAgeS + (src.intervalMs ?? 0) / 1000)) continue;
          out.push({
            rule,
            subject: { kind: 'source', id: src.id },
            row: null,
            value: round1(ageS),
            unit: 's',
            summary: `Source ${src.id} silent for ${ageS.toFixed(0)} s (limit ${rule.maxAgeS} s); its GPUs count at their power limit${src.lastError ? ` — last error: ${src.lastError}` : ''}`,
          });
        }
        break;
      case 'storeDropped': {
        const d = s.storeDrops;
        if (!d) break;
        out.push({
          rule,
          subject: { kind: 'store', id: 'telemetry' },
          row: null,
          value: d.ticks,
          unit: 'ticks',
          summary: `Telemetry store fell behind: ${d.ticks} tick${d.ticks === 1 ? '' : 's'} not stored (dropped to keep the engine on time); history has a gap`,
        });
        break;
      }
      case 'contingencyUnsafe': {
        // One alert per upstream device; the rack PDUs (each one rack) as one alert, not dozens.
        const pdus = (s.contingencyUnsafe ?? []).filter((c) => c.kind === 'rackPdu');
        for (const c of s.contingencyUnsafe ?? []) {
          if (c.kind === 'rackPdu') continue;
          const o = c.overloads.filter((x) => x.secondsToTrip !== null).sort((a, b) => a.secondsToTrip! - b.secondsToTrip!)[0];
          const lost = c.racksLost.length;
          const what = lost > 0 ? `${lost} rack${lost === 1 ? '' : 's'} would lose all supply` : o ? overloadText(o) : 'it would overload';
          const resp = c.response.capsKW > 0 ? `; the response (${c.response.path}, ${c.response.capsKW} kW) lands in ${c.response.landsInS} s` : '';
          out.push({
            rule,
            subject: { kind: 'plant', id: c.device },
            row: null,
            value: lost > 0 ? lost : (o?.secondsToTrip ?? 0),
            unit: lost > 0 ? 'racks' : 's',
            summary: `If ${c.device} fails now: ${what}${resp}; not survivable in time`,
          });
        }
        if (pdus.length > 0) {
          out.push({
            rule,
            subject: { kind: 'plant', id: 'rack PDUs' },
            row: null,
            value: pdus.length,
            unit: 'racks',
            summary: `${pdus.length} rack${pdus.length === 1 ? ' runs' : 's run'} on one live PDU (${pdus.slice(0, 3).map((c) => c.device.split('/')[0]).join(', ')}${pdus.length > 3 ? ' …' : ''}): losing it drops the rack`,
          });
        }
        break;
      }
      case 'configSanity': {
        for (const p of s.configProblems ?? []) {
          if (p.kind === 'safeCapsOverBudget') {
            const row = t.rows[p.row]!.id;
            out.push({ rule, subject: { kind: 'row', id: row }, row, value: round1((p.fallbackKW / p.budgetKW) * 100), unit: '%', summary: p.text });
          } else {
            const srv = t.servers[p.server]!;
            out.push({ rule, subject: { kind: 'server', id: srv.id }, row: t.rows[t.racks[srv.rack]!.row]!.id, value: p.gpus.length, unit: 'GPUs', summary: p.text });
          }
        }
        break;
      }
      case 'budgetUnreachable': {
        // The floors are per topology (cached); nothing is allocated while every row's budget is reachable.
        for (const f of unreachableRows(t, s.rowBudgetKW)) {
          out.push({ rule, subject: { kind: 'row', id: f.id }, row: f.id, value: f.shedServers, unit: 'servers', summary: unreachableText(f) });
        }
        break;
      }
      case 'gridLimit': {
        const c = s.gridCrossed ?? [];
        if (c.length > 0) out.push({ rule, subject: { kind: 'plant', id: 'grid connection' }, row: null, value: c.length, unit: 'limits', summary: `Grid limits crossed at the point of interconnection: ${c.join('; ')}` });
        break;
      }
      case 'controllerFailover': {
        const f = s.controllerFailover;
        if (f && s.nowMs !== undefined && s.nowMs - f.atMs < rule.holdS * 1000) {
          out.push({ rule, subject: { kind: 'controller', id: f.leader }, row: null, value: 1, unit: 'failover', summary: `Control failover: ${f.what}` });
        }
        break;
      }
      case 'meterDrift': {
        const d = s.meters?.(rule.windowS, rule.thresholdPct);
        if (!d) break;
        for (const r of d.racks.above) {
          const rack = t.racks[r]!;
          out.push(driftObservation(rule, d.racks, r, { kind: 'rack', id: rack.id }, t.rows[rack.row]!.id, `Rack ${rack.id}: its PDUs read`));
        }
        for (const r of d.rows.above) out.push(driftObservation(rule, d.rows, r, { kind: 'row', id: t.rows[r]!.id }, t.rows[r]!.id, `Row ${t.rows[r]!.id}: its branch circuits read`));
        break;
      }
      default:
        observeSite(t, rules, rule, s, out);
    }
  }
  return out;
}

/** "Rack A01: its PDUs read 33.0 kW, the model 27.5 kW (GPU readings + server overhead): drift +16.7 % over 60 s (threshold 10 %)". */
function driftObservation(rule: Extract<AlertRule, { kind: 'meterDrift' }>, d: Drift, i: number, subject: Observation['subject'], row: string, what: string): Observation {
  const pct = d.driftPct[i]!;
  const kw = (w: number) => `${(w / 1000).toFixed(1)} kW`;
  return {
    rule,
    subject,
    row,
    value: round1(pct),
    unit: '%',
    summary: `${what} ${kw(d.meteredW[i]!)}, the model ${kw(d.modelledW[i]!)} (GPU readings + server overhead): drift ${pct > 0 ? '+' : ''}${pct.toFixed(1)} % over ${rule.windowS} s (threshold ${rule.thresholdPct} %)`,
  };
}

const limitCache = new WeakMap<Topology, Map<number, number[]>>();
/** Per model: the temperature at which a GPU is within `marginC` of slowdown (cached per topology). */
function slowdownLimits(t: Topology, marginC: number): number[] {
  let byMargin = limitCache.get(t);
  if (!byMargin) limitCache.set(t, (byMargin = new Map()));
  let l = byMargin.get(marginC);
  if (!l) byMargin.set(marginC, (l = t.models.map((m) => m.slowdownC - marginC)));
  return l;
}

/** Row id of a GPU. */
export function gpuRowId(t: Topology, g: number): string {
  return t.rows[t.racks[t.servers[serverOfGpu(t, g)]!.rack]!.row]!.id;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
