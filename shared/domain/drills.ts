/* No zod here: the console's main bundle reads drillEventText (zod there would need renderer/model/zodCsp.ts). */
import type { ScenarioEvent } from './scenario.js';

/**
 * The drill library: emergencies built on the plant's devices and the site's rows, each with the rows it scores and
 * what an operator is expected to do. Times are seconds after the drill starts. The simulator runs them on the
 * scenario named (`default` or `gb200`); `headroom drill run NAME --auto` scores the automatic controller on it, the
 * console scores an operator (issue 13 item 9). A "stuck agent" drill is not in the library: the simulator has no
 * agent to get stuck (the agent's own failure paths are tested against real processes instead).
 */
export interface DrillSpec {
  id: string;
  title: string;
  /** What happens, in the operator's words. */
  description: string;
  /** What a good response does (the debrief's yardstick). */
  objective: string;
  scenario: 'default' | 'gb200';
  /** Rows whose power, heat and work the score counts. */
  rows: string[];
  durationS: number;
  events: Array<ScenarioEvent & { atS: number }>;
}

export const DRILLS: readonly DrillSpec[] = [
  {
    id: 'cooling-loss-c',
    title: 'Cooling loss on row C (60 %)',
    description: 'Row C loses 60 % of its cooling for 10 minutes while its training job runs at full power.',
    objective: 'Acknowledge, cap row C before its GPUs reach slowdown, keep the inlet under 32 °C where possible, lift the caps when cooling returns.',
    scenario: 'default',
    rows: ['C'],
    durationS: 600,
    events: [{ kind: 'coolingLoss', atS: 0, durationS: 600, row: 'C', fraction: 0.6 }],
  },
  {
    id: 'crah-failure',
    title: 'Three CRAH units fail',
    description: 'Three of the hall\'s six CRAH units stop for 10 minutes (one is redundant): every row runs warmer.',
    objective: 'Find the rows closest to slowdown and cap them first, low priority first; avoid the brake.',
    scenario: 'default',
    rows: ['A', 'B', 'C', 'D'],
    durationS: 600,
    events: [{ kind: 'deviceFailure', atS: 0, durationS: 600, devices: ['CRAH-1/unit', 'CRAH-1/unit', 'CRAH-1/unit'], maintenance: false }],
  },
  {
    id: 'cdu-pump-loss',
    title: 'CDU pump loss on the liquid-cooled row',
    description: 'With one CDU-G1 pump out for maintenance, a second pump fails for 5 minutes: CDU-G1 runs below its flow.',
    objective: 'Cap racks G01–G02 before their GPUs reach slowdown; leave the racks on CDU-G2 alone.',
    scenario: 'gb200',
    rows: ['G'],
    durationS: 300,
    events: [
      { kind: 'deviceFailure', atS: 0, durationS: 300, devices: ['CDU-G1/pump'], maintenance: true },
      { kind: 'deviceFailure', atS: 30, durationS: 270, devices: ['CDU-G1/pump'], maintenance: false },
    ],
  },
  {
    id: 'ups-module-loss',
    title: 'UPS modules lost during a UPS2 window',
    description: 'UPS2 is out for maintenance; two of UPS1\'s four modules fail: every row\'s budget drops to 275 kW for 5 minutes.',
    objective: 'Bring every row under its new budget before the UPS overload curve runs out; no rack lost.',
    scenario: 'default',
    rows: ['A', 'B', 'C', 'D'],
    durationS: 300,
    events: [
      { kind: 'deviceFailure', atS: 0, durationS: 300, devices: ['UPS2'], maintenance: true },
      { kind: 'deviceFailure', atS: 20, durationS: 280, devices: ['UPS1/module', 'UPS1/module'], maintenance: false },
    ],
  },
  {
    id: 'feed-loss-maintenance',
    title: 'Feed loss on row C during a maintenance window',
    description: 'UPS2 is out for maintenance when row C loses 30 % of its feed for 5 minutes.',
    objective: 'Row C under its new budget within the UPS ride-through (10 s); the high-priority training job keeps running.',
    scenario: 'default',
    rows: ['C'],
    durationS: 300,
    events: [
      { kind: 'deviceFailure', atS: 0, durationS: 300, devices: ['UPS2'], maintenance: true },
      { kind: 'powerBudgetLoss', atS: 20, durationS: 280, row: 'C', fraction: 0.3 },
    ],
  },
  {
    id: 'load-spike-x2',
    title: 'Load spike ×2 on rows A and D',
    description: 'Requests to the services on rows A and D double for 5 minutes.',
    objective: 'Low priority capped first; row D (oversubscribed) kept under its budget without a brake.',
    scenario: 'default',
    rows: ['A', 'D'],
    durationS: 300,
    events: [{ kind: 'loadSpike', atS: 0, durationS: 300, factor: 2, rows: ['A', 'D'] }],
  },
  {
    id: 'telemetry-blackout',
    title: 'Telemetry blackout (60 s)',
    description: 'The telemetry path delivers nothing for a minute: every GPU counts at its power limit.',
    objective: 'Recognise the stale source; do not act on assumed power alone; confirm the site once readings return.',
    scenario: 'default',
    rows: ['A', 'B', 'C', 'D'],
    durationS: 180,
    events: [{ kind: 'sourceStall', atS: 30, durationS: 60 }],
  },
  {
    id: 'combined',
    title: 'Combined: feed loss, load spike and a CRAH unit on row D',
    description: 'Row D loses 30 % of its feed, its demand doubles and a CRAH unit fails, within two minutes, for 5 minutes.',
    objective: 'Row D under its budget with the fewest brakes; high priority protected; heat kept below slowdown.',
    scenario: 'default',
    rows: ['D'],
    durationS: 360,
    events: [
      { kind: 'loadSpike', atS: 0, durationS: 300, factor: 2, rows: ['D'] },
      { kind: 'powerBudgetLoss', atS: 60, durationS: 300, row: 'D', fraction: 0.3 },
      { kind: 'deviceFailure', atS: 120, durationS: 240, devices: ['CRAH-1/unit', 'CRAH-1/unit'], maintenance: false },
    ],
  },
];

