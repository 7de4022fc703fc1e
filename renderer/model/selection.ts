/**
 * What the operator has selected on the floor or in a rack, and the override target it stands for. Pure.
 *
 * A selection holds one kind of thing (GPUs, servers, racks or rows) by topology index, so the target sent to the
 * engine reads the way the operator picked it ("racks D03, D04", "row D") and the audit trail says the same.
 * Picking a different kind starts a new selection.
 */
import type { Topology } from '../../shared/domain/topology.js';
import type { Target } from '../../shared/domain/control.js';
import { countedNames, gpuName } from '../../shared/naming.js';

export type PickKind = 'gpu' | 'server' | 'rack' | 'row';
/** replace: only this; toggle: add or remove (Ctrl/⌘-click, Space); range: from the anchor to this (Shift-click). */
export type PickMode = 'replace' | 'toggle' | 'range';

export interface Selection {
  kind: PickKind;
  /** Sorted, distinct topology indices. */
  ids: readonly number[];
  /** Last picked index: where a Shift-range starts. */
  anchor: number | null;
}

export const EMPTY_SELECTION: Selection = Object.freeze({ kind: 'rack', ids: Object.freeze([]), anchor: null });

export function isEmpty(sel: Selection): boolean {
  return sel.ids.length === 0;
}

function sorted(ids: Iterable<number>): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** The selection after picking `index` of `kind` with `mode`. */
export function pick(sel: Selection, kind: PickKind, index: number, mode: PickMode): Selection {
  if (mode === 'replace' || sel.kind !== kind || sel.ids.length === 0) {
    return { kind, ids: [index], anchor: index };
  }
  if (mode === 'toggle') {
    const has = sel.ids.includes(index);
    return { kind, ids: has ? sel.ids.filter((i) => i !== index) : sorted([...sel.ids, index]), anchor: index };
  }
  const from = sel.anchor ?? index;
  const lo = Math.min(from, index);
  const hi = Math.max(from, index);
  const range = Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
  return { kind, ids: sorted([...sel.ids, ...range]), anchor: sel.anchor ?? index };
}

/** Adds several items at once (a whole server's GPUs, say), keeping the kind. */
export function pickMany(sel: Selection, kind: PickKind, indices: readonly number[], mode: 'replace' | 'add'): Selection {
  if (mode === 'replace' || sel.kind !== kind) return { kind, ids: sorted(indices), anchor: indices[indices.length - 1] ?? null };
  return { kind, ids: sorted([...sel.ids, ...indices]), anchor: indices[indices.length - 1] ?? sel.anchor };
}

export function isPicked(sel: Selection, kind: PickKind, index: number): boolean {
  return sel.kind === kind && sel.ids.includes(index);
}

/** GPU index ranges [start, end) covered by each selected item. */
function gpuRanges(t: Topology, sel: Selection): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const i of sel.ids) {
    if (sel.kind === 'gpu') {
      if (i >= 0 && i < t.gpuCount) out.push([i, i + 1]);
    } else if (sel.kind === 'server') {
      const s = t.servers[i];
      if (s) out.push([s.gpuStart, s.gpuStart + s.gpuCount]);
    } else if (sel.kind === 'rack') {
      const r = t.racks[i];
      if (!r || r.serverCount === 0) continue;
      const first = t.servers[r.serverStart]!;
      const last = t.servers[r.serverStart + r.serverCount - 1]!;
      out.push([first.gpuStart, last.gpuStart + last.gpuCount]);
    } else {
      const row = t.rows[i];
      if (!row || row.rackCount === 0) continue;
      const r0 = t.racks[row.rackStart]!;
      const r1 = t.racks[row.rackStart + row.rackCount - 1]!;
      if (r0.serverCount === 0 || r1.serverCount === 0) continue;
      const last = t.servers[r1.serverStart + r1.serverCount - 1]!;
      out.push([t.servers[r0.serverStart]!.gpuStart, last.gpuStart + last.gpuCount]);
    }
  }
  return out;
}

/** 1 for every selected GPU. */
export function selectedGpuMask(t: Topology, sel: Selection): Uint8Array {
  const mask = new Uint8Array(t.gpuCount);
  for (const [a, b] of gpuRanges(t, sel)) mask.fill(1, a, b);
  return mask;
}

export function selectedGpuCount(t: Topology, sel: Selection): number {
  let n = 0;
  const mask = selectedGpuMask(t, sel);
  for (let i = 0; i < mask.length; i++) n += mask[i]!;
  return n;
}

/** Per rack: 0 nothing selected, 1 some of its GPUs, 2 all of them. */
export function rackCoverage(t: Topology, mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(t.racks.length);
  t.racks.forEach((r, ri) => {
    let total = 0;
    let on = 0;
    for (let s = r.serverStart; s < r.serverStart + r.serverCount; s++) {
      const srv = t.servers[s]!;
      for (let g = srv.gpuStart; g < srv.gpuStart + srv.gpuCount; g++) {
        total++;
        on += mask[g] ?? 0;
      }
    }
    out[ri] = on === 0 ? 0 : on === total ? 2 : 1;
  });
  return out;
}

/** The override target for the selection, or null when nothing is selected. Several rows become their racks. */
export function selectionTarget(t: Topology, sel: Selection): Target | null {
  if (sel.ids.length === 0) return null;
  switch (sel.kind) {
    case 'gpu':
      return { kind: 'gpus', ids: [...sel.ids] };
    case 'server':
      return { kind: 'servers', ids: sel.ids.map((i) => t.servers[i]!.id) };
    case 'rack':
      return { kind: 'racks', ids: sel.ids.map((i) => t.racks[i]!.id) };
    case 'row': {
      if (sel.ids.length === 1) return { kind: 'row', id: t.rows[sel.ids[0]!]!.id };
      const racks: string[] = [];
      for (const ri of sel.ids) {
        const row = t.rows[ri]!;
        for (let k = 0; k < row.rackCount; k++) racks.push(t.racks[row.rackStart + k]!.id);
      }
      return { kind: 'racks', ids: racks };
    }
  }
}

const NOUN: Record<PickKind, [string, string]> = { gpu: ['GPU', 'GPUs'], server: ['server', 'servers'], rack: ['rack', 'racks'], row: ['row', 'rows'] };

/** "rack D03", "3 racks: D01, D02, D03", "row D", "12 GPUs: A01-S1-G1, …". At most `maxNames` names. */
export function selectionLabel(t: Topology, sel: Selection, maxNames = 4): string {
  if (sel.ids.length === 0) return 'nothing selected';
  const name = (i: number): string => {
    switch (sel.kind) {
      case 'gpu':
        return gpuName(t, i);
      case 'server':
        return t.servers[i]?.id ?? '?';
      case 'rack':
        return t.racks[i]?.id ?? '?';
      case 'row':
        return t.rows[i]?.id ?? '?';
    }
  };
  const [one, many] = NOUN[sel.kind];
  return countedNames(one, many, sel.ids, name, maxNames);
}
