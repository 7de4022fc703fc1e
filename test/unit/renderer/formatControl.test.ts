import { describe, expect, it } from 'vitest';
import { fmtCount, fmtDeltaKW, fmtRatioPct, fmtTimes, fmtUntil } from '../../../renderer/charts/format.js';

describe('formatting for control views', () => {
  it('signs kW changes with a true minus', () => {
    expect(fmtDeltaKW(-21.04)).toBe('−21.0 kW');
    expect(fmtDeltaKW(1.2)).toBe('+1.2 kW');
    expect(fmtDeltaKW(0.01)).toBe('±0.0 kW');
    expect(fmtDeltaKW(NaN)).toBe('—');
  });

  it('counts down to expiries and ETAs on the engine clock', () => {
    expect(fmtUntil(61_000, 0)).toBe('in 1 m 01 s');
    expect(fmtUntil(0, 5)).toBe('expired');
    expect(fmtUntil(0, 5, 'overdue')).toBe('overdue');
    expect(fmtUntil(null, 5)).toBe('—');
  });

  it('reads ratios against a baseline', () => {
    expect(fmtRatioPct(0.9734)).toBe('97.3 %');
    expect(fmtTimes(1.234)).toBe('×1.23');
    expect(fmtCount(1, 'GPU')).toBe('1 GPU');
    expect(fmtCount(32, 'GPU')).toBe('32 GPUs');
  });
});
