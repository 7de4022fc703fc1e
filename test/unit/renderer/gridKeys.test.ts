import { describe, expect, it } from 'vitest';
import { gridCommand, pixelGrid, useGridKeys, wrappedRows, type GridShape } from '../../../renderer/composables/gridKeys.js';

describe('grid keys: commands', () => {
  const line: GridShape = wrappedRows([{ start: 0, count: 10 }], 10);

  it('Enter opens the cursor cell where the grid opens things; Space toggles it, Shift+Space a range', () => {
    expect(gridCommand('Enter', false, 3, line, true)).toEqual({ kind: 'open', cell: 3 });
    expect(gridCommand('Enter', false, 3, line, false)).toBeNull();
    expect(gridCommand('Enter', false, -1, line, true)).toBeNull();
    expect(gridCommand(' ', false, 3, line, false)).toEqual({ kind: 'select', cell: 3, mode: 'toggle' });
    expect(gridCommand(' ', true, 3, line, false)).toEqual({ kind: 'select', cell: 3, mode: 'range' });
    expect(gridCommand(' ', false, -1, line, false)).toEqual({ kind: 'none' });
  });

  it('arrows move, Shift+arrows extend only when the cursor moved; other keys are left to the browser', () => {
    expect(gridCommand('ArrowRight', false, 3, line, false)).toEqual({ kind: 'move', from: 3, to: 4, extend: false });
    expect(gridCommand('ArrowRight', true, 3, line, false)).toEqual({ kind: 'move', from: 3, to: 4, extend: true });
    expect(gridCommand('ArrowRight', true, 9, line, false)).toEqual({ kind: 'move', from: 9, to: 9, extend: false });
    expect(gridCommand('a', false, 3, line, false)).toBeNull();
    expect(gridCommand('Home', false, 3, wrappedRows([{ start: 0, count: 10 }], 10, false), false)).toBeNull();
  });
});

describe('grid keys: rows wrapped into lines', () => {
  // Row A: cells 0–9 in lines of 4 (0–3, 4–7, 8–9); row B: cells 10–14 (10–13, 14).
  const shape = wrappedRows(
    [
      { start: 0, count: 10 },
      { start: 10, count: 5 },
    ],
    4,
  );

  it('left and right stay within the row', () => {
    expect(shape(3, 'ArrowRight')).toBe(4);
    expect(shape(9, 'ArrowRight')).toBe(9);
    expect(shape(10, 'ArrowLeft')).toBe(10);
    expect(shape(5, 'ArrowLeft')).toBe(4);
  });

  it('up and down go line by line, then into the next row at the same position', () => {
    expect(shape(1, 'ArrowDown')).toBe(5);
    expect(shape(5, 'ArrowDown')).toBe(9);
    expect(shape(7, 'ArrowDown')).toBe(13);
    expect(shape(9, 'ArrowDown')).toBe(11);
    expect(shape(14, 'ArrowDown')).toBe(14);
    expect(shape(12, 'ArrowUp')).toBe(8 + 1);
    expect(shape(10, 'ArrowUp')).toBe(8);
    expect(shape(11, 'ArrowUp')).toBe(9);
    expect(shape(2, 'ArrowUp')).toBe(2);
  });

  it('Home and End go to the row ends; cells outside the rows go nowhere', () => {
    expect(shape(6, 'Home')).toBe(0);
    expect(shape(6, 'End')).toBe(9);
    expect(shape(12, 'End')).toBe(14);
    expect(shape(15, 'ArrowLeft')).toBeNull();
  });
});

describe('grid keys: pixels with gaps', () => {
  // 4 × 2 picture: cells 0 1 _ 2 / 3 _ _ 4
  const cellAt = [0, 1, -1, 2, 3, -1, -1, 4];
  const pixelOf = [0, 1, 3, 4, 7, -1];
  const shape = pixelGrid(4, 2, cellAt, pixelOf);

  it('walks the picture skipping gaps and stays put at its edge', () => {
    expect(shape(1, 'ArrowRight')).toBe(2);
    expect(shape(2, 'ArrowRight')).toBe(2);
    expect(shape(3, 'ArrowRight')).toBe(4);
    expect(shape(0, 'ArrowDown')).toBe(3);
    expect(shape(1, 'ArrowDown')).toBe(1);
    expect(shape(4, 'ArrowUp')).toBe(2);
  });

  it('starts at cell 0 without a cursor (or from a cell not drawn); leaves Home and End alone', () => {
    expect(shape(-1, 'ArrowLeft')).toBe(0);
    expect(shape(5, 'ArrowUp')).toBe(0);
    expect(shape(2, 'Home')).toBeNull();
  });
});

describe('grid keys: the handler', () => {
  function grid(cursor: number, selecting: boolean) {
    const calls: string[] = [];
    const state = { cursor };
    const onKey = useGridKeys({
      cursor: () => state.cursor,
      shape: () => wrappedRows([{ start: 0, count: 6 }], 3),
      moveTo: (c) => {
        state.cursor = c;
        calls.push(`move ${c}`);
      },
      select: (c, mode) => calls.push(`select ${c} ${mode}`),
      selecting: () => selecting,
      open: (c) => calls.push(`open ${c}`),
    });
    const press = (key: string, shiftKey = false) => {
      let prevented = false;
      onKey({ key, shiftKey, preventDefault: () => void (prevented = true) } as unknown as KeyboardEvent);
      return prevented;
    };
    return { calls, press, state };
  }

  it('Shift+arrow starts a selection at the cursor when none of this kind is held, then extends it', () => {
    const g = grid(1, false);
    expect(g.press('ArrowDown', true)).toBe(true);
    expect(g.calls).toEqual(['move 4', 'select 1 replace', 'select 4 range']);
  });

  it('extends a held selection; moves without Shift; opens and toggles', () => {
    const g = grid(1, true);
    g.press('ArrowRight', true);
    g.press('ArrowRight');
    g.press(' ');
    g.press('Enter');
    expect(g.calls).toEqual(['move 2', 'select 2 range', 'move 3', 'select 3 toggle', 'open 3']);
  });

  it('leaves keys it does not use to the browser', () => {
    const g = grid(1, true);
    expect(g.press('Tab')).toBe(false);
    expect(g.calls).toEqual([]);
  });
});
