import type { GpuModel } from '../../shared/domain/topology.js';

/**
 * Built-in GPU models. Every value carries its source; docs/MODEL.md ("GPU models and their sources") has the same
 * values in a table (test/unit/core/models.test.ts keeps the two equal) with the full references [S1]…[S13].
 *
 * Tags: [m] measured (an nvidia-smi / rocm-smi capture of a real GPU), [p] published (vendor datasheet or product
 * page), [e] estimate (nothing published or captured; the comment says how it was chosen), [r] our reconstruction
 * of a simulator calibration (thermal constants, γ).
 *
 * Only some values drive the simulator: idle and maximum power, the clocks' ends, the temperatures and the thermal
 * constants. `baseClockMHz` is informational (nothing reads it beyond the schema's min ≤ base ≤ max check).
 */

/**
 * H100 SXM, calibrated on the real nvidia-smi capture in ../shared/data [S1]: idle 69.85 W at 41 °C, 629.45 W under
 * gpu-burn at 59 °C, limits 200–700 W, SM 345 MHz idle / 1980 MHz max, T.Limit ≈ 87 °C (current + margin: 41 + 46,
 * 59 + 26 … 28 + 59 on the H200), slowdown at T.Limit + 2 °C, shutdown at T.Limit + 8 °C (the capture's relative
 * thresholds).
 */
const H100_SXM: GpuModel = {
  id: 'H100-SXM',
  name: 'NVIDIA H100 80GB HBM3 (SXM)',
  idleW: 70, // [m] S1: 69.85 W average power draw at idle.
  minLimitW: 200, // [m] S1: Min Power Limit 200.00 W.
  maxLimitW: 700, // [m] S1: Max Power Limit 700.00 W; [p] S4: up to 700 W.
  defaultLimitW: 700, // [m] S1: Default Power Limit 700.00 W.
  idleClockMHz: 345, // [m] S1: SM 345 MHz at idle.
  // [e] the nvidia-smi backend's assumed floor (no supported-clocks list of an H100 is in the repository; the H200,
  // same GH100 die, lists 345 MHz as its lowest [S3]). Kept: the 288 MHz power-brake clock sits below 345.
  minClockMHz: 210,
  baseClockMHz: 1590, // [p] the SXM5 base clock of public GPU databases (not in NVIDIA's datasheet).
  maxClockMHz: 1980, // [m] S1: Max Clocks SM 1980 MHz.
  maxOperatingC: 87, // [m] S1: T.Limit ≈ 87 °C, Max Operating T.Limit 0 °C.
  slowdownC: 89, // [m] S1: Slowdown T.Limit −2 °C ⇒ 87 + 2.
  shutdownC: 95, // [m] S1: Shutdown T.Limit −8 °C ⇒ 87 + 8 (an H800 under driver 525 reports 92 °C: docs/MODEL.md).
  clockPowerExponent: 1.3, // [r] POLCA's "locking cuts peak power up to 20 %" on the A100 (docs/MODEL.md).
  // [m] (59 − 41) °C / (629.45 − 69.85) W from the capture.
  thermalResistanceCPerW: 0.0322,
  // [m + r] 41 °C at 70 W with a 25 °C inlet: 41 − 25 − 70 × 0.0322.
  chassisOffsetC: 13.7,
  thermalTimeConstantS: 20, // [r]
};

/**
 * H200 SXM: the H100's GH100 die with 141 GB HBM3e. From our own real H200 [S3] and the public H200 capture [S2];
 * the thermal constants are the H100's (not measured on the H200: the public capture's 28 °C idle implies an inlet
 * well below 25 °C, so its slope cannot be transferred without one).
 */
