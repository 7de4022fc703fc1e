import { z } from 'zod';

/** Alert rules are data: thresholds, hold times and severities are configurable. */
export const AlertRuleSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.string().min(1),
    kind: z.literal('rowPower'),
    /** % of the row's (effective) provisioned budget. */
    thresholdPct: z.number().min(0).max(200),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(10),
  }),
  z.object({
    id: z.string().min(1),
    kind: z.literal('gpuNearSlowdown'),
    /** Fire when a GPU is within this many °C of its slowdown temperature. */
    marginC: z.number().min(0).max(50),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(10),
  }),
  z.object({
    id: z.string().min(1),
    kind: z.literal('sourceStale'),
    maxAgeS: z.number().positive(),
    severity: z.enum(['info', 'warning', 'critical']),
    forS: z.number().min(0).default(0),
    keepFiringForS: z.number().min(0).default(0),
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
  }),
]);
export type AlertRule = z.output<typeof AlertRuleSchema>;

export const DEFAULT_ALERT_RULES: AlertRule[] = [
  { id: 'rowPower80', kind: 'rowPower', thresholdPct: 80, severity: 'info', forS: 5, keepFiringForS: 30 },
  { id: 'rowPower90', kind: 'rowPower', thresholdPct: 90, severity: 'warning', forS: 2, keepFiringForS: 30 },
  { id: 'rowPower100', kind: 'rowPower', thresholdPct: 100, severity: 'critical', forS: 0, keepFiringForS: 30 },
  { id: 'gpuNearSlowdown', kind: 'gpuNearSlowdown', marginC: 5, severity: 'warning', forS: 5, keepFiringForS: 30 },
  { id: 'sourceStale', kind: 'sourceStale', maxAgeS: 5, severity: 'critical', forS: 0, keepFiringForS: 0 },
  { id: 'storeDropped', kind: 'storeDropped', severity: 'warning', forS: 0, keepFiringForS: 60 },
  { id: 'contingencyUnsafe', kind: 'contingencyUnsafe', severity: 'critical', forS: 0, keepFiringForS: 10 },
  { id: 'configSanity', kind: 'configSanity', severity: 'warning', forS: 0, keepFiringForS: 0 },
  { id: 'meterDrift', kind: 'meterDrift', thresholdPct: 10, windowS: 60, severity: 'warning', forS: 60, keepFiringForS: 30 },
  { id: 'budgetUnreachable', kind: 'budgetUnreachable', severity: 'critical', forS: 0, keepFiringForS: 0 },
];
