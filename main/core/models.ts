import type { GpuModel } from '../../shared/domain/topology.js';

/**
 * Built-in GPU models. H100 SXM is calibrated on the real nvidia-smi capture in data/ (see docs/MODEL.md):
 * idle 69.85 W at 41 °C, 629.45 W under gpu-burn at 59 °C, limits 200–700 W, SM 345 MHz idle / 1980 MHz max,
 * T.Limit ≈ 87 °C (current + margin), slowdown at T.Limit+2 °C, shutdown at T.Limit+8 °C.
 * A100 SXM values are from NVIDIA's datasheet and typical `nvidia-smi -q` output.
 */
const H100_SXM: GpuModel = {
  id: 'H100-SXM',
  name: 'NVIDIA H100 80GB HBM3 (SXM)',
  idleW: 70,
  minLimitW: 200,
  maxLimitW: 700,
  defaultLimitW: 700,
  idleClockMHz: 345,
  minClockMHz: 210,
  baseClockMHz: 1590,
  maxClockMHz: 1980,
  maxOperatingC: 87,
  slowdownC: 89,
  shutdownC: 95,
  clockPowerExponent: 1.3,
  // (59 − 41) °C / (629.45 − 69.85) W from the capture.
  thermalResistanceCPerW: 0.0322,
  // 41 °C at 70 W with a 25 °C inlet: 41 − 25 − 70 × 0.0322.
  chassisOffsetC: 13.7,
  thermalTimeConstantS: 20,
};

export const BUILTIN_MODELS: readonly GpuModel[] = [
  H100_SXM,
  {
    // From the real H200 captures in test/fixtures/gpu (idle 82 W, limits 200–700 W, supported SM clocks 345–1980
    // MHz); the rest, thermal figures included, is the H100's (not measured on the H200).
    ...H100_SXM,
    id: 'H200-SXM',
    name: 'NVIDIA H200 141GB HBM3e (SXM)',
    idleW: 82,
    minClockMHz: 345,
  },
  {
    // One Blackwell GPU of a GB200 NVL72 rack (72 per rack, 4 per compute tray), direct-to-chip liquid cooled.
    // 1,200 W per GPU and ~120–132 kW per rack are the published NVL72 figures (docs/MODEL.md "Liquid cooling"); idle,
    // the lowest limit, clocks and the thermal figures are reconstructions [r]: the cold plate is sized so that at full
    // power a GPU reaches slowdown when its loop's supply has risen LOOP_MARGIN_C (15 °C) above 30 °C.
    id: 'GB200-NVL72',
    name: 'NVIDIA Blackwell B200 in GB200 NVL72 (liquid)',
    idleW: 160,
    minLimitW: 400,
    maxLimitW: 1200,
    defaultLimitW: 1200,
    idleClockMHz: 345,
    minClockMHz: 345,
    baseClockMHz: 1200,
    maxClockMHz: 1965,
    maxOperatingC: 85,
    slowdownC: 87,
    shutdownC: 95,
    clockPowerExponent: 1.3,
    // 30 °C supply + 6 + 0.03 × 1,200 W = 72 °C: 15 °C below slowdown.
    thermalResistanceCPerW: 0.03,
    chassisOffsetC: 6,
    thermalTimeConstantS: 10,
  },
  {
    id: 'A100-SXM',
    name: 'NVIDIA A100 80GB (SXM4)',
    idleW: 55,
    minLimitW: 100,
    maxLimitW: 400,
    defaultLimitW: 400,
    idleClockMHz: 210,
    minClockMHz: 210,
    baseClockMHz: 1095,
    maxClockMHz: 1410,
    maxOperatingC: 85,
    slowdownC: 89,
    shutdownC: 92,
    clockPowerExponent: 1.3,
    thermalResistanceCPerW: 0.05,
    chassisOffsetC: 12,
    thermalTimeConstantS: 20,
  },
];
