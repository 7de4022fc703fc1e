/**
 * Strict, all-or-nothing parser for the Prometheus text exposition format 0.0.4.
 *
 * Accepts `# HELP name doc`, `# TYPE name counter|gauge|histogram|summary|untyped`, other `#` comments, blank
 * lines, and samples `name{label="value",...} value [timestamp_ms]`. Label values understand the escapes `\\`, `\"`
 * and `\n` (any other escape is an error, as in Prometheus' own expfmt parser). Values may be `NaN`, `+Inf`, `-Inf`
 * (and `Inf`); they are returned as-is — judging them is the caller's job.
 *
 * Limits mirror Prometheus' scrape limits: `body_size_limit` (maxBytes, UTF-8), `sample_limit` (maxSamples),
 * `label_limit` (maxLabelsPerSample), `label_value_length_limit` (maxLabelValueLength) and
 * `label_name_length_limit` (maxNameLength, also applied to metric names). Exceeding any limit rejects the whole body,
 * like Prometheus does. Memory stays bounded: the body is checked against maxBytes before anything is allocated and
 * label values are abandoned as soon as they pass their limit.
 *
 * Pure: takes a string, returns data, never throws (a final catch turns any unexpected exception into an error).
 * A trailing `\r` on a line is tolerated (CRLF bodies); everything else is strict.
 */
import { z } from 'zod';

export interface PromSample {
  name: string;
  /** Null-prototype record: a label called `__proto__` is just a label. */
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
  /** 1-based line number in the body. */
  line: number;
}

export type PromMetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromError {
  /** 1-based line of the fault; 0 when the fault concerns the whole body (size). */
  line: number;
  message: string;
}

export type PromParseResult =
  | { ok: true; samples: PromSample[]; types: Record<string, PromMetricType>; help: Record<string, string> }
  | { ok: false; error: PromError };

const optionsSchema = z.object({
  maxBytes: z.number().int().positive().default(10 * 1024 * 1024),
  maxSamples: z.number().int().positive().default(50_000),
  maxLabelsPerSample: z.number().int().nonnegative().default(64),
  maxLabelValueLength: z.number().int().nonnegative().default(2048),
  maxNameLength: z.number().int().positive().default(256),
});

export type PromParseOptions = z.input<typeof optionsSchema>;
export const DEFAULT_PROM_LIMITS: Readonly<z.output<typeof optionsSchema>> = Object.freeze(optionsSchema.parse({}));

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT = /^-?\d+$/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** UTF-8 length of s, giving up (returning limit + 1) once it passes limit. */
function utf8LengthUpTo(s: string, limit: number): number {
  if (s.length > limit) return limit + 1; // every UTF-16 unit is at least one UTF-8 byte
  if (s.length * 3 <= limit) return s.length; // cannot exceed
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
    if (n > limit) return limit + 1;
  }
  return n;
}

/** Parse a sample value as Prometheus does (Go ParseFloat subset). Returns undefined when malformed. */
export function parsePromValue(tok: string): number | undefined {
  switch (tok.toLowerCase()) {
    case 'nan':
      return NaN;
    case '+inf':
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
  }
  if (!FLOAT.test(tok)) return undefined;
  return Number(tok);
}

class Fail extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

