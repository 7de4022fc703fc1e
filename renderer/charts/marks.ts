/**
 * Control-state and selection marks drawn over heatmap cells: shapes, not colours alone (hatch = braked, top-right
 * corner = emergency playbook, top-left corner = manual override, bar = automation cap, ring = exempt; solid outline =
 * selected, dashed = partly selected).
 * Drawing only through the small `Ctx` surface, so tests can record the calls.
 */
import { Mark, type MarkCode, type RackMark } from '../model/control.js';

export interface Ctx {
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  font: string;
  textAlign: CanvasTextAlign;
  textBaseline: CanvasTextBaseline;
  globalAlpha: number;
  save(): void;
  restore(): void;
  beginPath(): void;
  closePath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  rect(x: number, y: number, w: number, h: number): void;
  arc(x: number, y: number, r: number, a0: number, a1: number): void;
  clip(): void;
  fill(): void;
  stroke(): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number, maxWidth?: number): void;
  measureText(text: string): { width: number };
  setLineDash(segments: number[]): void;
}

export const MARK_INK = '#ffffff';
export const SELECT_INK = '#ffffff';
export const SELECT_HALO = '#0b0f14';

/** Diagonal stripes over a rectangle (braked). `gap` px between stripes. */
export function hatch(ctx: Ctx, x: number, y: number, w: number, h: number, gap = 7, ink = 'rgba(0,0,0,0.55)', width = 2.5): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, w, h);
  ctx.clip();
  ctx.strokeStyle = ink;
  ctx.lineWidth = width;
  ctx.beginPath();
  for (let d = -h; d < w; d += gap) {
    ctx.moveTo(x + d, y + h);
    ctx.lineTo(x + d + h, y);
  }
  ctx.stroke();
  ctx.restore();
}

/** Top-left corner triangle (manual override). */
export function corner(ctx: Ctx, x: number, y: number, size: number, ink = MARK_INK): void {
  ctx.fillStyle = ink;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + size, y);
  ctx.lineTo(x, y + size);
  ctx.closePath();
  ctx.fill();
}

/** Top-right corner triangle (emergency playbook), white over a dark edge. `x` is the cell's right edge. */
export function cornerRight(ctx: Ctx, xRight: number, y: number, size: number, ink = MARK_INK): void {
  ctx.fillStyle = ink;
  ctx.beginPath();
  ctx.moveTo(xRight, y);
  ctx.lineTo(xRight - size, y);
  ctx.lineTo(xRight, y + size);
  ctx.closePath();
  ctx.fill();
  ctx.strokeStyle = 'rgba(0,0,0,0.6)';
  ctx.lineWidth = 1;
  ctx.stroke();
}

/** A small ring (exempt). */
export function ring(ctx: Ctx, cx: number, cy: number, r: number, ink = MARK_INK, width = 1.5): void {
  ctx.strokeStyle = ink;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.stroke();
}

/** Selection outline inside a cell: white over a dark halo so it reads on every heat colour. */
export function selectionOutline(ctx: Ctx, x: number, y: number, w: number, h: number, partial: boolean, width = 3): void {
  ctx.save();
  ctx.lineWidth = width + 2;
  ctx.strokeStyle = SELECT_HALO;
  ctx.setLineDash([]);
  ctx.strokeRect(x + width / 2 + 1, y + width / 2 + 1, w - width - 2, h - width - 2);
  ctx.lineWidth = width;
  ctx.strokeStyle = SELECT_INK;
  ctx.setLineDash(partial ? [6, 4] : []);
  ctx.strokeRect(x + width / 2 + 1, y + width / 2 + 1, w - width - 2, h - width - 2);
  ctx.restore();
}

/**
 * A rack cell's control mark: corner for manual, bottom bar for automation, ring for exempt, and a tag when there is
 * room. The brake's hatch is drawn separately (`hatch`), under the cell's text.
 */
export function drawRackMark(ctx: Ctx, x: number, y: number, w: number, h: number, m: RackMark, tagFont: string | null): void {
  if (m.counts.manual > 0) corner(ctx, x, y, Math.min(14, w / 3, h / 3));
  if (m.counts.emergency > 0) cornerRight(ctx, x + w, y, Math.min(14, w / 3, h / 3));
  if (m.counts.auto > 0) {
    ctx.fillStyle = MARK_INK;
    ctx.fillRect(x + 3, y + h - 4, w - 6, 2);
  }
  if (m.counts.exempt > 0) ring(ctx, x + w - 8, y + 8, 4);
  if (!tagFont) return;
  ctx.font = tagFont;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const tw = Math.min(w - 6, ctx.measureText(m.tag).width + 8);
  const ty = y + h - 13;
  ctx.fillStyle = m.mark === Mark.brake ? '#8c1d22' : 'rgba(8,12,18,0.82)';
  ctx.fillRect(x + w / 2 - tw / 2, ty - 7, tw, 14);
  ctx.fillStyle = '#ffffff';
  ctx.fillText(m.tag, x + w / 2, ty + 0.5, w - 8);
}

/** One GPU's mark in a `s`-pixel cell of the every-GPU picture. */
export function drawGpuMark(ctx: Ctx, x: number, y: number, s: number, mark: MarkCode): void {
  switch (mark) {
    case Mark.brake:
      hatch(ctx, x, y, s, s, Math.max(3, s / 3), 'rgba(0,0,0,0.7)', Math.max(1, s / 6));
      return;
    case Mark.emergency:
      cornerRight(ctx, x + s, y, Math.max(2, Math.ceil(s * 0.45)));
      return;
    case Mark.manualCap:
    case Mark.manualLock:
      corner(ctx, x, y, Math.max(2, Math.ceil(s * 0.55)));
      return;
    case Mark.auto:
      ctx.fillStyle = MARK_INK;
      ctx.fillRect(x + s * 0.15, y + s - Math.max(1, s / 8), s * 0.7, Math.max(1, s / 8));
      return;
    case Mark.exempt:
      if (s >= 6) ring(ctx, x + s / 2, y + s / 2, s / 2 - 1.5, MARK_INK, 1);
      else {
        ctx.fillStyle = MARK_INK;
        ctx.fillRect(x + s / 2 - 0.5, y + s / 2 - 0.5, 1, 1);
      }
      return;
    default:
      return;
  }
}
