import { z } from 'zod';
import { HostSchema } from '../agentProtocol.js';
import type { SourceHealth } from './fleet.js';

/**
 * Where a real fleet's telemetry comes from (Settings → Sources). Each source feeds readings keyed by host and GPU
 * UUID; the inventory places them in rows and racks.
 */
const SourceId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-" (1–64)');
const HttpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL');

export const AgentSourceSchema = z.object({
  kind: z.literal('agent'),
  id: SourceId,
  /** The agent's host name: must match its certificate and the inventory. */
  host: HostSchema,
  /** Where to connect when the host name does not resolve to it (e.g. 127.0.0.1 in tests). */
  address: z.string().min(1).max(253).optional(),
  port: z.number().int().min(1).max(65535).default(9443),
});

export const DcgmSourceSchema = z.object({
  kind: z.literal('dcgm'),
  id: SourceId,
  /** dcgm-exporter's /metrics URL, e.g. http://gpu-a01-01:9400/metrics. */
  url: HttpUrl,
  intervalS: z.number().min(0.1).max(3600).default(10),
  /** Host to file the readings under when the exporter carries no Hostname label. */
  host: HostSchema.optional(),
});

export const PROMQL_DEFAULTS = {
  powerW: 'DCGM_FI_DEV_POWER_USAGE',
  tempC: 'DCGM_FI_DEV_GPU_TEMP',
  smClockMHz: 'DCGM_FI_DEV_SM_CLOCK',
  utilPct: 'DCGM_FI_DEV_GPU_UTIL',
  limitW: 'DCGM_FI_DEV_POWER_MGMT_LIMIT',
} as const;

/** A Prometheus label name (also the default names below). */
const LabelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'a Prometheus label name (letters, digits, "_"; not starting with a digit)');
const MeterQuery = z.string().min(1).max(2000);
/** How a meter's value becomes power: `unit` (W or kW) times `multiplier` (APC's rPDU2DeviceStatusPower counts 0.01 kW). */
const meterUnit = (unit: 'W' | 'kW', multiplier: number) => ({ unit: z.enum(['W', 'kW']).default(unit), multiplier: z.number().positive().max(1e6).default(multiplier) });

/**
 * Defaults for rack meters: snmp_exporter's stock `apcups` module walks PowerNet-MIB's rPDU2DeviceStatusTable, whose
 * rPDU2DeviceStatusPower is the PDU's input power in hundredths of a kW; the rack comes from a target label set where
 * the PDU is listed as a scrape target.
 */
export const METER_DEFAULTS = { query: 'rPDU2DeviceStatusPower', unit: 'kW', multiplier: 0.01, rackLabel: 'rack' } as const;

/**
 * Rack-PDU and branch-circuit meters read through the same Prometheus (e.g. from snmp_exporter), compared with the
 * modelled power (GPU readings + server overhead) and used by the controller where fresh. Keep each query a plain
 * selector: `timestamp()` of an expression returns the evaluation time, so a PDU that stopped answering would look fresh.
 */
export const MetersSchema = z
  .object({
    /** Rack-PDU input power: one series per PDU, labelled with its rack (and side where a rack has two). */
    racks: z
      .object({
        query: MeterQuery.default(METER_DEFAULTS.query),
        ...meterUnit(METER_DEFAULTS.unit, METER_DEFAULTS.multiplier),
        rackLabel: LabelName.default(METER_DEFAULTS.rackLabel),
        /** The label that tells a rack's PDUs apart (e.g. `side`: A/B); their readings are summed. */
        sideLabel: LabelName.optional(),
        /** PDUs per rack: a rack with fewer reporting is not metered that round (half a rack is not a reading). */
        pdusPerRack: z.number().int().min(1).max(8).default(1),
      })
      .optional(),
    /** Branch circuits (busway or breaker) that feed whole rows. */
    circuits: z
      .object({
        query: MeterQuery,
        ...meterUnit('kW', 1),
        /** The label naming the circuit (busway or breaker id). */
        label: LabelName.default('circuit'),
        /** Circuit id → row id; every circuit listed for a row must report for the row to be metered. Absent: the label's value is the row id. */
        rows: z.record(z.string().min(1).max(200), z.string().min(1).max(64)).optional(),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    if (!m.racks && !m.circuits) ctx.addIssue({ code: 'custom', path: [], message: 'meters needs racks, circuits or both' });
    if (m.racks && m.racks.pdusPerRack > 1 && !m.racks.sideLabel) {
      ctx.addIssue({ code: 'custom', path: ['racks', 'sideLabel'], message: `${m.racks.pdusPerRack} PDUs per rack need a sideLabel that tells them apart` });
    }
  });
export type MetersConfig = z.output<typeof MetersSchema>;

export const PrometheusSourceSchema = z.object({
  kind: z.literal('prometheus'),
  id: SourceId,
  /** The Prometheus server, e.g. http://prometheus:9090. */
  url: HttpUrl,
  intervalS: z.number().min(0.5).max(3600).default(5),
  /** A GPU whose newest power sample is older than this is skipped (s); above Prometheus' scrape interval. */
  maxSampleAgeS: z.number().min(5).max(3600).default(150),
  /** PromQL per reading; each must return one series per GPU with `Hostname` (or `hostname`) and `UUID` labels. */
  queries: z
    .object({
      powerW: z.string().min(1).max(2000).default(PROMQL_DEFAULTS.powerW),
      tempC: z.string().min(1).max(2000).default(PROMQL_DEFAULTS.tempC),
      smClockMHz: z.string().min(1).max(2000).default(PROMQL_DEFAULTS.smClockMHz),
      utilPct: z.string().min(1).max(2000).default(PROMQL_DEFAULTS.utilPct),
      limitW: z.string().min(1).max(2000).default(PROMQL_DEFAULTS.limitW),
    })
    .default(PROMQL_DEFAULTS),
  /** Rack-PDU and branch-circuit meters, where the site has them (see MetersSchema). */
  meters: MetersSchema.optional(),
});

export const SourceConfigSchema = z.discriminatedUnion('kind', [AgentSourceSchema, DcgmSourceSchema, PrometheusSourceSchema]);
export type SourceConfig = z.output<typeof SourceConfigSchema>;
export type SourceConfigInput = z.input<typeof SourceConfigSchema>;

/** A sources file (`serve --sources FILE`): the sources to start with. */
export const SourcesFileSchema = z
  .object({ sources: z.array(SourceConfigSchema).max(10_000) })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.sources.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'id'], message: `duplicate source id "${s.id}"` });
      seen.add(s.id);
    });
  });

/** What testing a source found (Settings → Sources → Test). */
export interface SourceTestResult {
  ok: boolean;
  /** One line: "8 GPUs on gpu-a01-01, lease safe" or the error. */
  message: string;
  gpus: number;
  latencyMs: number;
}

/** Settings → Sources as the faces see it. */
export interface SourcesView {
  /** `sim`: the built-in simulator feeds the engine (sources cannot be added); `fleet`: real sources + inventory. */
  mode: 'sim' | 'fleet';
  sources: Array<{ config: SourceConfig | null; health: SourceHealth }>;
  /** Inventory size (fleet mode): hosts and GPUs it places. */
  inventory: { file: string; hosts: number; gpus: number } | null;
  /** The console's client certificate (fleet mode), or why agents cannot be added. */
  identity: { subject: string; scopes: string[]; notAfter: string } | { error: string } | null;
}
