/**
 * Soak part 2: 100 damaged databases. A real data folder is made once (`headroom serve` on the simulator for a few
 * seconds, stopped cleanly); each case copies it, damages telemetry.db or control.db in one of ten structural ways
 * (a byte of the header, the page size, truncation, garbage or zeros over b-tree pages, a bad page type or cell
 * pointer, the schema page), and starts `headroom serve` on it as an operator would. Each must be refused: exit 2, one
 * line naming the damaged file, within a few seconds, the file's bytes unchanged, no process left behind.
 *
 * SQLite keeps no page checksums: a flipped bit inside a stored value is not structural damage and no open-time check
 * can see it (control.db's audit chain does: `headroom audit verify`). Such damage is not among the cases.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantile, rng } from './util.js';
import type { SoakPart } from './types.js';

const CASES = 100;
/** A refusal must come within this (the requirement says "within a few seconds"). */
const REFUSE_WITHIN_MS = 5000;

type Damage = (b: Buffer, r: () => number) => Buffer;

const pageSize = (b: Buffer) => {
  const v = b.readUInt16BE(16);
  return v === 1 ? 65536 : v;
};
/** Offsets of b-tree pages (page 1's header starts at 100), picked at random. */
function btreePages(b: Buffer): number[] {
  const ps = pageSize(b);
  const out: number[] = [];
  for (let p = 0; p * ps < b.length; p++) {
    const off = p === 0 ? 100 : p * ps;
    if ([2, 5, 10, 13].includes(b[off]!)) out.push(off);
  }
  return out;
}
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;
const randomBytes = (n: number, r: () => number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
/** A b-tree page other than the schema's when there is one (page 1 has its own case). */
const dataPage = (b: Buffer, r: () => number, withCells = false) => {
  const pages = btreePages(b).filter((o) => o !== 100 && (!withCells || b.readUInt16BE(o + 3) > 0));
  return pick(pages.length ? pages : [100], r);
};

const DAMAGES: Record<string, Damage> = {
  'not SQLite': (b, r) => randomBytes(b.length, r),
  'header magic byte': (b, r) => {
    const c = Buffer.from(b);
    const i = Math.floor(r() * 16);
    c[i] = c[i]! ^ (1 + Math.floor(r() * 255));
    return c;
  },
  'page size field': (b, r) => {
    const c = Buffer.from(b);
    c.writeUInt16BE(pick([3, 100, 1000, 3000, 40000], r), 16);
    return c;
  },
  'truncated mid-page': (b, r) => {
    const ps = pageSize(b);
    const pages = Math.floor(b.length / ps);
    return b.subarray(0, ps * Math.max(1, Math.floor(r() * pages)) + 1 + Math.floor(r() * (ps - 2)));
  },
  'truncated to fewer pages': (b, r) => {
    const ps = pageSize(b);
    const pages = Math.floor(b.length / ps);
    return b.subarray(0, ps * Math.max(2, Math.floor(pages * (0.2 + 0.6 * r()))));
  },
  'garbage over a b-tree page': (b, r) => {
    const c = Buffer.from(b);
    const off = dataPage(b, r);
    randomBytes(pageSize(b), r).copy(c, off);
    return c;
  },
  'bad b-tree page type': (b, r) => {
    const c = Buffer.from(b);
    c[dataPage(b, r)] = pick([0, 1, 3, 7, 9, 0xff], r);
    return c;
  },
  'cell pointer out of the page': (b, r) => {
    const c = Buffer.from(b);
    const off = dataPage(b, r, true);
    const header = [2, 5].includes(c[off]!) ? 12 : 8;
    const cells = c.readUInt16BE(off + 3);
    const i = Math.floor(r() * cells);
    c.writeUInt16BE(pageSize(b) + 1 + Math.floor(r() * 1000), off + header + 2 * i);
    return c;
  },
  'zeroed b-tree pages': (b, r) => {
    const c = Buffer.from(b);
    const ps = pageSize(b);
    for (let n = 0; n < 1 + Math.floor(r() * 3); n++) {
      const off = dataPage(b, r);
      c.fill(0, off - (off % ps) || 100, (off - (off % ps)) + ps);
    }
    return c;
  },
  'schema page damaged': (b, r) => {
    const c = Buffer.from(b);
    randomBytes(Math.floor(pageSize(b) / 2), r).copy(c, 100 + 8);
    return c;
  },
};

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
  leftRunning: boolean;
}