export function drillById(id: string): DrillSpec | undefined {
  return DRILLS.find((d) => d.id === id);
}

/** One side of a drill's debrief: what happened on the scored rows from the drill's start to its end. */
export interface DrillSide {
  /** Who responded: Headroom's controller, nobody (automation off), or an operator (with automation off or on). */
  responder: 'automatic' | 'nobody' | 'operator';
  /** Seconds to detection: the first alert firing on the scored rows (automatic) or the operator's first ack. */
  detectS: number | null;
  /** Seconds to the first effective action on the scored rows (a cap, lock or brake commanded). */
  firstActionS: number | null;
  /** Seconds during which at least one scored row drew more than its budget in force. */
  overBudgetS: number;
  maxInletC: number;
  maxGpuC: number;
  brakes: number;
  /** GPU-seconds in HW thermal slowdown on the scored rows. */
  throttledGpuS: number;
  /** Work lost on the scored rows against the same window without the drill (0.05: 5 % less work done). */
  sloImpact: number;
  /** 0–100, DRILL_SCORE's penalties (docs/SCENARIOS.md "Drills"). */
  score: number;
  penalties: Record<string, number>;
}

/** A drill's report: the scored side's figures at the top level, and every side in `sides`. */
export interface DrillReport extends Omit<DrillSide, 'responder' | 'penalties'> {
  /** A console drill's report: its id (file name stem), when it started (engine time), who ran it, automation on or off. */
  id?: string;
  atMs?: number;
  by?: string;
  automation?: boolean;
  drill: string;
  title: string;
  scenario: string;
  seed: number;
  /** Simulated second of the site at which the drill started. */
  startS: number;
  durationS: number;
  rows: string[];
  objective: string;
  sides: DrillSide[];
}

/** Who a side is, in the debrief's words. */
export function responderName(s: Pick<DrillSide, 'responder'>, r: Pick<DrillReport, 'by' | 'automation'>): string {
  return s.responder === 'operator' ? `${r.by ?? 'operator'} (automation ${r.automation === false ? 'off' : 'on'})` : s.responder === 'automatic' ? "Headroom's controller" : 'nobody';
}

const orDash = (v: number | null, unit: string) => (v === null ? '—' : `${v}${unit}`);

/** The debrief's figures, one label and one formatter each: the console's dialog and the HTML report show the same. */
export const DRILL_FIGURES: ReadonlyArray<readonly [string, (s: DrillSide) => string]> = [
  ['Time to detect', (s) => orDash(s.detectS, ' s')],
  ['Time to first action', (s) => orDash(s.firstActionS, ' s')],
  ['Over budget (measured)', (s) => `${s.overBudgetS} s`],
  ['Hottest rack inlet', (s) => `${s.maxInletC} °C`],
  ['Hottest GPU', (s) => `${s.maxGpuC} °C`],
  ['Brakes', (s) => String(s.brakes)],
  ['Thermal slowdown', (s) => `${s.throttledGpuS} GPU·s`],
  ['Work lost (vs no drill)', (s) => `${(s.sloImpact * 100).toFixed(1)} %`],
  ['Penalties', (s) => Object.entries(s.penalties).filter(([, v]) => v > 0).map(([k, v]) => `${k} −${v}`).join(', ') || 'none'],
];


/** A drill of the library as the console offers it: whether it applies to the site running now, and why not. */
export interface DrillListing {
  id: string;
  title: string;
  description: string;
  objective: string;
  rows: string[];
  durationS: number;
  applies: boolean;
  why: string | null;
}

/** The console's drill now: the one running (if any), whether its automatic side is being computed, the last report. */
export interface DrillStatus {
  active: {
    drill: string;
    title: string;
    objective: string;
    rows: string[];
    /** Automation on the drill's rows during the drill (off: the operator responds alone). */
    automation: boolean;
    by: string;
    startedMs: number;
    endsAtMs: number;
  } | null;
  scoring: boolean;
  lastReport: string | null;
  error: string | null;
}

export interface DrillReportSummary {
  id: string;
  drill: string;
  title: string;
  atMs: number;
  by: string;
  automation: boolean;
  score: number;
  automaticScore: number | null;
}

/** A drill event in words, for the console's messages and chart markers (never the schema's kind names). */
export function drillEventText(e: { kind: string; row?: string; rows?: readonly string[]; fraction?: number; factor?: number; devices?: readonly string[]; maintenance?: boolean; durationS?: number }): string {
  const pct = e.fraction !== undefined ? `${Math.round(e.fraction * 100)} %` : '';
  const dur = e.durationS !== undefined ? ` for ${e.durationS} s` : '';
  switch (e.kind) {
    case 'powerBudgetLoss':
      return `lost feed: row ${e.row} loses ${pct} of its power budget${dur}`;
    case 'coolingLoss':
      return `cooling loss: row ${e.row} loses ${pct} of its cooling${dur}`;
    case 'loadSpike':
      return `load spike: demand ×${e.factor} on row${(e.rows?.length ?? 0) === 1 ? '' : 's'} ${(e.rows ?? []).join(', ')}${dur}`;
    case 'deviceFailure':
      return `${e.maintenance ? 'maintenance' : 'failure'}: ${(e.devices ?? []).join(', ')} out of service${dur}`;
    case 'sourceStall':
      return `telemetry blackout${dur}`;
    default:
      return e.kind;
  }
}
