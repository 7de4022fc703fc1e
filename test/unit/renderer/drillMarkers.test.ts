/** renderer/stores/power.ts drillMarkers: a library drill's start and end and single drill events become chart lines. */
import { describe, expect, it } from 'vitest';
import { drillMarkers } from '../../../renderer/stores/power.js';

describe('drill markers on the power chart', () => {
  it('start and end of a library drill, a single event, and nothing for other events', () => {
    const ev = (tMs: number, kind: string, subject: string, body: Record<string, unknown>) => ({ tMs, seq: tMs, kind, subject, body });
    expect(
      drillMarkers([
        ev(1000, 'scenario', 'drill cooling-loss-c', { started: 'cooling-loss-c', atS: 300, by: 'ana', reason: 'x', automation: false }),
        ev(2000, 'budget', 'C', { budgetKW: 300 }),
        ev(3000, 'scenario', 'row C', { event: { kind: 'powerBudgetLoss', row: 'C', fraction: 0.3 }, atS: 320, by: 'ana', reason: 'y' }),
        ev(4000, 'scenario', 'drill cooling-loss-c', { ended: 'ended early', by: 'ana' }),
      ]),
    ).toEqual([
      { atMs: 1000, label: 'drill cooling-loss-c starts' },
      { atMs: 3000, label: 'lost feed: row C loses 30 % of its power budget' },
      { atMs: 4000, label: 'drill cooling-loss-c ended early' },
    ]);
  });
});
