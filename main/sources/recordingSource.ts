import type { FrameReader, Source, SourceBatch } from '../core/source.js';

/**
 * A recording played back as a telemetry source: each poll reads the frame stored at the engine's time (the frames
 * decode alone, so seeking is only a change of time). Outside the recorded span, or in a gap, it delivers nothing.
 */
export class RecordingSource implements Source {
  readonly id = 'recording';
  readonly kind = 'replay' as const;
  constructor(private readonly frames: FrameReader) {}

  /** True once the engine's time is at or past the last recorded instant. */
  atEnd(nowMs: number): boolean {
    return nowMs >= this.frames.t1Ms;
  }

  poll(nowMs: number): SourceBatch | null {
    if (nowMs < this.frames.t0Ms || nowMs > this.frames.t1Ms) return null;
    const f = this.frames.frameAt(nowMs);
    if (!f) return null;
    return { tMs: nowMs, ...f, rowBudgetKW: this.frames.budgetsAt(nowMs) };
  }
}
