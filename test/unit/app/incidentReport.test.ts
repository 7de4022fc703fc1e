import { describe, expect, it } from 'vitest';
import { budgetAt, incidentHtml, rowChart } from '../../../main/app/incidentReport.js';

const row = { id: 'C', tMs: [0, 10_000, 20_000, 30_000], avgKW: [300, null, 310, 290], maxKW: [320, null, 330, 300], budgets: [{ tMs: 0, budgetKW: 408 }, { tMs: 20_000, budgetKW: 306 }] };

describe('HTML incident report (pure)', () => {
  it('the budget in force at an instant is the last one at or before it', () => {
    expect(budgetAt(row.budgets, 0)).toBe(408);
    expect(budgetAt(row.budgets, 19_999)).toBe(408);
    expect(budgetAt(row.budgets, 20_000)).toBe(306);
    expect(budgetAt([], 5)).toBeNull();
  });

  it('draws the budget as a step at its change, and a gap in the data as a gap in the line', () => {
    const svg = rowChart(row, 0, 30_000);
    expect(svg).toMatch(/class="budget"/);
    expect(/d="(M[^"]*)" class="budget"/.exec(svg)?.[1]).toMatch(/^M[\d.]+,[\d.]+H[\d.]+V[\d.]+H[\d.]+$/);
    // Two pen-downs for the average: before and after the missing bucket.
    expect((/d="([^"]*)" class="power"/.exec(svg)?.[1]?.match(/M/g) ?? []).length).toBe(2);
  });

  it('escapes everything it is given (notes, reasons, names), and needs nothing from the network', () => {
    const html = incidentHtml(
      {
        title: 'Incident <b>',
        facts: [['site', 'lab & co']],
        notes: '<script>alert(1)</script>',
        rows: [row],
        events: [{ tMs: 20_000, kind: 'budget', subject: 'C', text: '306 kW' }],
        actions: [{ atMs: 1, simMs: 20_000, actor: 'ana"', role: 'operator', kind: 'brake', target: 'row C', change: '— → on', reason: "it's <hot>", outcome: 'ok' }],
      },
      0,
      30_000,
    );
    expect(html).not.toMatch(/<script/);
    expect(html).toMatch(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    expect(html).toMatch(/it&#39;s &lt;hot&gt;/);
    expect(html).toMatch(/default-src 'none'/);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
