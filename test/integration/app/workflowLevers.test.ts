import { describe, expect, it } from 'vitest';
import { runLoaded, type RunPolicy } from '../../../main/app/batch.js';
import { DEFAULT_WORKFLOWS } from '../../../main/app/workflowSim.js';
import type { AuditEntry, AuditSink } from '../../../main/core/ports.js';
import { loadScenario } from '../../../main/sim/config.js';

/**
 * Murakkab's lever through the real engine, control plane and simulator (`--policy murakkab` against POLCA's caps
 * alone): the default site, its drills off, with the declared workflows at six times their rates (~300 GPUs at
 * midnight: row A, whole). Row A has lost an eighth of its feed (a derated budget: ~78 % of it drawn, pressure ~0.9,
 * below POLCA's T2 — row A is all high priority), and at 1,500 s a further 10 % (a budget-loss event: its playbook
 * caps every GPU of the row for the event's duration once the row passes 85 %). One seed; docs/RESULTS.md "Workflows".
 */
function run(policy: RunPolicy) {
  const loaded = loadScenario('default');
  loaded.topology.rows[0]!.budgetKW *= 0.875;
  loaded.scenario.events = [{ kind: 'powerBudgetLoss', atS: 1500, durationS: 1500, row: 'A', fraction: 0.1 }];
  const workflows = { workflows: DEFAULT_WORKFLOWS.workflows.map((w) => ({ ...w, scale: w.scale * 6 })) };
  const entries: Array<AuditEntry & { atS: number }> = [];
  let startMs = NaN;
  const audit: AuditSink = { append: (e, simMs) => (entries.push({ ...e, atS: (simMs - startMs) / 1000 }), { ...e, seq: entries.length }) as never };
  let cappedGpuS = 0;
  let firstCapS = Infinity;
  const { report } = runLoaded(loaded, {
    seed: 1,
    durationS: 3000,
    policy,
    audit,
    workflows,
    onTick: (engine, control) => {
      if (Number.isNaN(startMs)) startMs = engine.nowMs - engine.step;
      const n = control!.rowCappedGpus[0]!;
      cappedGpuS += (n * engine.step) / 1000;
      if (n > 0 && firstCapS === Infinity) firstCapS = (engine.nowMs - startMs) / 1000;
    },
  });
  return { report, entries, cappedGpuS, firstCapS };
}

describe('workflows re-planned before caps (issue 16 item 3)', () => {
  it("row A's workflows go to the planner's next-best plan within the dwell, audited; the caps never need to bite", () => {
    const caps = run('polca');
    const murakkab = run('murakkab');
    // Caps alone: once the second loss takes the row past 85 %, every GPU of row A is capped for the rest of the event.
    expect(caps.firstCapS).toBeGreaterThanOrEqual(1500);
    expect(caps.cappedGpuS).toBeGreaterThan(100_000);
    expect(caps.entries.filter((e) => e.kind === 'lever')).toEqual([]);
    // Murakkab: re-planned 20 s into the pressure, long before any cap; landed (20 min) before the second loss.
    const levers = murakkab.entries.filter((e) => e.kind === 'lever');
    expect(levers.length).toBeGreaterThanOrEqual(1);
    const first = levers[0]!;
    expect(first.target).toBe('row A');
    expect(first.actor).toBe('system');
    expect(first.atS).toBeLessThan(60);
    expect(first.atS).toBeLessThan(murakkab.firstCapS);
    expect(first.reason).toMatch(/^Murakkab re-plan of chat-assist, code-review, meeting-notes, doc-qa: pressure 0\.\d\d ≥ 0\.5 for 20 s \(row at 7\d % of its budget/);
    expect(first.reason).toMatch(/next-best plan instead of caps — \d+(\.\d)? kW freed/);
    expect(first.reason).toMatch(/chat-assist \d+\.\d % within its target \(tier 95 %\)/);
    expect(first.oldValue).toMatch(/^chat-assist: answer \d+ × llama-3\.1-8b/);
    expect(first.newValue).toMatch(/in effect in 1200 s/);
    // Every SLO named is kept (attainment at or above its tier).
    for (const m of first.reason.matchAll(/(\d+\.\d) % within its target \(tier (\d+) %\)/g)) expect(Number(m[1])).toBeGreaterThanOrEqual(Number(m[2]));
    // Fewer GPU-seconds capped than with caps alone (here none), and no brake either way.
    expect(murakkab.cappedGpuS).toBeLessThan(caps.cappedGpuS / 10);
    expect(murakkab.report.rows[0]!.peakPct).toBeLessThan(caps.report.rows[0]!.peakPct);
    expect([...caps.report.rows, ...murakkab.report.rows].every((r) => r.brakes === 0)).toBe(true);
  }, 120_000);
});
