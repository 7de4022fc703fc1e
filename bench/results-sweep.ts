// Reproduces docs/RESULTS.md: the capacity sweep (Headroom's controller, POLCA, POLCA without priorities, no policy)
// under both demand profiles (production: calibrated; bursty: every server in step), the seeds runs at +30 % and
// +40 % (brakes per 100 row-hours with a 95 % interval), the chart (docs/results-sweep.svg) and the tables.
// Usage: npx tsx bench/results-sweep.ts [--duration S] [--seeds N] [--out-dir docs] [--reuse DIR]
//   --reuse DIR: read DIR/sweep-production.json, sweep-bursty.json, seeds.json, seeds-bursty.json (the CLI's outputs:
//   headroom sim --sweep servers=40..60:2 [--demand bursty] --out …; headroom sim --sweep servers=52..56:4
//   --policies headroom,polca --seeds 1..100 [--demand bursty] --out …) instead of running them (~8 min on 2 cores).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as echarts from 'echarts';
import type { SweepPoint, SweepResult } from '../shared/domain/planner.js';
import { runSweep } from '../main/app/planner.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3600' },
    seeds: { type: 'string', default: '100' },
    'out-dir': { type: 'string', default: 'docs' },
    reuse: { type: 'string' },
  },
});
const durationS = Number(values.duration);
const outDir = values['out-dir'];
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);

