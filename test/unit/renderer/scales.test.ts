import { describe, expect, it } from 'vitest';
import { ClockEvent, SampleFlag } from '../../../shared/domain/fleet.js';
import { EVENT_NONE_RGB, MISSING_RGB, SCALES, band, eventClass, eventRgb, packRgb, rgbAt, textOn } from '../../../renderer/charts/scales.js';
import { packedAt } from '../../../renderer/charts/gpuGrid.js';

describe('DCIM colour scales', () => {
  it('turn yellow at 60 % and red at 80 % of rack budget', () => {
    const s = SCALES.budgetPct;
    expect(band(s, 59.9)).toBe('ok');
    expect(band(s, 60)).toBe('warn');
    expect(band(s, 79.9)).toBe('warn');
    expect(band(s, 80)).toBe('crit');
    // The colour steps exactly at the threshold, not a blend across it.
    expect(rgbAt(s, 60)).not.toEqual(rgbAt(s, 59.999));
    expect(rgbAt(s, 60)).toEqual(s.stops[2]!.rgb);
    expect(rgbAt(s, 80)).toEqual(s.stops[4]!.rgb);
  });

  it('use 25/30 °C for inlet and 83/87 °C for GPU temperature', () => {
    expect([SCALES.inletC.warn, SCALES.inletC.crit]).toEqual([25, 30]);
    expect([SCALES.maxTempC.warn, SCALES.maxTempC.crit]).toEqual([83, 87]);
    expect([SCALES.gpuTempC.warn, SCALES.gpuTempC.crit]).toEqual([83, 87]);
    expect(band(SCALES.inletC, 30.2)).toBe('crit');
    expect(band(SCALES.gpuTempC, 84)).toBe('warn');
  });

  it('clamp out-of-range values and grey out missing ones', () => {
    const s = SCALES.budgetPct;
    expect(rgbAt(s, -5)).toEqual(s.stops[0]!.rgb);
    expect(rgbAt(s, 500)).toEqual(s.stops[s.stops.length - 1]!.rgb);
    expect(rgbAt(s, NaN)).toEqual(MISSING_RGB);
    expect(band(s, NaN)).toBe('none');
  });

  it('packed pixels match the CSS colours (hot loop mirrors rgbAt)', () => {
    for (const metric of ['budgetPct', 'inletC', 'gpuTempC', 'gpuPowerPct'] as const) {
      const s = SCALES[metric];
      for (let v = s.min - 5; v <= s.max + 5; v += 0.37) expect(packedAt(s, v)).toBe(packRgb(rgbAt(s, v)));
      expect(packedAt(s, NaN)).toBe(packRgb(MISSING_RGB));
    }
  });

  it('rank clock events by seriousness', () => {
    expect(eventClass(0)).toBe(-1);
    expect(eventRgb(0)).toEqual(EVENT_NONE_RGB);
    expect(eventClass(ClockEvent.swPowerCap | ClockEvent.hwThermal)).toBe(eventClass(ClockEvent.hwThermal));
    expect(eventClass(SampleFlag.shutdown | ClockEvent.swPowerCap)).toBe(0);
  });

  it('pick readable text on light and dark cells', () => {
    expect(textOn([255, 255, 255])).toBe('#0b0f14');
    expect(textOn([20, 30, 40])).toBe('#e8eef4');
  });
});
