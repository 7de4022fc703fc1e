import { z } from 'zod';

/**
 * Flap control, any rule: an alert that resolved less than `refireAfterS` ago and comes back resumes firing without a
 * new notification (its `flaps` counts the returns) — a row riding training waves around a threshold notifies once per
 * window, not at every wave. 0: every return is a new firing.
 */
const refireAfterS = z.number().min(0).max(7 * 24 * 3600).optional();

/**
 * Alert rules are data: thresholds, hold times (`forS`: pending period; `keepFiringForS`), hysteresis and severities
 * are configurable. Hysteresis: an active alert holds until its quantity is that much below the threshold.
 */
export const AlertRuleSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.string().min(1),
    kind: z.literal('rowPower'),
    /** % of the row's (effective) provisioned budget. */
    thresholdPct: z.number().min(0).max(200),
    /** An active alert holds until the row is this many points below the threshold. */
    hysteresisPct: z.number().min(0).max(50).optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(10),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /** A rack's inlet (cold-aisle) air above `thresholdC` (ASHRAE TC 9.9: recommended ≤ 27 °C, A1 allowable ≤ 32 °C). */
    kind: z.literal('rackInlet'),
    thresholdC: z.number().min(0).max(80),
    hysteresisC: z.number().min(0).max(20).optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(30),
    keepFiringForS: z.number().min(0).default(60),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * A direct-to-chip rack's loop supply `riseC` above its CDU's design supply (flow or capacity short: a pump, a
     * leak, a failing CDU); liquid racks are judged on this, not on the air inlet thresholds.
     */
    kind: z.literal('liquidLoop'),
    riseC: z.number().positive().max(40),
    hysteresisC: z.number().min(0).max(20).optional(),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(10),
    keepFiringForS: z.number().min(0).default(60),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /** An air-cooled row's heat above `pct` % of the cooling capacity in force (units lost, a cooling-loss event). */
    kind: z.literal('coolingShortfall'),
    pct: z.number().min(10).max(200).default(100),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(30),
    keepFiringForS: z.number().min(0).default(60),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /** A rack's inlet rising faster than `cPerMin` over the last `windowS` (a cooling loss shows here first). */
    kind: z.literal('inletRise'),
    cPerMin: z.number().positive().max(60),
    windowS: z.number().min(10).max(3600).default(120),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(60),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /** A GPU reports thermal slowdown active (decoded clock events: HW slowdown / HW or SW thermal). */
    kind: z.literal('gpuThermalSlowdown'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(30),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /** A row's power brake is engaged (by the controller, a playbook or an operator). */
    kind: z.literal('rowBrake'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * A device of the plant is out of service by failure (a feed, UPS or UPS module, switchboard, busway, PDU, CRAH,
     * CDU or pump): one alert per device. Devices out for approved maintenance are not failures. While it lasts it
     * inhibits the row-power alerts of the rows whose budget it lowered.
     */
    kind: z.literal('plantOut'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /** The controller has a row above its normal stage (locks, brake, deep lock, playbooks): one per row, informational. */
    kind: z.literal('controllerStage'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(60),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    kind: z.literal('gpuNearSlowdown'),
    /** Fire when a GPU is within this many °C of its slowdown temperature. */
    marginC: z.number().min(0).max(50),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(10),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    kind: z.literal('sourceStale'),
    maxAgeS: z.number().positive(),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * The telemetry store fell so far behind that ticks were dropped (a real fleet cannot wait for it; the simulator
     * slows down instead): history has a gap. Holds while drops continue, and 10 s of engine time after the last.
     */
    kind: z.literal('storeDropped'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(60),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * N-1: a single failure of the plant, if it happened now, would trip something before Headroom's response lands,
     * or would leave racks with no supply (a maintenance window without redundancy). One alert per such failure.
     */
    kind: z.literal('contingencyUnsafe'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(10),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * A rack's PDU meters (or a row's branch circuits) disagree with the model (GPU readings + server overhead):
     * |metered − modelled| / metered, averaged over `windowS`, above `thresholdPct`. One alert per rack (or row).
     * Racks without a fresh meter reading, or whose model counts a GPU at its worst case, are not judged.
     */
    kind: z.literal('meterDrift'),
    thresholdPct: z.number().min(0).max(1000).default(10),
    windowS: z.number().min(1).max(3600).default(60),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(60),
    keepFiringForS: z.number().min(0).default(30),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * The configuration cannot hold its promises (core/configSanity.ts): a row whose agents' safe caps plus server
     * power exceed its budget (the fallback would not protect it), or a server whose GPUs report power limits that
     * disagree with their inventory model. One alert per row or server; checked at every agent hello.
     */
    kind: z.literal('configSanity'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * A row's budget in force (after power-budget losses and plant failures) is below its floor (core/feasibility.ts:
     * non-GPU server power at full activity plus every GPU busy at its minimum cap): no cap can meet it under load;
     * the summary says how many servers would have to be shed. One alert per row, while it lasts.
     */
    kind: z.literal('budgetUnreachable'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * The site's power at the point of interconnection crossed a limit of the grid requirement over the grid view's
     * analysis window (main/app/gridFeed.ts: ramp, swing within the range window, energy share in the critical band).
     * One alert for the connection, its summary naming each limit crossed.
     */
    kind: z.literal('gridLimit'),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(30),
    refireAfterS,
  }),
  z.object({
    id: z.string().min(1),
    /**
     * Another controller of a redundant set took the lead (`serve --controller`, main/ha/): fires on the new leader for
     * `holdS` after it took over, its summary saying who lost the lead, why, and the new epoch — someone should look
     * at why the old leader stopped.
     */
    kind: z.literal('controllerFailover'),
    severity: z.enum(['info', 'warning', 'critical']),
    holdS: z.number().positive().max(86_400).default(300),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
    refireAfterS,
  }),
]);
export type AlertRule = z.output<typeof AlertRuleSchema>;

export const DEFAULT_ALERT_RULES: AlertRule[] = [
  // Row power: 3 points of hysteresis; a row riding training waves around 80 % or 90 % notifies once per 30 min.
  { id: 'rowPower80', kind: 'rowPower', thresholdPct: 80, hysteresisPct: 3, severity: 'info', forS: 5, keepFiringForS: 30, refireAfterS: 1800 },
  { id: 'rowPower90', kind: 'rowPower', thresholdPct: 90, hysteresisPct: 3, severity: 'warning', forS: 2, keepFiringForS: 30, refireAfterS: 1800 },
  { id: 'rowPower100', kind: 'rowPower', thresholdPct: 100, severity: 'critical', forS: 0, keepFiringForS: 30 },
  { id: 'gpuNearSlowdown', kind: 'gpuNearSlowdown', marginC: 5, severity: 'warning', forS: 5, keepFiringForS: 30, refireAfterS: 1800 },
  { id: 'gpuThermalSlowdown', kind: 'gpuThermalSlowdown', severity: 'critical', forS: 0, keepFiringForS: 30, refireAfterS: 1800 },
  // ASHRAE TC 9.9: 27 °C is the top of the recommended inlet envelope, 32 °C of class A1's allowable one.
  { id: 'rackInlet27', kind: 'rackInlet', thresholdC: 27, hysteresisC: 1, severity: 'warning', forS: 30, keepFiringForS: 60, refireAfterS: 1800 },
  { id: 'rackInlet32', kind: 'rackInlet', thresholdC: 32, hysteresisC: 1, severity: 'critical', forS: 10, keepFiringForS: 60 },
  // Direct-to-chip loops: 5 °C above design supply (warning), 10 °C (critical: 15 °C is slowdown at full load).
  { id: 'liquidLoop5', kind: 'liquidLoop', riseC: 5, hysteresisC: 1, severity: 'warning', forS: 10, keepFiringForS: 60, refireAfterS: 1800 },
  { id: 'liquidLoop10', kind: 'liquidLoop', riseC: 10, hysteresisC: 1, severity: 'critical', forS: 0, keepFiringForS: 60 },
  { id: 'coolingShortfall', kind: 'coolingShortfall', pct: 100, severity: 'warning', forS: 30, keepFiringForS: 60, refireAfterS: 1800 },
  { id: 'inletRise', kind: 'inletRise', cPerMin: 1.5, windowS: 120, severity: 'warning', forS: 0, keepFiringForS: 60, refireAfterS: 1800 },
  { id: 'rowBrake', kind: 'rowBrake', severity: 'critical', forS: 0, keepFiringForS: 0 },
  { id: 'plantOut', kind: 'plantOut', severity: 'warning', forS: 0, keepFiringForS: 0 },
  { id: 'controllerStage', kind: 'controllerStage', severity: 'info', forS: 0, keepFiringForS: 60, refireAfterS: 1800 },
  { id: 'sourceStale', kind: 'sourceStale', maxAgeS: 5, severity: 'critical', forS: 0, keepFiringForS: 0 },
  { id: 'storeDropped', kind: 'storeDropped', severity: 'warning', forS: 0, keepFiringForS: 60 },
  { id: 'contingencyUnsafe', kind: 'contingencyUnsafe', severity: 'critical', forS: 0, keepFiringForS: 10 },
  { id: 'configSanity', kind: 'configSanity', severity: 'warning', forS: 0, keepFiringForS: 0 },
  { id: 'meterDrift', kind: 'meterDrift', thresholdPct: 10, windowS: 60, severity: 'warning', forS: 60, keepFiringForS: 30 },
  { id: 'budgetUnreachable', kind: 'budgetUnreachable', severity: 'critical', forS: 0, keepFiringForS: 0 },
  // The grid's limits (utility requirement, shared/domain/grid.ts): a crossing notifies at most every 30 min.
  { id: 'gridLimit', kind: 'gridLimit', severity: 'warning', forS: 0, keepFiringForS: 30, refireAfterS: 1800 },
  // A failover of the control service (a leader lost its lease): for 5 min on the new leader.
  { id: 'controllerFailover', kind: 'controllerFailover', severity: 'warning', holdS: 300, forS: 0, keepFiringForS: 0 },
];
