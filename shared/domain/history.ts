/** What the faces read of a run's stored history besides rollups: its events, and one GPU's metrics. */

/** One event of a run's time line, as stored (telemetry.db `events`). */
export interface RunEvent {
  /** Engine time of the tick it was stored with, epoch ms. */
  tMs: number;
  /** Order among events of the run (ties at one tick keep their order). */
  seq: number;
  /** 'budget' | 'stage' | 'playbook' | 'automation' | 'brake' | 'override' | 'scenario' … */
  kind: string;
  /** What it applies to: a row id, an override id, "row C". */
  subject: string;
  /** Its details, e.g. { budgetKW: 285.6 } for a budget. */
  body: Record<string, unknown>;
}

/**
 * The events of the current run in [fromMs, toMs), oldest first, and, per row, the last 'budget' event before
 * fromMs: with it the budget in force at the window's start is known even when it last changed long before.
 */
export interface EventWindow {
  fromMs: number;
  toMs: number;
  events: RunEvent[];
  budgetsBefore: RunEvent[];
  /** More events than one answer carries fell in the window: `events` holds the oldest ones. */
  truncated: boolean;
}

/**
 * One GPU's stored metrics over a window, one point per stored tick (1 Hz). A value that was not valid when stored
 * is null (JSON cannot carry NaN, and IPC and WebSocket must read alike).
 */
export interface GpuHistory {
  gpu: number;
  fromMs: number;
  toMs: number;
  tMs: number[];
  powerW: Array<number | null>;
  limitW: Array<number | null>;
  tempC: Array<number | null>;
  clockMHz: Array<number | null>;
  util: Array<number | null>;
  /** ClockEvent | SampleFlag bits. */
  flags: Array<number | null>;
}

/** A recording saved from the console (Save incident…). */
export interface SavedIncident {
  /** Where it was written (absolute path on the console's machine). */
  file: string;
  name: string;
  bytes: number;
  durationS: number;
  gpus: number;
}

/** A note or bookmark on a recording's timeline (saved into its notes copy; the recording itself is never modified). */
export interface Annotation {
  id: number;
  kind: 'note' | 'bookmark';
  /** Engine time it points at (epoch ms, within the recording). */
  tMs: number;
  text: string;
  author: string;
  /** Wall-clock time it was written. */
  atMs: number;
}

export interface RecordingNotes {
  /** The notes copy they are saved in (null: none yet). */
  copy: string | null;
  items: Annotation[];
}
