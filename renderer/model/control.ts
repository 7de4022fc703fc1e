/**
 * The control picture as operators read it: which GPUs are capped, locked, braked or exempt, and by whom; stage names;
 * readable actions and expiry choices (targets: shared/naming.ts). Pure, no DOM.
 */
import type { ControlSummary, GpuControl, Override, OverrideAction, RowControl, SetpointSource } from '../../shared/domain/control.js';
import type { Topology } from '../../shared/domain/topology.js';
import { fmtMHz, fmtW } from '../charts/format.js';

/**
 * Per-GPU mark on the heatmap, most serious wins: brake > emergency playbook > manual cap/lock > automation cap >
 * exempt > none.
 */
export const Mark = { none: 0, exempt: 1, auto: 2, manualLock: 3, manualCap: 4, emergency: 5, brake: 6 } as const;
export type MarkCode = (typeof Mark)[keyof typeof Mark];

const SOURCE_CODES: readonly SetpointSource[] = ['none', 'auto', 'manual', 'emergency'];
export function sourceOf(code: number | undefined): SetpointSource {
  return SOURCE_CODES[code ?? 0] ?? 'none';
}

/**
 * One mark per GPU from the summary: a row whose stage is "brake" brakes every GPU in it; otherwise the setpoint
 * source says who holds the GPU, and the overrides say what a manual hold is (cap or lock) and which GPUs are exempt.
 * An operator's cap or lock is shown even while automation's stricter cap wins (the rack view says which holds).
 */
export function gpuMarks(t: Topology | null, summary: ControlSummary | null): Uint8Array {
  const gpuCount = t?.gpuCount ?? 0;
  const marks = new Uint8Array(gpuCount);
  if (!summary || !t) return marks;
  const manualKind = new Uint8Array(gpuCount);
  for (const o of summary.overrides) {
    const m = o.action.kind === 'powerCap' ? Mark.manualCap : o.action.kind === 'clockLock' ? Mark.manualLock : Mark.exempt;
    for (const g of o.gpus) if (g >= 0 && g < gpuCount && m > manualKind[g]!) manualKind[g] = m;
  }
  const src = summary.gpuSource;
  for (let g = 0; g < gpuCount; g++) {
    const s = src[g] ?? 0;
    const k = manualKind[g]!;
    if (s === 3) marks[g] = Mark.emergency;
    else if (k === Mark.manualCap || k === Mark.manualLock) marks[g] = k;
    else if (s === 2) marks[g] = Mark.manualCap;
    else if (s === 1) marks[g] = Mark.auto;
    else marks[g] = k === Mark.exempt ? Mark.exempt : Mark.none;
  }
  // Brakes: the summary names braked GPUs per row only as a count. A row at the brake stage is braked whole; a row
  // with braked GPUs (a manual brake, a playbook's brake stage) has them among its emergency-held GPUs: when the
  // count covers them all, they are all braked; otherwise which ones is unknown and they stay "playbook".
  const byId = new Map(summary.rows.map((r) => [r.row, r]));
  t.rows.forEach((row) => {
    const c = byId.get(row.id);
    if (!c || (c.stage !== 'brake' && !(c.brakedGpus > 0)) || row.rackCount === 0) return;
    const r0 = t.racks[row.rackStart]!;
    const r1 = t.racks[row.rackStart + row.rackCount - 1]!;
    if (!r0.serverCount || !r1.serverCount) return;
    const last = t.servers[r1.serverStart + r1.serverCount - 1]!;
    const from = t.servers[r0.serverStart]!.gpuStart;
    const to = last.gpuStart + last.gpuCount;
    if (c.stage === 'brake') return void marks.fill(Mark.brake, from, to);
    let held = 0;
    for (let g = from; g < to; g++) if (marks[g] === Mark.emergency) held++;
    if (c.brakedGpus >= held) for (let g = from; g < to; g++) if (marks[g] === Mark.emergency) marks[g] = Mark.brake;
  });
  return marks;
}

export interface RackMark {
  /** Most serious mark of any of its GPUs. */
  mark: MarkCode;
  /** Short tag drawn in the cell: "BRAKE", "playbook", "cap 450 W", "lock 1200 MHz", "auto cap", "exempt". */
  tag: string;
  /** GPUs of the rack per mark, for the shapes and the accessible name. */
  counts: Record<'brake' | 'emergency' | 'manual' | 'auto' | 'exempt', number>;
  gpus: number;
}

