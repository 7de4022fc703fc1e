/**
 * Soak part 1: SIGKILL the console's store path during ingest, 1,000 times. Each kill runs the ingesting child
 * (test/fixtures/ingest-child.ts: a run begun with beginRun, ticks of 2,000 GPUs handed to the production store
 * worker, "acked" printed only after the worker committed them), kills it at a random instant after its first
 * acknowledgement, then opens the database: `quick_check` must say ok, and every acknowledged tick must be there
 * with every value of every GPU (lostOrWrong). The databases rotate every ROTATE kills so a file stays small.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { openTelemetryDb } from '../main/store/telemetryDb.js';
import { INGEST_GPUS } from '../test/fixtures/ingest-child.js';
import { ingestThenKill, lostOrWrong } from '../test/fixtures/ingestKill.js';
import { quantile, rng } from './util.js';
import type { SoakPart } from './types.js';

const ROTATE = 50;
/** The kill lands 0…MAX_AFTER_MS after the first acknowledgement. */
const MAX_AFTER_MS = 400;
/** The ingest rate the requirement asks for (rows = GPU samples). */
const MIN_ROWS_PER_S = 50_000;

/** Bundle the child and the store worker next to each other (the child starts in ~0.1 s instead of ~1 s under tsx). */
async function bundleChild(dir: string): Promise<string[]> {
  await build({
    entryPoints: { 'ingest-child': 'test/fixtures/ingest-child.ts', writerWorker: 'main/store/writerWorker.ts' },
    outdir: dir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['better-sqlite3'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n'); // the worker is loaded as ./writerWorker.js
  return [join(dir, 'ingest-child.js')];
}

export const ingestKills: SoakPart = async ({ quick, log }) => {
  const t0 = Date.now();
  const kills = quick ? 20 : 1000;
  const random = rng(20261204);
  const dir = join('tmp', 'soak-ingest');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const child = await bundleChild(join(dir, 'bin'));
  let ackedTicks = 0;
  let quickOk = 0;
  const problems: string[] = [];
  const rates: number[] = [];
  try {
    for (let i = 0; i < kills; i++) {
      const file = join(dir, `telemetry-${Math.floor(i / ROTATE)}.db`);
      if (i % ROTATE === 0 && i > 0) rmSync(join(dir, `telemetry-${Math.floor(i / ROTATE) - 1}.db`), { force: true });
      const ing = await ingestThenKill(file, { afterFirstAckMs: Math.floor(random() * MAX_AFTER_MS) }, '', child);
      ackedTicks += ing.acked.length;
      if (ing.ingestMs > 0) rates.push(((ing.acked.length - 1) * INGEST_GPUS) / (ing.ingestMs / 1000));
      const db = openTelemetryDb(file);
      try {
        const qc = db.pragma('quick_check', { simple: true });
        if (qc === 'ok') quickOk++;
        else problems.push(`kill ${i}: quick_check: ${String(qc)}`);
        for (const p of lostOrWrong(db, ing.run, ing.acked)) problems.push(`kill ${i}: ${p}`);
      } finally {
        db.close();
      }
      if ((i + 1) % 50 === 0 || i + 1 === kills) log(`${i + 1}/${kills} kills, ${ackedTicks} acknowledged ticks checked, ${problems.length} problems`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rowsPerS = quantile(rates, 0.5);
  const lost = problems.filter((p) => !/quick_check/.test(p)).length;
  const pass = problems.length === 0 && quickOk === kills && rowsPerS >= MIN_ROWS_PER_S;
  return {
    id: 'ingestKills',
    title: 'Console SIGKILL during ingest',
    pass,
    wallS: (Date.now() - t0) / 1000,
    figures: {
      kills,
      gpusPerTick: INGEST_GPUS,
      acknowledgedTicks: ackedTicks,
      acknowledgedRows: ackedTicks * INGEST_GPUS,
      lostOrWrongTicks: lost,
      quickCheckOk: quickOk,
      ingestRowsPerSMedian: Math.round(rowsPerS),
      ingestRowsPerSMin: Math.round(Math.min(...rates)),
      killWindowMs: `0..${MAX_AFTER_MS} after the first acknowledgement`,
      firstProblems: problems.slice(0, 5).join(' | '),
    },
    lines: [
      `${kills} SIGKILLs of a process ingesting through the production store worker (ticks of ${INGEST_GPUS.toLocaleString('en')} GPUs, ` +
        `killed 0–${MAX_AFTER_MS} ms after its first acknowledgement): **${lost} acknowledged ticks lost or wrong** of ` +
        `${ackedTicks.toLocaleString('en')} (${(ackedTicks * INGEST_GPUS).toLocaleString('en')} rows, every value of every GPU checked), ` +
        `**${quickOk}/${kills} quick_check ok**.`,
      `Ingest rate while killed: median ${Math.round(rowsPerS).toLocaleString('en')} rows/s (lowest ${Math.round(Math.min(...rates)).toLocaleString('en')}; required ≥ ${MIN_ROWS_PER_S.toLocaleString('en')}).`,
    ],
  };
};
