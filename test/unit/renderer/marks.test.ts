import { describe, expect, it } from 'vitest';
import { drawGpuMark, drawRackMark, hatch, selectionOutline, type Ctx } from '../../../renderer/charts/marks.js';
import { Mark, type RackMark } from '../../../renderer/model/control.js';

/** Records what a mark draws: enough to tell shapes apart without a canvas. */
function recorder() {
  const calls: string[] = [];
  const dashes: number[][] = [];
  const ctx: Ctx = {
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    font: '',
    textAlign: 'start',
    textBaseline: 'alphabetic',
    globalAlpha: 1,
    save: () => calls.push('save'),
    restore: () => calls.push('restore'),
    beginPath: () => calls.push('beginPath'),
    closePath: () => calls.push('closePath'),
    moveTo: () => calls.push('moveTo'),
    lineTo: () => calls.push('lineTo'),
    rect: () => calls.push('rect'),
    arc: () => calls.push('arc'),
    clip: () => calls.push('clip'),
    fill: () => calls.push('fill'),
    stroke: () => calls.push('stroke'),
    fillRect: () => calls.push('fillRect'),
    strokeRect: () => calls.push('strokeRect'),
    fillText: (t: string) => calls.push(`text:${t}`),
    measureText: (t: string) => ({ width: t.length * 6 }),
    setLineDash: (d: number[]) => dashes.push(d),
  };
  return { ctx, calls, dashes };
}

const mark = (m: Partial<RackMark>): RackMark => ({ mark: Mark.manualCap, tag: 'cap 450 W', counts: { brake: 0, emergency: 0, manual: 8, auto: 0, exempt: 0 }, gpus: 8, ...m });

describe('control and selection marks', () => {
  it('hatches inside a clip so the stripes stay in the cell', () => {
    const r = recorder();
    hatch(r.ctx, 0, 0, 40, 20);
    expect(r.calls.slice(0, 4)).toEqual(['save', 'beginPath', 'rect', 'clip']);
    expect(r.calls.filter((c) => c === 'moveTo').length).toBeGreaterThan(4);
    expect(r.calls.at(-1)).toBe('restore');
  });

  it('draws a corner for manual holds and writes the tag only when there is room', () => {
    const r = recorder();
    drawRackMark(r.ctx, 0, 0, 90, 100, mark({}), '600 10px sans-serif');
    expect(r.calls).toContain('closePath');
    expect(r.calls).toContain('text:cap 450 W');
    const small = recorder();
    drawRackMark(small.ctx, 0, 0, 30, 30, mark({}), null);
    expect(small.calls.some((c) => c.startsWith('text:'))).toBe(false);
  });

  it('uses a bar for automation and a ring for exempt', () => {
    const auto = recorder();
    drawRackMark(auto.ctx, 0, 0, 90, 100, mark({ mark: Mark.auto, tag: 'auto cap', counts: { brake: 0, emergency: 0, manual: 0, auto: 3, exempt: 0 } }), null);
    expect(auto.calls).toEqual(['fillRect']);
    const ex = recorder();
    drawRackMark(ex.ctx, 0, 0, 90, 100, mark({ mark: Mark.exempt, tag: 'exempt', counts: { brake: 0, emergency: 0, manual: 0, auto: 0, exempt: 8 } }), null);
    expect(ex.calls).toContain('arc');
  });

  it('outlines the selection solid, or dashed when only part of the rack is selected', () => {
    const full = recorder();
    selectionOutline(full.ctx, 0, 0, 50, 50, false);
    expect(full.dashes.at(-1)).toEqual([]);
    const part = recorder();
    selectionOutline(part.ctx, 0, 0, 50, 50, true);
    expect(part.dashes.at(-1)!.length).toBeGreaterThan(0);
    expect(part.calls.filter((c) => c === 'strokeRect')).toHaveLength(2);
  });

  it('marks single GPUs with distinct shapes', () => {
    const shapes = [Mark.brake, Mark.emergency, Mark.manualCap, Mark.auto, Mark.exempt].map((m) => {
      const r = recorder();
      drawGpuMark(r.ctx, 0, 0, 12, m);
      return r.calls.join(',');
    });
    expect(new Set(shapes).size).toBe(5);
    const none = recorder();
    drawGpuMark(none.ctx, 0, 0, 12, Mark.none);
    expect(none.calls).toEqual([]);
  });
});