/** Per rack: its most serious mark and a tag naming the manual action when the rack's manual holds agree. */
export function rackMarks(t: Topology, marks: Uint8Array, overrides: readonly Override[]): Array<RackMark | null> {
  const actionOfGpu = new Map<number, OverrideAction>();
  for (const o of overrides) if (o.action.kind !== 'exempt') for (const g of o.gpus) actionOfGpu.set(g, o.action);
  return t.racks.map((r) => {
    const counts = { brake: 0, emergency: 0, manual: 0, auto: 0, exempt: 0 };
    let worst = 0;
    let total = 0;
    const actions = new Set<string>();
    for (let s = r.serverStart; s < r.serverStart + r.serverCount; s++) {
      const srv = t.servers[s]!;
      for (let g = srv.gpuStart; g < srv.gpuStart + srv.gpuCount; g++) {
        total++;
        const m = marks[g] ?? 0;
        if (m > worst) worst = m;
        if (m === Mark.brake) counts.brake++;
        else if (m === Mark.emergency) counts.emergency++;
        else if (m === Mark.manualCap || m === Mark.manualLock) {
          counts.manual++;
          const a = actionOfGpu.get(g);
          actions.add(a ? shortAction(a) : 'manual');
        } else if (m === Mark.auto) counts.auto++;
        else if (m === Mark.exempt) counts.exempt++;
      }
    }
    if (worst === 0) return null;
    // The tag names the most telling thing: a brake, else an operator's action (what people look for), else the rest.
    let tag: string;
    if (worst === Mark.brake) tag = 'BRAKE';
    else if (counts.manual) tag = actions.size === 1 ? [...actions][0]! : `manual ×${actions.size}`;
    else if (counts.emergency) tag = 'playbook';
    else if (counts.auto) tag = 'auto cap';
    else tag = 'exempt';
    return { mark: worst as MarkCode, tag, counts, gpus: total };
  });
}

/** "3 of 32 GPUs braked, 32 manual cap 450 W" for a rack's accessible name. */
export function rackMarkText(m: RackMark | null): string {
  if (!m) return 'no control actions';
  const parts: string[] = [];
  if (m.counts.brake) parts.push(`${m.counts.brake} braked`);
  if (m.counts.emergency) parts.push(`${m.counts.emergency} held by an emergency playbook`);
  if (m.counts.manual) parts.push(`${m.counts.manual} under manual ${m.tag.startsWith('cap') || m.tag.startsWith('lock') ? m.tag : 'overrides'}`);
  if (m.counts.auto) parts.push(`${m.counts.auto} capped by automation`);
  if (m.counts.exempt) parts.push(`${m.counts.exempt} exempt`);
  return `of ${m.gpus} GPUs: ${parts.join(', ')}`;
}

export function shortAction(a: OverrideAction): string {
  switch (a.kind) {
    case 'powerCap':
      return `cap ${fmtW(a.watts)}`;
    case 'clockLock':
      return `lock ${fmtMHz(a.mhz)}`;
    case 'exempt':
      return 'exempt';
  }
}

export function describeAction(a: OverrideAction): string {
  switch (a.kind) {
    case 'powerCap':
      return `power cap ${fmtW(a.watts)} per GPU`;
    case 'clockLock':
      return `clock lock ${fmtMHz(a.mhz)}`;
    case 'exempt':
      return 'exempt from automation';
  }
}

export const STAGE_LABEL: Record<RowControl['stage'], string> = { normal: 'normal', t1: 'T1', t2: 'T2', brake: 'BRAKE' };
/** Whether a row's brake is engaged (the controller's brake stage, or braked GPUs from a manual brake or a playbook). */
/** The row's brake is engaged: by hand (requested: shown at once, before it lands), by the controller, or landed. */
export function rowBraked(c: RowControl | null | undefined): boolean {
  return !!c && (c.manualBrake !== null || c.stage === 'brake' || c.brakedGpus > 0);
}

/** "320 GPUs capped" once landed; "320 GPUs commanded, 96 landed" while caps are on their way (one count, as the audit's). */
export function cappedText(c: RowControl): string {
  const landed = c.cappedGpus;
  const commanded = c.commandedGpus ?? landed;
  return commanded > landed ? `${commanded} GPUs commanded, ${landed} landed` : `${landed} GPUs capped`;
}

export const STAGE_HELP: Record<RowControl['stage'], string> = {
  normal: 'below T1: no automatic caps',
  t1: 'above T1: low-priority GPUs clock-capped',
  t2: 'above T2: all GPUs clock-capped, low priority harder',
  brake: 'power brake engaged: GPUs at minimum power',
};

/** Expiry choices offered for overrides and silences (seconds); 'custom' takes minutes. */
export const EXPIRY_CHOICES: ReadonlyArray<{ id: string; label: string; seconds: number | null }> = [
  { id: '15m', label: '15 min', seconds: 15 * 60 },
  { id: '1h', label: '1 h', seconds: 3600 },
  { id: '4h', label: '4 h', seconds: 4 * 3600 },
  { id: '24h', label: '24 h', seconds: 24 * 3600 },
  { id: 'custom', label: 'custom…', seconds: null },
];