const H200_SXM: GpuModel = {
  ...H100_SXM,
  id: 'H200-SXM',
  name: 'NVIDIA H200 141GB HBM3e (SXM)',
  idleW: 82, // [m] S3: 81.99 W at idle, 41 °C (S2: 77.67 W at 28 °C).
  minLimitW: 200, // [m] S2, S3: Min Power Limit 200.00 W ("-pl 150" refused: "between 200.00 W and 700.00 W").
  maxLimitW: 700, // [m] S2, S3: 700.00 W.
  defaultLimitW: 700, // [m] S2, S3: 700.00 W.
  idleClockMHz: 345, // [m] S2, S3: SM 345 MHz at idle.
  minClockMHz: 345, // [m] S3: supported clocks 345–1980 MHz (110 of them); "-lgc 345,345" held.
  baseClockMHz: 1590, // [e] the H100's (same die); unused.
  maxClockMHz: 1980, // [m] S2, S3: clocks.max.sm 1980 MHz.
  maxOperatingC: 87, // [m] S2: T.Limit 28 + 59 = 52 + 35 = 87 °C.
  slowdownC: 89, // [m] S2: Slowdown T.Limit −2 °C.
  shutdownC: 95, // [m] S2: Shutdown T.Limit −8 °C.
};

/**
 * One Blackwell GPU of a GB200 NVL72 rack (72 per rack, 4 per compute tray), direct-to-chip liquid cooled. 1,200 W per
 * GPU and ~120–132 kW per rack are the published NVL72 figures (docs/MODEL.md, "The plant", cooling: *Liquid*);
 * idle, the lowest limit, clocks and the thermal figures are reconstructions [r]: the cold plate is sized so that at
 * full power a GPU reaches slowdown when its loop's supply has risen LOOP_MARGIN_C (15 °C) above 30 °C.
 */
const GB200_NVL72: GpuModel = {
  id: 'GB200-NVL72',
  name: 'NVIDIA Blackwell B200 in GB200 NVL72 (liquid)',
  idleW: 160, // [e] above the air-cooled B200's measured ~140 W [S8] (Grace-side and NVLink-switch share excluded).
  minLimitW: 400, // [e] one third of the 1,200 W limit.
  maxLimitW: 1200, // [p] 1,200 W per GPU (GB200 NVL72 deployment notes, docs/MODEL.md).
  defaultLimitW: 1200, // [p] as above.
  idleClockMHz: 345, // [e] Hopper's idle clock.
  minClockMHz: 345, // [e] as above.
  baseClockMHz: 1200, // [e] unused.
  maxClockMHz: 1965, // [e] the HGX B200's measured 1965 MHz [S9], assumed for the GB200's B200.
  maxOperatingC: 85, // [e]
  slowdownC: 87, // [e]
  shutdownC: 95, // [e]
  clockPowerExponent: 1.3, // [r]
  // [r] 30 °C supply + 6 + 0.03 × 1,200 W = 72 °C: 15 °C below slowdown.
  thermalResistanceCPerW: 0.03,
  chassisOffsetC: 6, // [r]
  thermalTimeConstantS: 10, // [r]
};

/**
 * The generic A100 SXM4 model, kept under its original id for existing scenarios and for POLCA's paper caps
 * (main/core/control/polca.ts keys them on 'A100-SXM'). Its values predate the 40/80 GB split and sit between them;
 * prefer A100-SXM4-40GB or A100-SXM4-80GB for a real fleet.
 */
const A100_SXM: GpuModel = {
  id: 'A100-SXM',
  name: 'NVIDIA A100 SXM4 (generic)',
  idleW: 55, // [e] between the measured 40 GB (53 W [S5]) and 80 GB (60 W [S6]) idle.
  minLimitW: 100, // [m] S5, S6: Min Power Limit 100.00 W.
  maxLimitW: 400, // [p] S7: 400 W max TDP (SXM4).
  defaultLimitW: 400, // [p] S7; [m] S5.
  idleClockMHz: 210, // [m] S5, S6: SM 210 MHz at idle.
  minClockMHz: 210, // [m] S5, S6: the lowest clock the GPU is seen at (idle); assumed to be the lock floor.
  baseClockMHz: 1095, // [m] S5: the 40 GB's default applications clock.
  maxClockMHz: 1410, // [m] S5, S6: Max Clocks SM 1410 MHz; [p] S7: 1410 MHz boost.
  maxOperatingC: 85, // [m] S5, S6: GPU Max Operating Temp 85 C.
  slowdownC: 89, // [m] S5, S6: GPU Slowdown Temp 89 C.
  shutdownC: 92, // [m] S5, S6: GPU Shutdown Temp 92 C.
  clockPowerExponent: 1.3, // [r] calibrated on the A100 (docs/MODEL.md, "GPU power").
  thermalResistanceCPerW: 0.05, // [r]
  chassisOffsetC: 12, // [r]
  thermalTimeConstantS: 20, // [r]
};

