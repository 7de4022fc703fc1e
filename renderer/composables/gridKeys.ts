/**
 * Keyboard on a grid of selectable cells (racks on the floor, every GPU's pixel, a rack's GPUs), written once:
 * arrows move the cursor, Shift+arrow extends the selection from it, Space toggles the cursor's cell (Shift: a range),
 * Enter opens it where the grid opens things. Cells are numbers in the grid's own terms; the grid's shape says where
 * an arrow leads. `gridCommand` and the shapes are pure; `useGridKeys` applies a command to the grid.
 */
import type { PickMode } from '../model/selection.js';

export type MoveKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

/**
 * Where `key` moves the cursor from `cell` (-1: no cursor yet): the cell reached, the same cell at an edge, or null
 * when the grid does not use the key.
 */
export type GridShape = (cell: number, key: MoveKey) => number | null;

/** What a key does on a grid; null: nothing (the key is not the grid's, the browser keeps it). */
export type GridCommand =
  | { kind: 'open'; cell: number }
  | { kind: 'select'; cell: number; mode: 'toggle' | 'range' }
  | { kind: 'move'; from: number; to: number; extend: boolean }
  | { kind: 'none' };

const MOVE_KEYS: ReadonlySet<string> = new Set<MoveKey>(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);

/** The command for `key` (with Shift or not) on a grid whose cursor is on `cursor` (-1: none). */
export function gridCommand(key: string, shift: boolean, cursor: number, shape: GridShape, opens: boolean): GridCommand | null {
  if (key === 'Enter') return opens && cursor >= 0 ? { kind: 'open', cell: cursor } : null;
  if (key === ' ') return cursor >= 0 ? { kind: 'select', cell: cursor, mode: shift ? 'range' : 'toggle' } : { kind: 'none' };
  if (!MOVE_KEYS.has(key)) return null;
  const to = shape(cursor, key as MoveKey);
  if (to === null) return null;
  return { kind: 'move', from: cursor, to, extend: shift && to !== cursor };
}

/**
 * Cells numbered row after row, each row's cells contiguous from `start`, each row shown in lines of `perLine`
 * (a long row wraps into bands). Left and right stay within the row; up and down go line by line and on into the
 * neighbouring row at the same position; Home and End (when `homeEnd`) go to the row's ends.
 */
export function wrappedRows(rows: ReadonlyArray<{ start: number; count: number }>, perLine: number, homeEnd = true): GridShape {
  const n = Math.max(1, perLine);
  return (cell, key) => {
    const ri = rows.findIndex((r) => cell >= r.start && cell < r.start + r.count);
    if (ri < 0) return null;
    const row = rows[ri]!;
    const pos = cell - row.start;
    const last = row.start + row.count - 1;
    switch (key) {
      case 'ArrowRight':
        return Math.min(last, cell + 1);
      case 'ArrowLeft':
        return Math.max(row.start, cell - 1);
      case 'ArrowDown': {
        if (pos + n < row.count) return cell + n;
        const other = rows[ri + 1];
        return other ? other.start + Math.min(pos % n, other.count - 1) : cell;
      }
      case 'ArrowUp': {
        if (pos - n >= 0) return cell - n;
        const other = rows[ri - 1];
        return other ? other.start + Math.min(Math.floor((other.count - 1) / n) * n + (pos % n), other.count - 1) : cell;
      }
      case 'Home':
        return homeEnd ? row.start : null;
      case 'End':
        return homeEnd ? last : null;
    }
  };
}

const STEP: Partial<Record<MoveKey, [number, number]>> = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };

/**
 * Cells drawn as pixels of a `width` × `height` picture with gaps (`cellAt[pixel]` < 0, `pixelOf[cell]` < 0 when not
 * drawn). Arrows walk the picture and skip gaps, staying put at its edge; without a cursor they start at cell 0.
 * Home and End are not used.
 */
export function pixelGrid(width: number, height: number, cellAt: ArrayLike<number>, pixelOf: ArrayLike<number>): GridShape {
  return (cell, key) => {
    const d = STEP[key];
    if (!d) return null;
    const start = cell >= 0 ? pixelOf[cell]! : -1;
    if (start < 0) return 0;
    let x = start % width;
    let y = Math.floor(start / width);
    for (;;) {
      x += d[0];
      y += d[1];
      if (x < 0 || y < 0 || x >= width || y >= height) return cell;
      const c = cellAt[y * width + x]!;
      if (c >= 0) return c;
    }
  };
}

export interface GridKeys {
  /** The cursor's cell, -1 when none. */
  cursor(): number;
  /** The grid's shape now; null while it is not laid out (keys are then ignored). */
  shape(): GridShape | null;
  /** Puts the cursor (and the focus, or the tooltip) on `cell`. */
  moveTo(cell: number): void;
  select(cell: number, mode: PickMode): void;
  /** Whether the selection holds this grid's kind of thing; if not, a Shift+arrow starts one at the cursor. */
  selecting(): boolean;
  /** Opens a cell (Enter); grids without it leave Enter alone. */
  open?(cell: number): void;
}

/** The keydown handler for a grid. */
export function useGridKeys(grid: GridKeys): (e: KeyboardEvent) => void {
  return (e) => {
    const shape = grid.shape();
    if (!shape) return;
    const c = gridCommand(e.key, e.shiftKey, grid.cursor(), shape, !!grid.open);
    if (!c) return;
    e.preventDefault();
    if (c.kind === 'open') grid.open!(c.cell);
    else if (c.kind === 'select') grid.select(c.cell, c.mode);
    else if (c.kind === 'move') {
      grid.moveTo(c.to);
      if (!c.extend) return;
      if (c.from >= 0 && !grid.selecting()) grid.select(c.from, 'replace');
      grid.select(c.to, 'range');
    }
  };
}