/** Start `headroom serve` on the damaged folder the way an operator does; it must refuse and exit. */
function serve(db: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, ['bin/headroom.js', 'serve', '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    let stdout = '';
    p.stderr.on('data', (d) => (stderr += String(d)));
    p.stdout.on('data', (d) => (stdout += String(d)));
    const kill = setTimeout(() => process.kill(-p.pid!, 'SIGKILL'), 20_000);
    p.once('close', (code) => {
      clearTimeout(kill);
      let leftRunning = true;
      try {
        process.kill(-p.pid!, 0);
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        leftRunning = false;
      }
      resolve({ code, stderr: stderr + (code === null ? `(killed; stdout: ${stdout.split('\n')[0]})` : ''), ms: Date.now() - t0, leftRunning });
    });
    // Served instead of refusing: stop it (counted as not refused).
    p.stdout.on('data', () => /Headroom serving/.test(stdout) && process.kill(-p.pid!, 'SIGTERM'));
  });
}

/** A real data folder: the simulator served at 60× for a few seconds, then stopped with SIGTERM. */
async function baseFolder(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/headroom.js', 'serve', '--port', '0', '--speed', '60', '--db', join(dir, 'telemetry.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += String(d);
      if (/Headroom serving/.test(out)) setTimeout(() => p.kill('SIGTERM'), 6000);
    });
    p.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`headroom serve for the base folder exited ${code}`))));
  });
}

export const corruptDbs: SoakPart = async ({ quick, log }) => {
  const t0 = Date.now();
  const cases = quick ? 20 : CASES;
  const random = rng(4242);
  const dir = join('tmp', 'soak-corrupt');
  rmSync(dir, { recursive: true, force: true });
  const base = join(dir, 'base');
  await baseFolder(base);
  const kinds = Object.keys(DAMAGES);
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  const failures: string[] = [];
  const ms: number[] = [];
  let refused = 0;
  let crashes = 0;
  let left = 0;
  try {
    for (let i = 0; i < cases; i++) {
      const kind = kinds[i % kinds.length]!;
      const which = Math.floor(i / kinds.length) % 2 === 0 ? 'telemetry.db' : 'control.db';
      const d = join(dir, `case-${i}`);
      mkdirSync(d);
      for (const f of ['telemetry.db', 'control.db']) copyFileSync(join(base, f), join(d, f));
      const target = join(d, which);
      writeFileSync(target, DAMAGES[kind]!(readFileSync(target), random));
      const before = sha(target);
      const o = await serve(join(d, 'telemetry.db'));
      ms.push(o.ms);
      const lines = o.stderr.trim().split('\n').filter(Boolean);
      const ok = o.code === 2 && lines.length === 1 && lines[0]!.includes(target) && o.ms <= REFUSE_WITHIN_MS && sha(target) === before && !o.leftRunning;
      if (ok) refused++;
      else failures.push(`case ${i} (${which}, ${kind}): exit ${o.code}, ${o.ms} ms, ${lines.length} stderr lines: ${lines[0] ?? ''}${sha(target) === before ? '' : ' (file changed)'}`);
      if (o.code !== 0 && o.code !== 2) crashes++;
      if (o.leftRunning) left++;
      rmSync(d, { recursive: true, force: true });
      if ((i + 1) % 10 === 0) log(`${i + 1}/${cases} damaged databases: ${refused} refused cleanly`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: 'corruptDbs',
    title: 'Damaged databases at start-up',
    pass: refused === cases,
    wallS: (Date.now() - t0) / 1000,
    figures: { cases, kinds: kinds.length, refusedCleanly: refused, crashes, leftRunning: left, refuseMsP50: quantile(ms, 0.5), refuseMsMax: Math.max(...ms), firstFailures: failures.slice(0, 5).join(' | ') },
    lines: [
      `${cases} damaged data folders (telemetry.db and control.db alternately; ${kinds.length} kinds: ${kinds.join(', ')}), each started with \`headroom serve\`: ` +
        `**${refused}/${cases} refused** with exit 2 and one line naming the file, bytes unchanged; **${crashes} crashes**, ${left} processes left running; ` +
        `time to the refusal p50 ${quantile(ms, 0.5)} ms, max ${Math.max(...ms)} ms (bound ${REFUSE_WITHIN_MS} ms).`,
      ...failures.slice(0, 5).map((f) => `- not refused cleanly: ${f}`),
    ],
  };
};