/** A100 SXM4 40 GB: a full `nvidia-smi -q` of an 8× A100-SXM4-40GB node (driver 535.129.03) [S5]. */
const A100_SXM4_40GB: GpuModel = {
  ...A100_SXM,
  id: 'A100-SXM4-40GB',
  name: 'NVIDIA A100-SXM4-40GB',
  idleW: 53, // [m] S5: 52.12 / 53.16 W at idle (P0, 22 °C).
  minLimitW: 100, // [m] S5: Min Power Limit 100.00 W.
  maxLimitW: 400, // [m] S5: Max Power Limit 400.00 W; [p] S7.
  defaultLimitW: 400, // [m] S5: Default Power Limit 400.00 W.
  idleClockMHz: 210, // [m] S5: SM 210 MHz at idle.
  minClockMHz: 210, // [m] S5: the lowest clock seen (idle); assumed to be the lock floor.
  baseClockMHz: 1095, // [m] S5: Default Applications Clocks, Graphics 1095 MHz.
  maxClockMHz: 1410, // [m] S5: Max Clocks SM 1410 MHz.
  maxOperatingC: 85, // [m] S5
  slowdownC: 89, // [m] S5
  shutdownC: 92, // [m] S5
  // Thermal constants and γ: the generic A100's [r].
};

/**
 * A100 SXM4 80 GB, 400 W board (the datasheet's). The capture [S6] is of the 500 W board (part 692-2G506-0212, the
 * datasheet's "custom thermal solution" option): its limits are not this model's; declare a 500 W variant under
 * `gpuModels` for such a fleet.
 */
const A100_SXM4_80GB: GpuModel = {
  ...A100_SXM,
  id: 'A100-SXM4-80GB',
  name: 'NVIDIA A100-SXM4-80GB',
  idleW: 60, // [m] S6: 58–60 W at idle (P0, 22–25 °C); public nvidia-smi tables of 400 W boards show 54–65 W.
  minLimitW: 100, // [m] S6: Min Power Limit 100.00 W.
  maxLimitW: 400, // [p] S7: 400 W max TDP (the 500 W board reports 500.00 W [S6]).
  defaultLimitW: 400, // [p] S7
  idleClockMHz: 210, // [m] S6: SM 210 MHz at idle.
  minClockMHz: 210, // [m] S6: the lowest clock seen (idle); assumed to be the lock floor.
  baseClockMHz: 1140, // [m] S6: Default Applications Clocks, Graphics 1140 MHz (500 W board).
  maxClockMHz: 1410, // [m] S6: Max Clocks SM 1410 MHz.
  maxOperatingC: 85, // [m] S6
  slowdownC: 89, // [m] S6
  shutdownC: 92, // [m] S6
};

/**
 * B200 (HGX B200 / DGX B200, air-cooled SXM, 1,000 W). Idle and the 1,000 W limit from public nvidia-smi outputs
 * [S8], the 1965 MHz clock from public B200 telemetry notes [S9]; no `nvidia-smi -q` of a B200 (min/max limit,
 * temperature thresholds, supported clocks) was found, so those are estimates.
 */
