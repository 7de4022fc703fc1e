/**
 * The soak's contract (`npm run soak`, soak/run.ts): each part runs one family of faults against the real code and
 * returns what it measured. soak/run.ts writes every section to soak/results.json and the figures block of
 * docs/RELIABILITY.md. Not part of `npm test` (the test suite runs the same checks at small counts).
 */
export interface SoakOptions {
  /** Small counts, for a quick look (`npm run soak -- --quick`); the full run is what the figures quote. */
  quick: boolean;
  /** Progress, one line at a time (the runner prints it with the part's name). */
  log: (line: string) => void;
}

export interface SoakSection {
  /** Stable key in soak/results.json, e.g. "ingestKills". */
  id: string;
  /** Heading in docs/RELIABILITY.md. */
  title: string;
  /** Whether every guarantee held. */
  pass: boolean;
  /** The measured figures (counts, seconds, rates), as written to soak/results.json. */
  figures: Record<string, number | string | boolean>;
  /** Markdown lines for docs/RELIABILITY.md: what ran, what was measured, against which bound. */
  lines: string[];
  /** Wall time of the part (s). */
  wallS: number;
}

export type SoakPart = (o: SoakOptions) => Promise<SoakSection>;
