import { describe, expect, it } from 'vitest';
import {
  EMPTY_SELECTION,
  isPicked,
  pick,
  pickMany,
  rackCoverage,
  selectedGpuCount,
  selectedGpuMask,
  selectionLabel,
  selectionTarget,
} from '../../../renderer/model/selection.js';
import { makeTopology } from './fixtures.js';

// Rows A (3 racks) and B (2 racks); 2 servers × 4 GPUs per rack: 8 GPUs a rack, 40 GPUs in all.
const t = makeTopology([3, 2]);

describe('selection', () => {
  it('click replaces, Ctrl-click toggles, Shift-click extends from the anchor', () => {
    let s = pick(EMPTY_SELECTION, 'rack', 1, 'replace');
    expect(s.ids).toEqual([1]);
    s = pick(s, 'rack', 3, 'toggle');
    expect(s.ids).toEqual([1, 3]);
    s = pick(s, 'rack', 1, 'toggle');
    expect(s.ids).toEqual([3]);
    // The anchor is the last clicked rack (1), as in file managers.
    s = pick(s, 'rack', 0, 'range');
    expect(s.ids).toEqual([0, 1, 3]);
    s = pick(pick(s, 'rack', 2, 'replace'), 'rack', 4, 'range');
    expect(s.ids).toEqual([2, 3, 4]);
    expect(isPicked(s, 'rack', 3)).toBe(true);
    expect(isPicked(s, 'gpu', 2)).toBe(false);
  });

  it('picking another kind starts a new selection of that kind', () => {
    const s = pick(pick(EMPTY_SELECTION, 'rack', 1, 'replace'), 'gpu', 5, 'toggle');
    expect(s).toMatchObject({ kind: 'gpu', ids: [5] });
    expect(pickMany(s, 'gpu', [9, 7], 'add').ids).toEqual([5, 7, 9]);
    expect(pickMany(s, 'server', [2], 'add')).toMatchObject({ kind: 'server', ids: [2] });
  });

  it('turns into the override target the operator picked', () => {
    expect(selectionTarget(t, EMPTY_SELECTION)).toBeNull();
    expect(selectionTarget(t, pick(EMPTY_SELECTION, 'rack', 2, 'replace'))).toEqual({ kind: 'racks', ids: ['A3'] });
    expect(selectionTarget(t, pick(EMPTY_SELECTION, 'row', 1, 'replace'))).toEqual({ kind: 'row', id: 'B' });
    expect(selectionTarget(t, pickMany(EMPTY_SELECTION, 'server', [0, 1], 'replace'))).toEqual({ kind: 'servers', ids: ['A1-s0', 'A1-s1'] });
    expect(selectionTarget(t, pickMany(EMPTY_SELECTION, 'gpu', [3, 4], 'replace'))).toEqual({ kind: 'gpus', ids: [3, 4] });
    // Several rows: the contract takes one row, so they go as their racks.
    expect(selectionTarget(t, pickMany(EMPTY_SELECTION, 'row', [0, 1], 'replace'))).toEqual({ kind: 'racks', ids: ['A1', 'A2', 'A3', 'B1', 'B2'] });
  });

  it('masks the selected GPUs and tells which racks are fully or partly selected', () => {
    const rows = pick(EMPTY_SELECTION, 'row', 1, 'replace');
    expect(selectedGpuCount(t, rows)).toBe(16);
    const mask = selectedGpuMask(t, rows);
    expect(mask[23]).toBe(0);
    expect(mask[24]).toBe(1);
    expect([...rackCoverage(t, mask)]).toEqual([0, 0, 0, 2, 2]);
    const server = pick(EMPTY_SELECTION, 'server', 1, 'replace');
    expect([...rackCoverage(t, selectedGpuMask(t, server))]).toEqual([1, 0, 0, 0, 0]);
  });

  it('names the selection in words', () => {
    expect(selectionLabel(t, EMPTY_SELECTION)).toBe('nothing selected');
    expect(selectionLabel(t, pick(EMPTY_SELECTION, 'rack', 0, 'replace'))).toBe('rack A1');
    expect(selectionLabel(t, pickMany(EMPTY_SELECTION, 'rack', [0, 1, 2, 3, 4], 'replace'), 3)).toBe('5 racks: A1, A2, A3, …');
    expect(selectionLabel(t, pick(EMPTY_SELECTION, 'gpu', 13, 'replace'))).toBe('GPU A2-s1-G2');
    expect(selectionLabel(t, pickMany(EMPTY_SELECTION, 'gpu', [0, 39], 'replace'))).toBe('2 GPUs: A1-s0-G1, B2-s1-G4');
  });
});
