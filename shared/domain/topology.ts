import { PlantSpecSchema, type PlantSpec } from './plant.js';
import { z } from 'zod';

/**
 * Bounds on magnitudes a file may give: far above any real site, low enough that arithmetic on them stays finite and
 * meaningful (a 1e308 kW budget would pass `positive()` and turn every headroom into Infinity).
 */
export const LIMITS = {
  /** One GPU (or superchip) in W. */
  gpuW: 10_000,
  clockMHz: 10_000,
  /** Any temperature, °C (either sign). */
  tempC: 200,
  /** A row's budget or cooling, kW (100 MW). */
  rowKW: 100_000,
  /** One server's non-GPU power, W. */
  serverW: 100_000,
  rows: 1000,
  gpuModels: 100,
  /** GPUs of a whole site. */
  gpus: 500_000,
} as const;

/**
 * A GPU model's electrical, clock and thermal envelope. Units are in the field names.
 * `activityExponent` and the thermal constants are model calibrations (see docs/MODEL.md).
 */
export const GpuModelSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"'),
    name: z.string().min(1),
    idleW: z.number().positive().max(LIMITS.gpuW),
    minLimitW: z.number().positive().max(LIMITS.gpuW),
    maxLimitW: z.number().positive().max(LIMITS.gpuW),
    defaultLimitW: z.number().positive().max(LIMITS.gpuW),
    idleClockMHz: z.number().positive().max(LIMITS.clockMHz),
    minClockMHz: z.number().positive().max(LIMITS.clockMHz),
    baseClockMHz: z.number().positive().max(LIMITS.clockMHz),
    maxClockMHz: z.number().positive().max(LIMITS.clockMHz),
    maxOperatingC: z.number().min(-LIMITS.tempC).max(LIMITS.tempC),
    slowdownC: z.number().min(-LIMITS.tempC).max(LIMITS.tempC),
    shutdownC: z.number().min(-LIMITS.tempC).max(LIMITS.tempC),
    /** Dynamic power scales as (clock/maxClock)^clockPowerExponent. */
    clockPowerExponent: z.number().positive().max(4).default(1.3),
    /** Steady-state GPU temperature rise per watt above the chassis air (°C/W). */
    thermalResistanceCPerW: z.number().positive().max(10),
    /** GPU die sits this much above the rack inlet at zero power (chassis pre-heat, °C). */
    chassisOffsetC: z.number().min(0).max(LIMITS.tempC),
    /** First-order thermal time constant of the GPU and heatsink (s). */
    thermalTimeConstantS: z.number().positive().max(3600),
  })
  .superRefine((m, ctx) => {
    if (!(m.minLimitW <= m.defaultLimitW && m.defaultLimitW <= m.maxLimitW)) {
      ctx.addIssue({ code: 'custom', path: ['defaultLimitW'], message: `must lie within minLimitW..maxLimitW (${m.minLimitW}..${m.maxLimitW} W)` });
    }
    if (m.idleW >= m.minLimitW) ctx.addIssue({ code: 'custom', path: ['idleW'], message: 'must be below minLimitW' });
    if (!(m.minClockMHz <= m.baseClockMHz && m.baseClockMHz <= m.maxClockMHz)) {
      ctx.addIssue({ code: 'custom', path: ['baseClockMHz'], message: 'must lie within minClockMHz..maxClockMHz' });
    }
    if (!(m.slowdownC < m.shutdownC)) ctx.addIssue({ code: 'custom', path: ['slowdownC'], message: 'must be below shutdownC' });
  });
export type GpuModel = z.output<typeof GpuModelSchema>;

const Id = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"');

/** One row of racks as written in a topology file. Racks in a row are identical. */
export const RowSpecSchema = z.object({
  id: Id,
  /**
   * Provisioned power of the row (kW). Oversubscription = installed servers beyond this. With a `plant`, the budget is
   * derived from it; a budget given here as well is an extra limit (whichever is lower applies).
   */
  budgetKW: z.number().positive().max(LIMITS.rowKW).optional(),
  /** Heat the row's cooling can remove at the design supply temperature (kW). */
  coolingKW: z.number().positive().max(LIMITS.rowKW),
  supplyC: z.number().min(5).max(40).default(22),
  racks: z.number().int().positive().max(1000),
  serversPerRack: z.number().int().positive().max(64),
  gpusPerServer: z.number().int().positive().max(16),
  gpuModel: z.string().min(1),
  /** Non-GPU server power (CPUs, fans, NICs) at idle and the extra at full GPU activity (W). */
  serverIdleW: z.number().min(0).max(LIMITS.serverW).default(1500),
  serverActiveW: z.number().min(0).max(LIMITS.serverW).default(2000),
});
export type RowSpec = z.output<typeof RowSpecSchema>;

export const TopologyFileSchema = z
  .object({
    site: z.object({ id: Id, name: z.string().min(1) }),
    /** Extra GPU models or replacements for the built-in ones (matched by id). */
    gpuModels: z.array(GpuModelSchema).max(LIMITS.gpuModels).default([]),
    rows: z.array(RowSpecSchema).min(1).max(LIMITS.rows),
    /** The electrical chain and cooling plant the budgets come from (shared/domain/plant.ts). */
    plant: PlantSpecSchema.optional(),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    let gpus = 0;
    t.rows.forEach((r, i) => {
      gpus += r.racks * r.serversPerRack * r.gpusPerServer;
      if (gpus > LIMITS.gpus) ctx.addIssue({ code: 'custom', path: ['rows', i, 'racks'], message: `the site would exceed ${LIMITS.gpus.toLocaleString('en-US')} GPUs` });
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rows', i, 'id'], message: `duplicate row id "${r.id}"` });
      seen.add(r.id);
      if (r.budgetKW === undefined && !t.plant) ctx.addIssue({ code: 'custom', path: ['rows', i, 'budgetKW'], message: 'required (or describe the plant the budget comes from under `plant:`)' });
    });
  });
export type TopologyFile = z.input<typeof TopologyFileSchema>;
export type TopologySpec = z.output<typeof TopologyFileSchema>;

/** Resolved topology: flat, index-addressed lists. Children of a parent are contiguous. */
export interface Topology {
  site: { id: string; name: string };
  /** The plant the budgets were derived from, as written (main/core/plant.ts resolves it); absent: typed budgets. */
  plant?: PlantSpec;
  models: GpuModel[];
  rows: Array<{ id: string; budgetKW: number; coolingKW: number; supplyC: number; rackStart: number; rackCount: number }>;
  racks: Array<{ id: string; row: number; budgetKW: number; serverStart: number; serverCount: number }>;
  servers: Array<{ id: string; rack: number; gpuStart: number; gpuCount: number; model: number; idleW: number; activeW: number }>;
  gpuCount: number;
}
