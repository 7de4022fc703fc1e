/**
 * `npm run soak`: the faults with figures (issue 11, item 6). Runs every part (or `--only id,id`) against the real
 * code, prints progress, writes soak/results.json and the figures block of docs/RELIABILITY.md. `--quick` runs small
 * counts and writes only tmp/soak-quick.json (the committed figures always come from a full run). Exit 1 when a
 * guarantee did not hold. Not part of `npm test`: the test suite runs the same checks at small counts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { SoakPart, SoakSection } from './types.js';

/** The parts, in the order they run and appear in the doc; each loaded only when it runs. */
const PARTS: Record<string, () => Promise<SoakPart>> = {
  ingestKills: async () => (await import('./ingestKills.js')).ingestKills,
  corruptDbs: async () => (await import('./corruptDbs.js')).corruptDbs,
  agentKills: async () => (await import('./agentKills.js')).agentKills,
  closedLoop: async () => (await import('./closedLoop.js')).closedLoop,
};
const RESULTS = 'soak/results.json';
const DOC = 'docs/RELIABILITY.md';
const BEGIN = '<!-- soak:begin (written by npm run soak) -->';
const END = '<!-- soak:end -->';

interface Results {
  machine: string;
  node: string;
  sections: Record<string, SoakSection & { ranAt: string }>;
}

function usage(msg: string): never {
  console.error(`soak: ${msg}\nusage: npm run soak [-- --quick] [-- --only ${Object.keys(PARTS).join(',')}]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const at = args.indexOf('--only');
  const only = at >= 0 ? (args[at + 1] ?? usage('--only needs a list')).split(',') : Object.keys(PARTS);
  for (const id of only) if (!PARTS[id]) usage(`unknown part "${id}"`);
  for (const a of args) if (a.startsWith('--') && a !== '--quick' && a !== '--only') usage(`unknown option ${a}`);

  const results: Results = !quick && existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Results) : { machine: '', node: '', sections: {} };
  results.machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
  results.node = process.version;
  let failed = 0;
  for (const id of only) {
    const t0 = Date.now();
    console.log(`soak ${id}: ${quick ? 'quick' : 'full'} run`);
    const part = await PARTS[id]!();
    const s = await part({ quick, log: (l) => console.log(`soak ${id}: ${l}`) });
    console.log(`soak ${id}: ${s.pass ? 'PASS' : 'FAIL'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const l of s.lines) console.log(`  ${l}`);
    if (!s.pass) failed++;
    results.sections[id] = { ...s, ranAt: new Date().toISOString() };
    // Written after every part: a long run that stops half-way keeps what it measured.
    if (quick) {
      mkdirSync('tmp', { recursive: true });
      writeFileSync('tmp/soak-quick.json', `${JSON.stringify(results, null, 1)}\n`);
    } else {
      writeFileSync(RESULTS, `${JSON.stringify(results, null, 1)}\n`);
      writeDoc(results);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

/** Replace the figures block of docs/RELIABILITY.md with every section measured so far. */
function writeDoc(r: Results): void {
  const doc = readFileSync(DOC, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the soak markers are missing`);
  const body = [
    `Machine: ${r.machine}, Node ${r.node}. Each part's figures are from its last full run (\`npm run soak\`; soak/results.json has every figure).`,
    '',
    ...Object.keys(PARTS)
      .filter((id) => r.sections[id])
      .flatMap((id) => {
        const s = r.sections[id]!;
        return [`### ${s.title} — ${s.pass ? 'held' : '**did not hold**'}`, '', ...s.lines, '', `_Run ${s.ranAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(s.wallS)} s._`, ''];
      }),
  ].join('\n');
  writeFileSync(DOC, `${doc.slice(0, a + BEGIN.length)}\n${body}\n${doc.slice(b)}`);
}

main().catch((e: unknown) => {
  console.error(`soak: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