/** Seconds for an expiry choice, or an error the form shows. Contract: 1 minute … 7 days. */
export function expirySeconds(
  choice: string,
  customMinutes: number | string,
  choices: ReadonlyArray<{ id: string; seconds: number | null }> = EXPIRY_CHOICES,
): { ok: true; seconds: number } | { ok: false; error: string } {
  const c = choices.find((x) => x.id === choice);
  if (!c) return { ok: false, error: 'choose when it expires' };
  if (c.seconds !== null) return { ok: true, seconds: c.seconds };
  const m = typeof customMinutes === 'number' ? customMinutes : Number(String(customMinutes).trim());
  if (!Number.isFinite(m) || String(customMinutes).trim() === '') return { ok: false, error: 'enter the expiry in minutes' };
  if (m < 1) return { ok: false, error: 'expiry must be at least 1 min' };
  if (m > 7 * 24 * 60) return { ok: false, error: 'expiry must be at most 7 days (10080 min)' };
  return { ok: true, seconds: Math.round(m * 60) };
}

/** Reason check mirroring the contract's ReasonSchema, so the form can say what is missing before sending. */
export function reasonError(reason: string): string | null {
  const r = reason.trim();
  if (r.length < 3) return 'a reason of at least 3 characters is required';
  if (r.length > 500) return 'the reason is limited to 500 characters';
  return null;
}

export type OverrideKind = OverrideAction['kind'];

/** The action the form describes, or an error naming the field. Ranges are the models' (the engine clamps anyway). */
export function formAction(
  kind: OverrideKind,
  value: string | number,
  range: { minW: number; maxW: number; minMHz: number; maxMHz: number } | null,
): { ok: true; action: OverrideAction } | { ok: false; error: string } {
  if (kind === 'exempt') return { ok: true, action: { kind: 'exempt' } };
  const raw = String(value).trim();
  const v = Number(raw);
  const unit = kind === 'powerCap' ? 'W' : 'MHz';
  if (raw === '' || !Number.isFinite(v)) return { ok: false, error: `enter a ${kind === 'powerCap' ? 'power cap' : 'clock'} in ${unit}` };
  if (v <= 0) return { ok: false, error: `the value must be above 0 ${unit}` };
  if (range) {
    const [lo, hi] = kind === 'powerCap' ? [range.minW, range.maxW] : [range.minMHz, range.maxMHz];
    // Far outside the model's range is almost certainly a typo (kW for W): refuse; near it, the engine clamps.
    if (v > hi * 2 || v < lo / 4) return { ok: false, error: `${v} ${unit} is far outside the GPUs' range ${lo}–${hi} ${unit}` };
  }
  return { ok: true, action: kind === 'powerCap' ? { kind: 'powerCap', watts: v } : { kind: 'clockLock', mhz: v } };
}

/** Power and clock range over the GPU models of the selected GPUs (for hints), or null without GPUs. */
export function modelRange(t: Topology, mask: Uint8Array): { minW: number; maxW: number; minMHz: number; maxMHz: number } | null {
  let r: { minW: number; maxW: number; minMHz: number; maxMHz: number } | null = null;
  const seen = new Set<number>();
  for (const s of t.servers) {
    if (seen.has(s.model)) continue;
    let any = false;
    for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) if (mask[g]) any = true;
    if (!any) continue;
    seen.add(s.model);
    const m = t.models[s.model];
    if (!m) continue;
    r = r
      ? { minW: Math.min(r.minW, m.minLimitW), maxW: Math.max(r.maxW, m.maxLimitW), minMHz: Math.min(r.minMHz, m.minClockMHz), maxMHz: Math.max(r.maxMHz, m.maxClockMHz) }
      : { minW: m.minLimitW, maxW: m.maxLimitW, minMHz: m.minClockMHz, maxMHz: m.maxClockMHz };
  }
  return r;
}

/** Who holds a GPU's setpoint, in words. */
export const SOURCE_LABEL: Record<SetpointSource, string> = { none: 'default', auto: 'automation (POLCA)', manual: 'operator override', emergency: 'emergency' };

/** A setpoint in words: "450 W", "700 W · lock 1200 MHz", "brake". */
export function describeSetpoint(sp: { limitW: number; lockMHz: number; brake: boolean }): string {
  if (sp.brake) return 'brake';
  return sp.lockMHz > 0 ? `${fmtW(sp.limitW)} · lock ${fmtMHz(sp.lockMHz)}` : fmtW(sp.limitW);
}

/** Whether what is requested of a GPU is not (yet) what is in effect. */
export function setpointsDiffer(c: Pick<GpuControl, 'requested' | 'inEffect'>): boolean {
  return Math.round(c.requested.limitW) !== Math.round(c.inEffect.limitW) || c.requested.lockMHz !== c.inEffect.lockMHz || c.requested.brake !== c.inEffect.brake;
}

/** A pending command in a few characters for a GPU cell: "power limit → 450 W" reads "450 W". */
export function pendingShort(what: string): string {
  const i = what.lastIndexOf('→');
  return i >= 0 ? what.slice(i + 1).trim() : what;
}
