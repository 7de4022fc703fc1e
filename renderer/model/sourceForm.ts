/**
 * The "Add source" form: what the operator typed → a source configuration, checked with the same schema the engine
 * uses (`SourceConfigSchema`), errors per field. Pure. Carries zod: only the lazily loaded Sources view imports it.
 */
import './zodCsp.js';
import { PROMQL_DEFAULTS, SourceConfigSchema, type SourceConfig } from '../../shared/domain/sources.js';

export type SourceKind = SourceConfig['kind'];
export type QueryKey = keyof typeof PROMQL_DEFAULTS;

export const SOURCE_KINDS: ReadonlyArray<{ kind: SourceKind; label: string; hint: string }> = [
  { kind: 'agent', label: 'Host agent', hint: 'headroom agent on a GPU host: readings and control over mutual TLS' },
  { kind: 'dcgm', label: 'dcgm-exporter', hint: 'an NVIDIA dcgm-exporter /metrics endpoint (read only)' },
  { kind: 'prometheus', label: 'Prometheus', hint: 'a Prometheus server holding DCGM metrics (read only)' },
];

export const QUERY_FIELDS: ReadonlyArray<{ key: QueryKey; label: string }> = [
  { key: 'powerW', label: 'Power (W)' },
  { key: 'tempC', label: 'Temperature (°C)' },
  { key: 'smClockMHz', label: 'SM clock (MHz)' },
  { key: 'utilPct', label: 'Utilisation (%)' },
  { key: 'limitW', label: 'Power limit (W)' },
];

/** Defaults shown as placeholders: the schema's. */
export const FORM_DEFAULTS = Object.freeze({ port: 9443, dcgmIntervalS: 10, promIntervalS: 5 });
export { PROMQL_DEFAULTS };

/** Every field as typed (strings: the inputs' values); which ones count depends on `kind`. */
export interface SourceForm {
  kind: SourceKind;
  id: string;
  host: string;
  address: string;
  port: string;
  url: string;
  intervalS: string;
  queries: Record<QueryKey, string>;
}

export function emptyForm(kind: SourceKind = 'agent'): SourceForm {
  return { kind, id: '', host: '', address: '', port: '', url: '', intervalS: '', queries: { ...PROMQL_DEFAULTS } };
}

/** Field → message; keys are the schema's paths ("id", "port", "queries.powerW"). */
export type FieldErrors = Partial<Record<string, string>>;

export type FormCheck = { ok: true; config: SourceConfig } | { ok: false; errors: FieldErrors };

/** Optional numeric field: blank → the schema's default; not a number → an error. */
function num(v: string, field: string, errors: FieldErrors): number | undefined {
  const t = String(v ?? '').trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) {
    errors[field] = 'a number';
    return undefined;
  }
  return n;
}

function text(v: string): string | undefined {
  const t = String(v ?? '').trim();
  return t === '' ? undefined : t;
}

/** The raw object the schema checks (blank optional fields left out so their defaults apply). */
export function formInput(f: SourceForm, errors: FieldErrors = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: f.kind, id: String(f.id ?? '').trim() };
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  if (f.kind === 'agent') {
    out.host = String(f.host ?? '').trim();
    put('address', text(f.address));
    put('port', num(f.port, 'port', errors));
  } else {
    out.url = String(f.url ?? '').trim();
    put('intervalS', num(f.intervalS, 'intervalS', errors));
    if (f.kind === 'dcgm') put('host', text(f.host));
    else {
      // A blank query means the default one.
      const q: Record<string, string> = {};
      for (const { key } of QUERY_FIELDS) q[key] = text(f.queries[key]) ?? PROMQL_DEFAULTS[key];
      out.queries = q;
    }
  }
  return out;
}

/** An example URL per kind (placeholders and error messages). */
export const URL_EXAMPLE: Readonly<Record<Exclude<SourceKind, 'agent'>, string>> = Object.freeze({
  dcgm: 'http://gpu-a01-01:9400/metrics',
  prometheus: 'http://prometheus:9090',
});

/** Plain words for the schema's terse messages. */
function humanize(message: string, kind: SourceKind): string {
  if (/^Invalid URL/i.test(message)) return kind === 'agent' ? 'a URL' : `a URL such as ${URL_EXAMPLE[kind]}`;
  const big = /expected \w+ to be <=?\s*([\d.]+)/.exec(message);
  if (big && /too big/i.test(message)) return `at most ${big[1]}`;
  const small = /expected \w+ to (?:be|have) >=?\s*([\d.]+)/.exec(message);
  if (small && /too small/i.test(message)) return /string/.test(message) ? 'required' : `at least ${small[1]}`;
  if (/expected int/i.test(message)) return 'a whole number';
  return message;
}

export function checkSourceForm(f: SourceForm): FormCheck {
  const errors: FieldErrors = {};
  const input = formInput(f, errors);
  const r = SourceConfigSchema.safeParse(input);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const key = issue.path.map(String).join('.') || 'form';
      errors[key] ??= humanize(issue.message, f.kind);
    }
  }
  // A blank required field reads "required", not the format it should have.
  for (const k of ['id', 'host', 'url'] as const) if (k in input && input[k] === '') errors[k] = 'required';
  if (r.success && Object.keys(errors).length === 0) return { ok: true, config: r.data };
  return { ok: false, errors };
}

/** The form filled from a configuration (to test or copy an existing source). */
export function formOf(c: SourceConfig): SourceForm {
  const f = emptyForm(c.kind);
  f.id = c.id;
  if (c.kind === 'agent') {
    f.host = c.host;
    f.address = c.address ?? '';
    f.port = String(c.port);
  } else {
    f.url = c.url;
    f.intervalS = String(c.intervalS);
    if (c.kind === 'dcgm') f.host = c.host ?? '';
    else f.queries = { ...c.queries };
  }
  return f;
}