async function get(file: string, run: () => Promise<SweepResult>): Promise<SweepResult> {
  if (values.reuse) return JSON.parse(readFileSync(join(values.reuse, file), 'utf8')) as SweepResult;
  const t0 = performance.now();
  const r = await run();
  process.stderr.write(`${file}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return r;
}
const sweep = { fromServers: 40, toServers: 60, step: 2, durationS };
const production = await get('sweep-production.json', () => runSweep({ ...sweep, demand: 'production' }));
const bursty = await get('sweep-bursty.json', () => runSweep({ ...sweep, demand: 'bursty' }));
const seedRuns = { fromServers: 52, toServers: 56, step: 4, durationS, seeds, policies: ['headroom', 'polca'] as const };
const seedsProduction = await get('seeds.json', () => runSweep({ ...seedRuns, demand: 'production' }));
const seedsBursty = await get('seeds-bursty.json', () => runSweep({ ...seedRuns, demand: 'bursty' }));
writeFileSync(join(outDir, 'results-sweep.json'), JSON.stringify({ production, bursty }, null, 2) + '\n');
const slim = (r: SweepResult) => ({ demand: r.demand, seeds: r.seeds.length, durationS: r.durationS, reference: r.reference, summary: r.summary });
writeFileSync(join(outDir, 'results-seeds.json'), JSON.stringify({ production: slim(seedsProduction), bursty: slim(seedsBursty) }, null, 2) + '\n');

// ---- chart: per demand (rows), brakes per hour and high- / low-priority p99 latency ratio (columns), per policy ----
const policies = ['headroom', 'polca', 'polca-no-priority', 'none'] as const;
const colors = { headroom: '#2e9e5b', polca: '#2f7ed8', 'polca-no-priority': '#e4a11b', none: '#c23531' } as const;
const xs = [...new Set(production.points.map((p) => p.servers))];
const perHour = 3600 / durationS;
const pick = (r: SweepResult, pol: string, f: (p: SweepPoint) => number) =>
  xs.map((s) => {
    const p = r.points.find((q) => q.servers === s && q.policy === pol);
    return p ? f(p) : null;
  });
const width = 1200;
const height = 760;
const panel = (row: number, col: number) => ({ left: 60 + col * 390, top: 90 + row * 330, width: 320, height: 240 });
const series: echarts.SeriesOption[] = [];
[production, bursty].forEach((r, row) => {
  for (const pol of policies) {
    const base = { type: 'line' as const, name: pol, color: colors[pol], symbolSize: 5, lineStyle: { width: pol === 'headroom' ? 3 : 1.5 } };
    series.push({ ...base, xAxisIndex: row * 3, yAxisIndex: row * 3, data: pick(r, pol, (p) => p.brakes * perHour) });
    series.push({ ...base, xAxisIndex: row * 3 + 1, yAxisIndex: row * 3 + 1, data: pick(r, pol, (p) => p.high.p99LatencyRatio) });
    series.push({ ...base, xAxisIndex: row * 3 + 2, yAxisIndex: row * 3 + 2, data: pick(r, pol, (p) => p.low.p99LatencyRatio) });
  }
});
const cells = [0, 1].flatMap((row) => [0, 1, 2].map((col) => ({ row, col })));
const titles = ['power-brake engagements per hour', 'high priority: p99 latency ÷ unconstrained', 'low priority: p99 latency ÷ unconstrained'];
const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
chart.setOption({
  animation: false,
  backgroundColor: '#ffffff',
  title: [
    { text: `One row provisioned for ${production.provisionedServers} servers (${production.budgetKW} kW): servers installed vs impact (model, ${durationS} s, seed ${production.seed})`, left: 'center', top: 6, textStyle: { fontSize: 14 } },
    ...[0, 1].map((row) => ({ text: row === 0 ? 'production demand (calibrated, the default)' : 'bursty demand (every server in step: stress profile)', left: 60, top: 34 + row * 330, textStyle: { fontSize: 13 } })),
    ...cells.map(({ row, col }) => ({ text: titles[col], left: 60 + col * 390, top: 62 + row * 330, textStyle: { fontSize: 12, fontWeight: 'normal' as const } })),
  ],
  legend: { bottom: 4, data: [...policies] },
  grid: cells.map(({ row, col }) => panel(row, col)),
  xAxis: cells.map((_, i) => ({ type: 'category' as const, gridIndex: i, data: xs.map(String), name: 'servers', nameLocation: 'middle' as const, nameGap: 24 })),
  yAxis: cells.map(({ col }, i) => (col === 0 ? { type: 'value' as const, gridIndex: i, min: 0 } : { type: 'log' as const, gridIndex: i, min: 1, logBase: 10 })),
  series,
});
writeFileSync(join(outDir, 'results-sweep.svg'), chart.renderToSVGString());
chart.dispose();

// ---- tables ----
const fmt = (x: number) => (x === 1 ? '1' : x.toFixed(3));
const header = '| servers | policy | brakes / h | s > 100 % | longest over (s) | % GPU-time capped | peak % | high thr | high p99 | low thr | low p99 |\n|---|---|---|---|---|---|---|---|---|---|---|';
const rows = (r: SweepResult) =>
  r.points
    .map(
      (p) =>
        `| ${p.servers} (+${Math.round((p.servers / r.provisionedServers - 1) * 100)} %) | ${p.policy} | ${p.brakes * perHour} | ${p.secondsOver100} | ${p.longestOverS} | ${p.pctTimeCapped} | ${p.peakRowPct} | ${fmt(p.high.throughputRatio)} | ${fmt(p.high.p99LatencyRatio)} | ${fmt(p.low.throughputRatio)} | ${fmt(p.low.p99LatencyRatio)} |`,
    )
    .join('\n');
const seedHeader =
  '| servers | policy | brakes / 100 row-h (95 % CI) | brake-free seeds | high p99 mean / worst | high thr worst | low thr worst | tokens/s per kW | ÷ 40 unconstrained |\n|---|---|---|---|---|---|---|---|---|';
const seedRows = (r: SweepResult) =>
  r.summary
    .map(
      (s) =>
        `| ${s.servers} (+${Math.round((s.servers / r.provisionedServers - 1) * 100)} %) | ${s.policy} | ${s.brakesPer100RowHours} (${s.brakesCi95[0]}–${s.brakesCi95[1]}) | ${s.brakeFreeSeeds} / ${s.seeds} | ${s.meanHighP99LatencyRatio} / ${s.worstHighP99LatencyRatio} | ${s.minHighThroughputRatio} | ${s.minLowThroughputRatio} | ${s.tokensPerSPerKW} | ${s.workVsProvisioned} |`,
    )
    .join('\n');
console.log(`### Production demand\n\n${header}\n${rows(production)}\n`);
console.log(`### Bursty demand\n\n${header}\n${rows(bursty)}\n`);
console.log(`### ${seedsProduction.seeds.length} seeds × ${durationS} s, production demand (reference: ${seedsProduction.reference.tokensPerSPerKW} tokens/s per kW)\n\n${seedHeader}\n${seedRows(seedsProduction)}\n`);
console.log(`### ${seedsBursty.seeds.length} seeds × ${durationS} s, bursty demand (reference: ${seedsBursty.reference.tokensPerSPerKW} tokens/s per kW)\n\n${seedHeader}\n${seedRows(seedsBursty)}\n`);
