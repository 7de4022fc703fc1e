import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { accessSync, closeSync, constants, fsyncSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { GENESIS_HASH } from './audit.js';
import { StoreError } from './db.js';

/**
 * Audit anchors: signed chain heads (seq, hash, time) written outside control.db, to storage the console host cannot
 * rewrite (a WORM / object-lock mount, another host's append-only share). Whoever can write control.db can drop its
 * triggers, rewrite a record and re-hash every record after it (or cut the tail and move audit_head): the chain
 * alone then verifies. An anchor made before the rewrite still names the old hash of its record, so the rewrite (or
 * the cut) shows. One log per console start: `<host>-<time>-<pid>.anchors.jsonl`, JSON lines, each signed with an
 * Ed25519 key made for that log, kept in memory only; the first line holds the public key. See docs/SECURITY.md.
 */
export const ANCHOR_FORMAT = 'headroom-audit-anchors/1';
export const ANCHOR_SUFFIX = '.anchors.jsonl';

export interface ChainHead {
  seq: number;
  hash: string;
}

interface HeaderLine {
  format: string;
  kind: 'key';
  publicKey: string;
  db: string;
  host: string;
  pid: number;
  createdAtMs: number;
}
interface HeadLine {
  kind: 'head';
  n: number;
  seq: number;
  hash: string;
  atMs: number;
  /** SHA-256 of the previous line's text: a line removed or reordered breaks the links. */
  prev: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
/** "SHA256:" + the first 16 hex digits of the SHA-256 of the public key (DER): print it, pin it. */
export const keyId = (spkiBase64: string) => `SHA256:${createHash('sha256').update(Buffer.from(spkiBase64, 'base64')).digest('hex').slice(0, 16)}`;

export interface AnchorLogOptions {
  /** control.db, as recorded in the log's first line. */
  db: string;
  /** The committed chain head now (read when the timer fires). */
  head: () => ChainHead;
  /** Anchor after this many new records (default 100) … */
  everyRecords?: number;
  /** … or this often when the head moved (ms, default 60 000). */
  everyMs?: number;
  now?: () => number;
  log: (line: string) => void;
}

/** The console's side: appends a signed head every N records or M ms (and at open and close), fsynced. */
export class AnchorLog {
  readonly file: string;
  readonly keyId: string;
  private readonly fd: number;
  private readonly key: KeyObject;
  private readonly o: AnchorLogOptions;
  private readonly timer: NodeJS.Timeout;
  private n = 0;
  private prev = '';
  private last: ChainHead = { seq: -1, hash: '' };
  private failing = false;
  private closed = false;

  /** Refuses (StoreError, exit 2) a DIR that is not a writable folder; start-up calls it before anything runs. */
  static checkDir(dir: string): void {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw new StoreError(`--audit-anchor ${dir}: ${isDir ? 'not writable' : 'not a folder'} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (!isDir) throw new StoreError(`--audit-anchor ${dir}: not a folder`);
  }

  static open(dir: string, o: AnchorLogOptions): AnchorLog {
    AnchorLog.checkDir(dir);
    return new AnchorLog(dir, o);
  }

  private constructor(dir: string, o: AnchorLogOptions) {
    this.o = o;
    const now = (o.now ?? Date.now)();
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    this.file = join(resolve(dir), `${hostname()}-${stamp}-${process.pid}${ANCHOR_SUFFIX}`);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.key = privateKey;
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    this.keyId = keyId(spki);
    try {
      this.fd = openSync(this.file, 'ax'); // O_APPEND | O_EXCL: a new log, only ever appended to
    } catch (e) {
      throw new StoreError(`--audit-anchor ${dir}: cannot create ${this.file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const header: HeaderLine = { format: ANCHOR_FORMAT, kind: 'key', publicKey: spki, db: resolve(o.db), host: hostname(), pid: process.pid, createdAtMs: now };
    this.write(header);
    this.anchor(o.head());
    this.timer = setInterval(() => this.anchor(this.o.head()), o.everyMs ?? 60_000);
    this.timer.unref();
  }

  /** The runtime calls this after each committed record. */
  noteAppend(head: ChainHead): void {
    if (head.seq - this.last.seq >= (this.o.everyRecords ?? 100)) this.anchor(head);
  }

  /** Append a signed head unless it is the one anchored last. Failures are logged (once per burst), never thrown. */
  anchor(head: ChainHead): void {
    if (this.closed || (head.seq === this.last.seq && head.hash === this.last.hash)) return;
    const line: HeadLine = { kind: 'head', n: ++this.n, seq: head.seq, hash: head.hash, atMs: (this.o.now ?? Date.now)(), prev: this.prev };
    if (this.write(line)) this.last = head;
  }

  close(head?: ChainHead): void {
    if (this.closed) return;
    if (head) this.anchor(head);
    this.closed = true;
    clearInterval(this.timer);
    closeSync(this.fd);
  }

  private write(body: HeaderLine | HeadLine): boolean {
    const text = JSON.stringify({ ...body, sig: sign(null, Buffer.from(JSON.stringify(body)), this.key).toString('base64') });
    try {
      writeSync(this.fd, text + '\n');
      fsyncSync(this.fd);
      this.prev = sha256(text);
      if (this.failing) this.o.log(`audit anchors: writing ${this.file} works again`);
      this.failing = false;
      return true;
    } catch (e) {
      if (!this.failing) this.o.log(`audit anchors: cannot append to ${this.file}: ${(e as Error).message} (records are not being anchored)`);
      this.failing = true;
      if (body.kind === 'key') throw new StoreError(`--audit-anchor: cannot write ${this.file}: ${(e as Error).message}`);
      return false;
    }
  }
}

/** One anchor as read back: where it is and what it vouches for. */
export interface Anchor extends ChainHead {
  file: string;
  line: number;
  atMs: number;
  keyId: string;
}

export interface AnchorSet {
  logs: Array<{ file: string; keyId: string; db: string; anchors: number }>;
  anchors: Anchor[];
  /** The first line that is not what the console wrote (bad signature, broken link, altered): tampering. */
  forged: string | null;
}

/** A problem with what the auditor passed (not a folder, no logs): exit 2, not a verdict on the trail. */
export class AnchorInputError extends Error {
  override readonly name = 'UsageError';
}

/** Read and check every anchor log in DIR: each line's signature under its log's key, the links, the numbering. */
export function readAnchors(dir: string): AnchorSet {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith(ANCHOR_SUFFIX)).sort();
  } catch (e) {
    throw new AnchorInputError(`--anchors ${dir}: not a readable folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (names.length === 0) throw new AnchorInputError(`--anchors ${dir}: no anchor logs (*${ANCHOR_SUFFIX}) in it`);
  const set: AnchorSet = { logs: [], anchors: [], forged: null };
  for (const name of names) {
    const file = join(dir, name);
    const problem = readLog(file, readFileSync(file, 'utf8'), set);
    if (problem) return { ...set, forged: `${file}: ${problem}` };
  }
  return set;
}

type Loose = Record<string, unknown>;

function parseLine(text: string): Loose | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : null;
  } catch {
    return null;
  }
}

function readLog(file: string, text: string, set: AnchorSet): string | null {
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline; else a line cut by a crash mid-append: no anchor we could trust
  let key: KeyObject | null = null;
  let id = '';
  let prev = '';
  let n = 0;
  let lastSeq = -1;
  for (let i = 0; i < lines.length; i++) {
    const at = `line ${i + 1}`;
    const obj = parseLine(lines[i]!);
    if (!obj) return `${at} is not a JSON object (the log was altered)`;
    const body: Loose = { ...obj };
    const sig = body.sig;
    delete body.sig;
    if (typeof sig !== 'string') return `${at} has no signature (forged)`;
    if (i === 0) {
      if (body.format !== ANCHOR_FORMAT || body.kind !== 'key' || typeof body.publicKey !== 'string') return `${at} is not an anchor log's key line`;
      try {
        key = createPublicKey({ key: Buffer.from(body.publicKey, 'base64'), format: 'der', type: 'spki' });
      } catch {
        return `${at}: the public key cannot be read`;
      }
      id = keyId(body.publicKey);
    }
    if (!verify(null, Buffer.from(JSON.stringify(body)), key!, Buffer.from(sig, 'base64'))) return `${at}: bad signature (a forged or altered anchor)`;
    if (i === 0) {
      set.logs.push({ file, keyId: id, db: String(body.db), anchors: 0 });
    } else {
      if (body.kind !== 'head' || body.n !== ++n || body.prev !== prev) return `${at} is out of place (anchors removed or reordered)`;
      const { seq, hash, atMs } = body;
      if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < lastSeq || typeof hash !== 'string' || typeof atMs !== 'number' || !Number.isFinite(atMs)) {
        return `${at}: not a chain head, or older than the line before it`;
      }
      lastSeq = seq;
      set.anchors.push({ file, line: i + 1, seq, hash, atMs, keyId: id });
      set.logs[set.logs.length - 1]!.anchors++;
    }
    prev = sha256(lines[i]!);
  }
  return null;
}

export type AnchorVerdict = { ok: true; last: Anchor | null } | { ok: false; message: string };

const when = (a: Anchor) => `${new Date(a.atMs).toISOString()}, ${a.file}:${a.line}`;

/**
 * Hold an internally intact chain (records 1..chainEnd, `hashAt(seq)`) against the anchors: every anchored record
 * must still exist and still have its anchored hash.
 */
export function checkAnchors(chainEnd: number, hashAt: (seq: number) => string | undefined, set: AnchorSet): AnchorVerdict {
  let last: Anchor | null = null;
  for (const a of [...set.anchors].sort((x, y) => x.seq - y.seq)) {
    if (a.seq > chainEnd) {
      return { ok: false, message: `the trail ends at record ${chainEnd} but an anchor (${when(a)}) vouches for record ${a.seq}: records removed from the end` };
    }
    const h = a.seq === 0 ? GENESIS_HASH : hashAt(a.seq);
    if (h !== a.hash) {
      return { ok: false, message: `record ${a.seq} is not the record anchored at ${when(a)} (hash ${String(h).slice(0, 16)}…, anchored ${a.hash.slice(0, 16)}…): the chain was rewritten and re-hashed at or before record ${a.seq}` };
    }
    last = a;
  }
  return { ok: true, last };
}
