import { z } from 'zod';

/**
 * The physical plant a site's budgets come from: the electrical chain (utility feeds → UPS → switchboards / busways →
 * rack PDUs, A and B sides) and the cooling plant (air units, CDUs). Written in a scenario's or topology's `plant:`
 * (YAML/JSON); resolved and analysed by main/core/plant.ts. Ratings are kW at the device (`ratedKW`), or amps and
 * volts (three-phase unless `phases: 1`) at a power factor.
 */

const Id = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"').max(64);

/** Breaker trip-curve classes: IEC 60898-1 B/C/D (instantaneous at 5/10/20 × In, upper bounds), or none (busbar). */
export const TripCurveSchema = z.enum(['B', 'C', 'D', 'none']);
export type TripCurve = z.output<typeof TripCurveSchema>;

const Rating = z
  .object({
    ratedKW: z.number().positive().optional(),
    amps: z.number().positive().optional(),
    volts: z.number().positive().optional(),
    phases: z.union([z.literal(1), z.literal(3)]).default(3),
    powerFactor: z.number().min(0.5).max(1).default(0.95),
  })
  .refine((r) => r.ratedKW !== undefined || (r.amps !== undefined && r.volts !== undefined), { message: 'give ratedKW, or amps and volts' });

export const FeedSpecSchema = z.object({ id: Id, kind: z.literal('utility').default('utility'), ratedKW: z.number().positive() });

export const UpsSpecSchema = z.object({
  id: Id,
  /** The utility feed it runs from. */
  feed: Id,
  modules: z.number().int().min(1).max(64),
  moduleKW: z.number().positive(),
  /** Modules held in reserve (N+1: 1). The UPS's capacity is (modules − failed) × moduleKW; redundancy is what it may lose. */
  redundantModules: z.number().int().min(0).max(8).default(1),
  /** Battery ride-through when its feed is lost (s). */
  rideThroughS: z.number().min(0).max(3600).default(300),
});

export const DeviceSpecSchema = z
  .object({
    id: Id,
    kind: z.enum(['switchboard', 'pdu', 'busway', 'breaker']),
    /** Upstream device: a UPS or another device. */
    from: Id,
    curve: TripCurveSchema.default('C'),
  })
  .and(Rating);

/** The racks of a row (all, or listed) and the devices their A and B rack PDUs hang from. */
export const RackFeedSpecSchema = z
  .object({
    row: Id,
    racks: z.array(Id).min(1).optional(),
    /** Upstream device of the A-side and B-side rack PDUs (2N: two independent paths). */
    a: Id,
    b: Id.optional(),
    pdu: Rating.and(z.object({ curve: TripCurveSchema.default('C') })),
  });

export const CoolingSpecSchema = z.object({
  /** Air units (CRAH/CRAC) serving rows: capacity, supply temperature; N+1 when `redundantUnits` ≥ 1. */
  air: z
    .array(z.object({ id: Id, rows: z.array(Id).min(1), units: z.number().int().min(1).max(64), unitKW: z.number().positive(), redundantUnits: z.number().int().min(0).default(1), supplyC: z.number().min(5).max(40).default(22) }))
    .default([]),
  /** Coolant distribution units for direct-to-chip racks: pumps (N+1), capacity, loop temperatures, what the loop holds after a loss. */
  liquid: z
    .array(
      z.object({
        id: Id,
        racks: z.array(Id).min(1),
        pumps: z.number().int().min(1).max(16),
        redundantPumps: z.number().int().min(0).default(1),
        capacityKW: z.number().positive(),
        supplyC: z.number().min(5).max(60).default(30),
        /** Seconds the loop's thermal mass carries full load with no flow before chips throttle. */
        holdS: z.number().min(0).max(3600).default(30),
      }),
    )
    .default([]),
});

export const PlantSpecSchema = z.object({
  /** Share of a breaker's or busway's rating it may carry continuously (NEC 210.19/215.2: 80 %). */
  continuousPct: z.number().min(50).max(100).default(80),
  feeds: z.array(FeedSpecSchema).min(1),
  ups: z.array(UpsSpecSchema).min(1),
  devices: z.array(DeviceSpecSchema).default([]),
  racks: z.array(RackFeedSpecSchema).min(1),
  cooling: CoolingSpecSchema.default({ air: [], liquid: [] }),
});
export type PlantSpec = z.output<typeof PlantSpecSchema>;
export type PlantSpecInput = z.input<typeof PlantSpecSchema>;

export type PlantDeviceKind = 'feed' | 'ups' | 'upsModule' | 'switchboard' | 'pdu' | 'busway' | 'breaker' | 'rackPdu' | 'air' | 'cdu';

/** One single failure and what it does (N-1 contingency analysis). */
export interface Contingency {
  /** The device that fails. */
  device: string;
  kind: PlantDeviceKind;
  /**
   * Devices that would carry more than their rating (`pct` of it; null when nothing is left, e.g. an isolated CDU), with
   * the time until they trip, go to bypass or overheat (null: they would not).
   */
  overloads: Array<{ device: string; kind: PlantDeviceKind; loadKW: number; ratedKW: number; pct: number | null; secondsToTrip: number | null }>;
  /** Racks left with no supply at all (both sides lost): their load is dropped, not saved by caps. */
  racksLost: string[];
  /** What Headroom would do: shed this much by caps (lowest priority first), how, how long it takes to land. */
  response: { capsKW: number; costPct: number; path: 'none' | 'inBand' | 'outOfBand' | 'brake'; landsInS: number; byRow: Array<{ row: string; kW: number }> };
  /** The response lands before the first trip (true when nothing would trip). */
  inTime: boolean;
}

/** A row's worst single failure: not survivable in time first, then racks lost, then the soonest trip. */
export interface RowContingency {
  row: string;
  /** null: no single failure overloads anything of the row or loses one of its racks. */
  device: string | null;
  inTime: boolean;
  firstTripS: number | null;
  capsKW: number;
  racksLost: number;
  /** One line for operators ("UPS1 fails → BW-D-B at 121 % trips in 42 s; caps 18 kW land in 40 s"). */
  text: string;
}


/** One N-1 analysis of the plant: the state it ran on, the budgets it allows, every single failure, what is armed. */
export interface PlantPicture {
  /** Engine time of the analysis; wall time it took. */
  atMs: number;
  tookMs: number;
  devices: number;
  /** Devices out of service in the analysed state (failed, tripped, in a maintenance window; "<UPS>/module" per module lost). */
  out: string[];
  budgets: Array<{ row: string; budgetKW: number; limitedBy: string }>;
  contingencies: Contingency[];
  worstByRow: RowContingency[];
  /** Failures whose response (caps) is armed: fired at once when that device goes out (a what-if arms nothing). */
  armed: string[];
  /** Armed responses that fired and are in force (their device still out), oldest first. */
  engaged: ArmedFiring[];
}

/** The console's live N-1 picture (`plant:contingency`). */
export type PlantView = { available: false; reason: string } | ({ available: true } & PlantPicture);

/** An armed response that fired: the failure it answered, the caps it set, what the analysis expected. */
export interface ArmedFiring {
  device: string;
  atMs: number;
  /** Caps set (kW taken from the GPUs' power at the failure) and on how many GPUs. */
  capsKW: number;
  gpus: number;
  landsInS: number;
  /** When the first overloaded device would have tripped without them (s; null: none would). */
  firstTripS: number | null;
}

