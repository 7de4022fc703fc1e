import type { GridFigures, GridRequirement } from '../../../shared/domain/grid.js';
import { bandStats, maxRamp, swings, welch } from './spectrum.js';

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * The grid's view of a series (MW at fs Hz) against a requirement: ramp over its window, the worst and median swing
 * over its range window, the band's share and RMS (Welch, 4,096-point segments or the longest power of two the
 * series holds), peak and mean. The band is within its limit when its share is, or when its RMS is below the
 * requirement's minRmsMW (a flat site). Pure.
 */
export function gridFigures(mw: Float32Array, fs: number, req: GridRequirement): GridFigures {
  const psd = welch(mw, fs, 4096);
  const band = bandStats(psd, req.band.loHz, req.band.hiHz);
  const ramp = maxRamp(mw, fs, req.rampWindowS);
  const sw = swings(mw, fs, req.rangeWindowS);
  let peak = 0;
  let sum = 0;
  for (let i = 0; i < mw.length; i++) {
    if (mw[i]! > peak) peak = mw[i]!;
    sum += mw[i]!;
  }
  return {
    rampMaxMWps: r4(ramp),
    dynamicRangeMW: r4(sw.worst),
    bandEnergyPct: Math.round(band.sharePct * 10) / 10,
    bandRmsMW: r4(band.rms),
    swingAmplitudeMW: r4(sw.median),
    peakMW: r4(peak),
    meanMW: r4(sum / Math.max(1, mw.length)),
    within: { ramp: ramp <= req.rampMWps, dynamicRange: sw.worst <= req.dynamicRangeMW, band: band.sharePct <= req.band.maxSharePct || band.rms < req.band.minRmsMW },
  };
}