const B200_SXM: GpuModel = {
  id: 'B200-SXM',
  name: 'NVIDIA B200 180GB HBM3e (SXM, HGX B200)',
  idleW: 140, // [m] S8: 136–143 W at idle (P0, 0 MiB used, 25–33 °C) on 16 GPUs of two 8× B200 hosts.
  // [e] not published; the Hopper SXM parts' 200 W floor [S1, S2], well above the 140 W idle.
  minLimitW: 200,
  maxLimitW: 1000, // [p] S9: up to 1,000 W per GPU (HGX B200); [m] S8: the 1000 W cap nvidia-smi shows.
  defaultLimitW: 1000, // [m] S8: "141W / 1000W" (the current, default limit).
  idleClockMHz: 345, // [e] Hopper's idle clock; not captured (one note reports 1965 MHz between kernels [S9]).
  minClockMHz: 345, // [e] as above.
  baseClockMHz: 1200, // [e] as GB200-NVL72; unused.
  maxClockMHz: 1965, // [m] S9: clocks.max.sm 1965 MHz recorded on B200s.
  maxOperatingC: 85, // [e] as GB200-NVL72 (Blackwell's T.Limit-relative thresholds are not published).
  slowdownC: 87, // [e]
  shutdownC: 95, // [e]
  clockPowerExponent: 1.3, // [r]
  // [r] 140 W idle reads ~30 °C at a 22 °C inlet (measured 25–33 °C [S8]); 1,000 W at a 25 °C inlet reads 72 °C,
  // below the 85 °C max operating: 2 + 0.045 × 1,000 = 47 °C above the inlet.
  thermalResistanceCPerW: 0.045,
  chassisOffsetC: 2, // [r]
  thermalTimeConstantS: 20, // [r] as the H100.
};

/**
 * AMD Instinct MI300X (OAM, 750 W). Power and clocks from rocm-smi outputs of real MI300X [S10, S11]; temperatures are
 * junction (hotspot) temperatures, thresholds as amd-smi reports them on the MI300A, the same CDNA3 / SMU 13.0.6
 * family [S12]. The driver reports no lowest power cap (0 W [S12]), so the floor is an estimate.
 */
const MI300X: GpuModel = {
  id: 'MI300X',
  name: 'AMD Instinct MI300X 192GB HBM3 (OAM)',
  idleW: 132, // [m] S10: 130–137 W socket power at idle (0 % VRAM, 34–39 °C junction) on 4 GPUs; S11: 141 W (VF).
  // [e] the driver exposes no floor (MIN_POWER 0 W [S12]); 200 W is just above the measured idle (a cap below idle
  // does nothing) and near the NVIDIA parts' 20–29 % of TDP. 500 W was set on a real MI300X [S11].
  minLimitW: 200,
  maxLimitW: 750, // [m] S10: Max Graphics Package Power 750.0 W; [p] S13: 750 W TBP.
  defaultLimitW: 750, // [m] S10, S11: PwrCap 750.0 W.
  idleClockMHz: 132, // [m] S10: sclk 131–142 MHz at idle (deep-sleep level "S").
  minClockMHz: 500, // [m] S10: lowest sclk DPM level 500 MHz (OD_SCLK 500 / 2100 MHz).
  baseClockMHz: 1000, // [e] AMD publishes no base clock; a placeholder inside 500–2100 MHz; unused.
  maxClockMHz: 2100, // [m] S10: top sclk level 2100 MHz; [p] S13: 2100 MHz peak engine clock.
  maxOperatingC: 95, // [e] 5 °C below the hotspot slowdown.
  slowdownC: 100, // [e] S12: SLOWDOWN_HOTSPOT_TEMPERATURE 100 °C on the MI300A, assumed for the MI300X.
  shutdownC: 110, // [e] S12: SHUTDOWN_HOTSPOT_TEMPERATURE 110 °C on the MI300A, assumed for the MI300X.
  clockPowerExponent: 1.3, // [r]
  // [r] idle 132 W reads ~36 °C at a 22 °C inlet (measured 34–39 °C [S10]); 750 W at a 25 °C inlet reads 85 °C
  // (no loaded capture: an assumed full-load junction temperature).
  thermalResistanceCPerW: 0.075,
  chassisOffsetC: 4, // [r]
  thermalTimeConstantS: 20, // [r]
};

/** In this order: H100-SXM first (tests and the agent's sim backend default to it), then the rest. */
export const BUILTIN_MODELS: readonly GpuModel[] = [
  H100_SXM,
  H200_SXM,
  GB200_NVL72,
  A100_SXM,
  A100_SXM4_40GB,
  A100_SXM4_80GB,
  B200_SXM,
  MI300X,
];
