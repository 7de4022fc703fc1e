import { z } from 'zod';

/**
 * Reading NetBox's JSON: the REST API's paged answers (`{ count, next, previous, results: [...] }`), several pages in
 * several files or saved one after another in one file, or a plain JSON array (an export). Pure: text in; every
 * problem is one DcimError line naming the file, the object (kind, name, id) and the field.
 */

/** Bad DCIM input: one line naming the file, the object and the field. */
export class DcimError extends Error {
  override readonly name = 'DcimError';
}

/** One file as the CLI read it: the name its messages use, and its text. */
export interface DcimText {
  file: string;
  text: string;
}

/** One object of a NetBox list, with where it came from. */
export interface DcimItem {
  raw: unknown;
  file: string;
  /** Position among the file's results (all its pages). */
  index: number;
}

/** A nested ("brief") NetBox object: `{ id, url, display, name, … }`. */
export const Brief = z.looseObject({ id: z.number().int().optional(), name: z.string().min(1) });
/** A NetBox choice field: `{ value, label }` in the API, a bare value in some exports. */
export const Choice = z.union([z.looseObject({ value: z.string() }), z.string()]);
export const choice = (c: z.infer<typeof Choice> | null | undefined): string | null => (c == null ? null : typeof c === 'string' ? c : c.value);

const lineAt = (text: string, at: number) => text.slice(0, at).split('\n').length;

/** The JSON documents of a text: one, or several written one after another (pages appended to one file). */
function documents(text: string, file: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    // several documents, or a broken one: split at the top level and parse each, so the error names its line
  }
  const docs: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"' && depth > 0) inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === '}' || c === ']') {
      if (--depth < 0) throw new DcimError(`${file}:${lineAt(text, i)}: not JSON (unexpected "${c}")`);
      if (depth === 0) {
        try {
          docs.push(JSON.parse(text.slice(start, i + 1)));
        } catch (e) {
          throw new DcimError(`${file}:${lineAt(text, start)}: not JSON (${(e as Error).message})`);
        }
      }
    } else if (depth === 0 && !/\s/.test(c)) throw new DcimError(`${file}:${lineAt(text, i)}: not JSON (unexpected "${c}" between documents)`);
  }
  if (depth !== 0 || inString) throw new DcimError(`${file}:${lineAt(text, start)}: not JSON (a document is not closed)`);
  if (docs.length === 0) throw new DcimError(`${file}: empty (expected a NetBox list answer or a JSON array)`);
  return docs;
}

const Page = z.object({ count: z.number().int().min(0).optional(), results: z.array(z.unknown()) });

/** How an object is named in messages: `power feed "PF-A01-A" (id 3)`. */
export function labelOf(kind: string, raw: unknown, index: number): string {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const name = typeof o.name === 'string' ? o.name : typeof o.display === 'string' ? o.display : null;
  const id = typeof o.id === 'number' ? o.id : null;
  if (name !== null) return `${kind} "${name}"${id !== null ? ` (id ${id})` : ''}`;
  return id !== null ? `${kind} id ${id}` : `${kind} [${index}]`;
}

/**
 * Every object of one kind from its files, pages joined. A paged answer that is incomplete (fewer results than its
 * `count`) or an object given twice (overlapping pages) is refused: a partial inventory would import as a wrong one.
 */
export function readList(kind: string, option: string, inputs: readonly DcimText[]): DcimItem[] {
  const out: DcimItem[] = [];
  let counted: { count: number; file: string } | null = null;
  for (const { file, text } of inputs) {
    let index = 0;
    // A byte-order mark (some Windows tools write one) is not JSON.
    for (const [k, doc] of documents(text.replace(/^\uFEFF/, ''), file).entries()) {
      let results: unknown[];
      if (Array.isArray(doc)) results = doc;
      else {
        const page = Page.safeParse(doc);
        if (!page.success) throw new DcimError(`${file}: document ${k + 1}: neither a NetBox list answer ({ count, results: [...] }) nor a JSON array of ${kind}`);
        results = page.data.results;
        const count = page.data.count;
        if (count !== undefined) {
          if (counted && counted.count !== count) throw new DcimError(`${file}: document ${k + 1}: count: ${count} ${kind}, but ${counted.file} counts ${counted.count}: pages of different queries`);
          counted = { count, file };
        }
      }
      for (const raw of results) out.push({ raw, file, index: index++ });
    }
  }
  const seen = new Map<number, DcimItem>();
  for (const item of out) {
    const id = (item.raw as { id?: unknown } | null)?.id;
    if (typeof id !== 'number') continue;
    const first = seen.get(id);
    if (first) throw new DcimError(`${item.file}: ${labelOf(kind, item.raw, item.index)}: id: given twice (also ${first.file} [${first.index}]): overlapping pages?`);
    seen.set(id, item);
  }
  const expected = counted?.count;
  if (expected !== undefined && out.length !== expected) {
    const files = inputs.map((i) => i.file).join(', ');
    throw new DcimError(`${files}: ${kind}: ${out.length} of the ${expected} NetBox counted: give every page (${option} page1.json ${option} page2.json …, or the pages appended to one file)`);
  }
  return out;
}

/** Parse one object with its schema; the first problem becomes one line naming the file, the object and the field. */
export function parseItem<S extends z.ZodType>(schema: S, item: DcimItem, label: string): z.output<S> {
  const r = schema.safeParse(item.raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = [...issue.path.map(String), ...keys.slice(0, 1)].join('.') || '(object)';
  throw new DcimError(`${item.file}: ${label}: ${field}: ${issue.message}`);
}

/** A Headroom device id (shared/domain/plant.ts): what a NetBox name must be to become one. */
export const HEADROOM_ID = /^[A-Za-z0-9_.-]{1,64}$/;
