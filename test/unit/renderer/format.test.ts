import { describe, expect, it } from 'vitest';
import { fmtAgo, fmtC, fmtDuration, fmtKW, fmtKWFromW, fmtMHz, fmtPct, fmtSimTime, fmtSpeed, fmtValueUnit, fmtW } from '../../../renderer/charts/format.js';

describe('formatting keeps units on screen', () => {
  it('power, temperature, clock and percentages', () => {
    expect(fmtW(612.4)).toBe('612 W');
    expect(fmtKWFromW(42_340)).toBe('42.3 kW');
    expect(fmtKW(3420)).toBe('3.42 MW');
    expect(fmtC(27.45)).toBe('27.4 °C');
    expect(fmtMHz(1980.2)).toBe('1980 MHz');
    expect(fmtPct(86.44, 1)).toBe('86.4 %');
    expect(fmtW(NaN)).toBe('—');
  });

  it('simulated time in UTC and relative to the simulated clock', () => {
    expect(fmtSimTime(Date.UTC(2026, 0, 1, 0, 3, 25))).toBe('2026-01-01 00:03:25 UTC');
    expect(fmtDuration(45_000)).toBe('45 s');
    expect(fmtDuration(200_000)).toBe('3 m 20 s');
    expect(fmtDuration(2 * 3600_000 + 5 * 60_000)).toBe('2 h 05 m');
    expect(fmtAgo(1000, 61_000)).toBe('1 m 00 s ago');
    expect(fmtDuration(-5)).toBe('0 s');
  });

  it('speeds and alert values', () => {
    expect(fmtSpeed(60)).toBe('×60');
    expect(fmtSpeed(0.5)).toBe('×0.5');
    expect(fmtValueUnit(93.21, '%')).toBe('93.2 %');
    expect(fmtValueUnit(612, 'W')).toBe('612 W');
    expect(fmtValueUnit(104.6, '%')).toBe('105 %');
  });
});
