import { describe, expect, it } from 'vitest';
import { runLoaded } from '../../../main/app/batch.js';
import type { LoadedScenario } from '../../../main/sim/config.js';
import type { Alert } from '../../../shared/domain/fleet.js';
import type { ScenarioFile } from '../../../shared/domain/scenario.js';
import { defaultTopology, H100, smallScenario } from '../../helpers.js';
import { tripScenario } from '../../fixtures/tripScenario.js';

/**
 * The report and the alerts through a real run (simulator, engine, POLCA), default site: a budget loss deep enough to
 * leave row C below its floor raises the critical budgetUnreachable alert and a warning with the servers to shed; a
 * telemetry stall makes the peaks the engine assumed differ from the measured ones.
 */
const loaded = (events: ScenarioFile['events']): LoadedScenario => ({ scenario: smallScenario({ events }), topology: defaultTopology(), source: 'test' });

// Row C: 40 servers × (1.5 + 2 kW non-GPU + 8 H100 busy at 210 MHz); 408 kW provisioned.
const gpuFloorW = Math.min(H100.minLimitW, H100.idleW + (H100.maxLimitW - H100.idleW) * Math.pow(H100.minClockMHz / H100.maxClockMHz, H100.clockPowerExponent));
const serverKW = (3500 + 8 * gpuFloorW) / 1000;
const floorKW = 40 * serverKW;

describe('an unreachable budget during a run', () => {
  it('a 60 % loss on row C (163.2 kW < its 173 kW floor): a critical alert with the servers to shed, and a warning', () => {
    const seen: Alert[] = [];
    const { report } = runLoaded(loaded([{ kind: 'powerBudgetLoss', atS: 20, durationS: 30, row: 'C', fraction: 0.6 }]), {
      seed: 1,
      durationS: 70,
      policy: 'polca',
      onTick: (engine) => {
        for (const a of engine.activeAlerts()) if (a.rule === 'budgetUnreachable' && !seen.some((x) => x.id === a.id)) seen.push({ ...a });
      },
    });
    const shed = Math.ceil((floorKW - 408 * 0.4) / serverKW);
    expect(shed).toBe(3);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ severity: 'critical', state: 'firing', subject: { kind: 'row', id: 'C' }, value: shed, unit: 'servers' });
    expect(seen[0]!.summary).toContain(`shed ${shed} of its 40 servers to fit`);
    expect(report.alerts.byRule.budgetUnreachable).toBe(1);
    expect(report.warnings.filter((w) => w.includes('unreachable'))).toEqual([
      `Row C: budget unreachable from 20 s for 30 s: lowest budget in force 163.2 kW, below its floor of ${Number(floorKW.toFixed(2))} kW ` +
        `(non-GPU server power at full activity + every GPU busy at its minimum cap); shed ${shed} of its 40 servers to fit`,
    ]);
  });

  it('a 50 % loss (204 kW, above the floor): no alert, no warning', () => {
    const { report } = runLoaded(loaded([{ kind: 'powerBudgetLoss', atS: 20, durationS: 30, row: 'C', fraction: 0.5 }]), { seed: 1, durationS: 60, policy: 'polca' });
    expect(report.alerts.byRule.budgetUnreachable).toBe(0);
    expect(report.warnings).toEqual([]);
  });
});

describe('a telemetry stall: measured against assumed', () => {
  it('peakKW is measured (below peakAssumedKW), staleS counts the stale seconds, time over budget excludes them', () => {
    const { report } = runLoaded(loaded([{ kind: 'sourceStall', atS: 20, durationS: 15 }]), { seed: 1, durationS: 60, policy: 'polca' });
    for (const row of report.rows) {
      // 15 s of silence; the engine calls the source stale after 3 s (its staleAfterMs), so ~12 s of assumed ticks.
      expect(row.staleS).toBeGreaterThanOrEqual(11);
      expect(row.staleS).toBeLessThanOrEqual(13);
      // Stale: every GPU at its 700 W limit → 40 × (3.5 + 8 × 0.7) kW = 364 kW assumed.
      expect(row.peakAssumedKW).toBe(364);
      expect(row.peakKW).toBeLessThan(row.peakAssumedKW);
      expect(row.peakKW).toBeGreaterThan(50);
    }
    // Row D (313.8 kW) is "over" at 364 kW only by assumption: its measured figures do not count the stall.
    const d = report.rows.find((r) => r.id === 'D')!;
    expect(d.secondsOver100).toBeLessThan(d.staleS);
    expect(d.peakPct).toBeLessThan((364 / 313.8) * 100);
    expect(d.longestOverS).toBeLessThanOrEqual(d.secondsOver100);
    expect(report.site.peakKW).toBeLessThan(report.site.peakAssumedKW);
    expect(report.site.peakAssumedKW).toBe(1456);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(/^Stale or invalid GPU readings .*: A 1\d s, B 1\d s, C 1\d s, D 1\d s; the assumed peak/);
  });

  it('no plant model: overloadAllowanceUsedPct is null', () => {
    const t = defaultTopology();
    const { report } = runLoaded({ ...loaded([]), topology: { ...t, plant: undefined } }, { seed: 1, durationS: 5, policy: 'polca' });
    expect(report.rows.map((r) => r.overloadAllowanceUsedPct)).toEqual([null, null, null, null]);
  });
});

describe('overloadAllowanceUsedPct: the simulator’s trip accumulator', () => {
  it('the worst share of time-to-trip any device feeding the row used, over the run; the report says so', () => {
    let worst = 0;
    const { report } = runLoaded(tripScenario(50), {
      seed: 1,
      durationS: 300,
      policy: 'unconstrained',
      onTick: (_e, _c, sim) => {
        const a = sim.tripAllowanceUsed()!;
        for (let x = 0; x < a.ids.length; x++) worst = Math.max(worst, a.used[x]!);
      },
    });
    const r = report.rows[0]!;
    // Unconstrained, ~67 kW on BB alone from 60 s: it builds toward a trip without reaching it in 300 s.
    expect(worst).toBeGreaterThan(0.1);
    expect(worst).toBeLessThan(1);
    expect(r.overloadAllowanceUsedPct).toBe(Math.round(worst * 10_000) / 100);
    expect(report.warnings).toContain(`Plant device BB: its overload used ${Math.round(worst * 100)} % of its time to trip`);
  });
});
