import { describe, expect, it } from 'vitest';
import { CH, type Issued } from '../../../../main/core/control/actuation.js';
import { batchAuditEntry, CommandBatches } from '../../../../main/core/control/actuationAudit.js';

const issued = (o: Partial<Issued>): Issued => ({ gpu: 0, ch: CH.lock, value: 1559, prev: 0, tighten: true, source: 1, why: 3, effectAtMs: 40_000, ...o });
const WINDOW = 6000;

describe('actuation audit batches', () => {
  it('commands to one row for the same value and reason are one batch; cap-downs are due at once', () => {
    const b = new CommandBatches();
    for (let g = 0; g < 3; g++) b.add(0, issued({ gpu: g }), 0);
    b.add(1, issued({ gpu: 9 }), 0);
    b.add(0, issued({ gpu: 4, value: 1110 }), 0);
    const due = b.takeDue(0, WINDOW);
    expect(due.map((x) => [x.row, x.value, x.count])).toEqual([
      [0, 1559, 3],
      [1, 1559, 1],
      [0, 1110, 1],
    ]);
    expect(b.size).toBe(0);
    expect(batchAuditEntry(due[0]!, 'D', 'POLCA T2 on row D', 700)).toEqual({
      actor: 'system',
      kind: 'actuation',
      target: 'row D',
      oldValue: 'clock unlocked',
      newValue: '3 GPUs → 1559 MHz (in effect 40 s after issue)',
      reason: 'POLCA T2 on row D',
      outcome: 'ok',
    });
  });

  it('releases gather until the window after the first has passed; differing previous values read "mixed"', () => {
    const b = new CommandBatches();
    const release = (gpu: number, prev: number) => issued({ gpu, ch: CH.limit, value: 700, prev, tighten: false, why: 0, effectAtMs: 0 });
    b.add(2, release(0, 500), 0);
    b.add(2, release(1, 450), 3000);
    expect(b.takeDue(5999, WINDOW)).toEqual([]);
    const [x] = b.takeDue(6000, WINDOW);
    expect(x).toMatchObject({ count: 2, prev: null, firstMs: 0, lastMs: 3000 });
    expect(batchAuditEntry(x!, 'B', '', 700)).toMatchObject({
      oldValue: 'mixed',
      newValue: '2 GPUs → default power limit (700 W) (in effect 0 s after issue; issued over 3 s, staggered)',
      reason: 'release: no contribution asks for it any more',
    });
    b.add(2, release(0, 500), 7000);
    expect(b.takeDue(7000, WINDOW, true)).toHaveLength(1);
  });

  it("times count from the batch's first command wherever it falls; one GPU is singular; a cap-down with no reason gives none", () => {
    const b = new CommandBatches();
    b.add(3, issued({ value: 1200, why: 0, effectAtMs: 50_000 }), 10_000);
    const [cap] = b.takeDue(10_000, WINDOW);
    expect(batchAuditEntry(cap!, 'C', '', 700)).toMatchObject({ newValue: '1 GPU → 1200 MHz (in effect 40 s after issue)', reason: '' });
    const release = (gpu: number, t: number) => issued({ gpu, value: 0, prev: 1200, tighten: false, why: 0, effectAtMs: t + 1000 });
    b.add(3, release(0, 10_000), 10_000);
    b.add(3, release(1, 13_000), 13_000);
    expect(b.takeDue(15_999, WINDOW)).toEqual([]);
    const [x] = b.takeDue(16_000, WINDOW);
    expect(batchAuditEntry(x!, 'C', '', 700).newValue).toBe('2 GPUs → clock unlocked (in effect 1 s after issue; issued over 3 s, staggered)');
  });
});