export function parsePrometheusText(body: string, options: PromParseOptions = {}): PromParseResult {
  try {
    const parsedOpts = optionsSchema.safeParse(options);
    if (!parsedOpts.success) return { ok: false, error: { line: 0, message: `bad options: ${parsedOpts.error.issues[0]?.message ?? 'invalid'}` } };
    const o = parsedOpts.data;
    if (typeof body !== 'string') return { ok: false, error: { line: 0, message: 'body is not a string' } };
    const bytes = utf8LengthUpTo(body, o.maxBytes);
    if (bytes > o.maxBytes) return { ok: false, error: { line: 0, message: `body exceeds ${o.maxBytes} bytes (body_size_limit)` } };

    const samples: PromSample[] = [];
    const types: Record<string, PromMetricType> = Object.create(null);
    const help: Record<string, string> = Object.create(null);
    const seenSampleFamilies = new Set<string>();

    let lineNo = 0;
    let start = 0;
    while (start <= body.length) {
      let end = body.indexOf('\n', start);
      if (end === -1) end = body.length;
      lineNo++;
      let line = body.slice(start, end);
      start = end + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length === 0) {
        if (end === body.length) break;
        continue;
      }
      if (line[0] === '#') {
        parseComment(line, lineNo, o, types, help, seenSampleFamilies);
      } else {
        if (samples.length >= o.maxSamples) throw new Fail(lineNo, `more than ${o.maxSamples} samples (sample_limit)`);
        const s = parseSample(line, lineNo, o);
        samples.push(s);
        seenSampleFamilies.add(familyOf(s.name, types));
      }
      if (end === body.length) break;
    }
    return { ok: true, samples, types, help };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: { line: e.at, message: e.message } };
    return { ok: false, error: { line: 0, message: `internal parser error: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

/** The metric family a sample belongs to (histogram/summary suffixes fold into their declared family). */
function familyOf(name: string, types: Record<string, PromMetricType>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types[base];
      if (t === 'histogram' || t === 'summary') return base;
    }
  }
  return name;
}

function parseComment(
  line: string,
  lineNo: number,
  o: z.output<typeof optionsSchema>,
  types: Record<string, PromMetricType>,
  help: Record<string, string>,
  seen: Set<string>,
): void {
  const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) {
    // `# HELP`/`# TYPE` with nothing after them is malformed; anything else is a plain comment.
    if (/^#[ \t]+(HELP|TYPE)[ \t]*$/.test(line)) throw new Fail(lineNo, `${line.trim()} without a metric name`);
    return;
  }
  const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
  if (name.length > o.maxNameLength) throw new Fail(lineNo, `metric name longer than ${o.maxNameLength}`);
  if (!METRIC_NAME.test(name)) throw new Fail(lineNo, `invalid metric name in ${kind}: ${JSON.stringify(name.slice(0, 64))}`);
  if (kind === 'HELP') {
    if (name in help) throw new Fail(lineNo, `second HELP line for ${name}`);
    const doc = rest ?? '';
    if (doc.length > o.maxLabelValueLength) throw new Fail(lineNo, `HELP text longer than ${o.maxLabelValueLength}`);
    help[name] = unescapeHelp(doc);
    return;
  }
  const t = (rest ?? '').trim();
  if (!TYPES.has(t)) throw new Fail(lineNo, `unknown metric type ${JSON.stringify(t.slice(0, 32))} for ${name}`);
  if (name in types) throw new Fail(lineNo, `second TYPE line for ${name}`);
  if (seen.has(name)) throw new Fail(lineNo, `TYPE line for ${name} after its samples`);
  types[name] = t as PromMetricType;
}

function parseSample(line: string, lineNo: number, o: z.output<typeof optionsSchema>): PromSample {
  let i = 0;
  const n = line.length;
  // metric name
  while (i < n && line[i] !== '{' && !isBlank(line[i])) i++;
  const name = line.slice(0, i);
  if (name.length === 0) throw new Fail(lineNo, 'sample without a metric name');
  if (name.length > o.maxNameLength) throw new Fail(lineNo, `metric name longer than ${o.maxNameLength}`);
  if (!METRIC_NAME.test(name)) throw new Fail(lineNo, `invalid metric name ${JSON.stringify(name.slice(0, 64))}`);
  const labels: Record<string, string> = Object.create(null);
  let labelCount = 0;
  let j = i;
  while (j < n && isBlank(line[j])) j++;
  if (line[j] === '{') {
    i = j + 1;
    for (;;) {
      while (i < n && isBlank(line[i])) i++;
      if (i >= n) throw new Fail(lineNo, 'unterminated label set');
      if (line[i] === '}') {
        i++;
        break;
      }
      const ls = i;
      while (i < n && /[a-zA-Z0-9_]/.test(line[i]!)) {
        i++;
        if (i - ls > o.maxNameLength) throw new Fail(lineNo, `label name longer than ${o.maxNameLength}`);
      }
      const lname = line.slice(ls, i);
      if (!LABEL_NAME.test(lname)) throw new Fail(lineNo, `invalid label name at column ${ls + 1}`);
      while (i < n && isBlank(line[i])) i++;
      if (line[i] !== '=') throw new Fail(lineNo, `expected '=' after label ${lname}`);
      i++;
      while (i < n && isBlank(line[i])) i++;
      if (line[i] !== '"') throw new Fail(lineNo, `expected '"' to open the value of label ${lname}`);
      i++;
      let value = '';
      let closed = false;
      while (i < n) {
        const c = line[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\') {
          const e = line[i + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new Fail(lineNo, `invalid escape sequence in value of label ${lname}`);
          i += 2;
        } else {
          // copy a run of plain characters at once
          let j = i + 1;
          while (j < n && line[j] !== '"' && line[j] !== '\\') j++;
          value += line.slice(i, j);
          i = j;
        }
        if (value.length > o.maxLabelValueLength) throw new Fail(lineNo, `value of label ${lname} longer than ${o.maxLabelValueLength} (label_value_length_limit)`);
      }
      if (!closed) throw new Fail(lineNo, `unterminated value of label ${lname}`);
      if (Object.prototype.hasOwnProperty.call(labels, lname)) throw new Fail(lineNo, `duplicate label ${lname}`);
      if (++labelCount > o.maxLabelsPerSample) throw new Fail(lineNo, `more than ${o.maxLabelsPerSample} labels (label_limit)`);
      labels[lname] = value;
      while (i < n && isBlank(line[i])) i++;
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      throw new Fail(lineNo, `expected ',' or '}' after label ${lname}`);
    }
  }
  // value [timestamp]
  const rest = line.slice(i);
  if (rest.length > 0 && !isBlank(rest[0])) throw new Fail(lineNo, 'expected whitespace before the sample value');
  const toks = rest.split(/[ \t]+/).filter((t) => t.length > 0);
  if (toks.length === 0) throw new Fail(lineNo, `sample ${name} has no value`);
  if (toks.length > 2) throw new Fail(lineNo, `unexpected text after the timestamp of ${name}`);
  const value = parsePromValue(toks[0]!);
  if (value === undefined) throw new Fail(lineNo, `invalid sample value ${JSON.stringify(toks[0]!.slice(0, 32))}`);
  const sample: PromSample = { name, labels, value, line: lineNo };
  if (toks.length === 2) {
    const ts = toks[1]!;
    if (!INT.test(ts) || ts.length > 16) throw new Fail(lineNo, `invalid timestamp ${JSON.stringify(ts.slice(0, 32))}`);
    sample.timestampMs = Number(ts);
  }
  return sample;
}
