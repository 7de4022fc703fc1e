// Reproduces docs/RESULTS.md: the capacity sweep (POLCA vs POLCA without priorities vs no policy) with the paper's
// settings, the same sweep with in-band caps and with a 300 s hold, the chart (docs/results-sweep.svg) and the
// tables. Usage: npx tsx bench/results-sweep.ts [--duration S] [--from N] [--to N] [--step N] [--out-dir docs]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as echarts from 'echarts';
import { PolicyConfigSchema } from '../shared/domain/control.js';
import type { SweepPoint, SweepResult } from '../shared/domain/planner.js';
import { runSweep } from '../main/app/planner.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3600' },
    from: { type: 'string', default: '40' },
    to: { type: 'string', default: '60' },
    step: { type: 'string', default: '2' },
    'out-dir': { type: 'string', default: 'docs' },
  },
});
const opts = { fromServers: Number(values.from), toServers: Number(values.to), step: Number(values.step), durationS: Number(values.duration) };
const outDir = values['out-dir'];

const VARIANTS = {
  'paper (out-of-band 40 s, hold 30 s)': {},
  'in-band caps (1 s)': { actuation: { capPath: 'inBand' } },
  'hold 300 s': { polca: { minHoldS: 300 } },
} as const;

const results: Record<string, SweepResult> = {};
for (const [name, cfg] of Object.entries(VARIANTS)) {
  const t0 = performance.now();
  results[name] = await runSweep({ ...opts, config: PolicyConfigSchema.parse(cfg) });
  process.stderr.write(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const main = results['paper (out-of-band 40 s, hold 30 s)']!;
writeFileSync(join(outDir, 'results-sweep.json'), JSON.stringify(main, null, 2) + '\n');

// ---- chart: brakes per hour, high- and low-priority p99 latency ratio, per policy ----
const policies = ['polca', 'polca-no-priority', 'none'] as const;
const colors = { polca: '#2f7ed8', 'polca-no-priority': '#e4a11b', none: '#c23531' } as const;
const xs = [...new Set(main.points.map((p) => p.servers))];
const perHour = 3600 / main.durationS;
const series: echarts.SeriesOption[] = [];
const pick = (r: SweepResult, pol: string, f: (p: SweepPoint) => number) => xs.map((s) => {
  const p = r.points.find((q) => q.servers === s && q.policy === pol);
  return p ? f(p) : null;
});
policies.forEach((pol) => {
  const base = { type: 'line' as const, name: pol, color: colors[pol], symbolSize: 5 };
  series.push({ ...base, xAxisIndex: 0, yAxisIndex: 0, data: pick(main, pol, (p) => p.brakes * perHour) });
  series.push({ ...base, xAxisIndex: 1, yAxisIndex: 1, data: pick(main, pol, (p) => p.high.p99LatencyRatio) });
  series.push({ ...base, xAxisIndex: 2, yAxisIndex: 2, data: pick(main, pol, (p) => p.low.p99LatencyRatio) });
});
const inband = results['in-band caps (1 s)']!;
const dashed = { type: 'line' as const, name: 'polca, in-band caps (1 s)', color: '#2f7ed8', lineStyle: { type: 'dashed' as const }, symbol: 'emptyCircle', symbolSize: 5 };
series.push({ ...dashed, xAxisIndex: 0, yAxisIndex: 0, data: pick(inband, 'polca', (p) => p.brakes * perHour) });
series.push({ ...dashed, xAxisIndex: 1, yAxisIndex: 1, data: pick(inband, 'polca', (p) => p.high.p99LatencyRatio) });
series.push({ ...dashed, xAxisIndex: 2, yAxisIndex: 2, data: pick(inband, 'polca', (p) => p.low.p99LatencyRatio) });

const width = 1200;
const height = 440;
const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
const grid = (i: number) => ({ left: 60 + i * 390, top: 80, width: 320, height: 290 });
const titles = ['power-brake engagements per hour', 'high priority: p99 latency ÷ unconstrained', 'low priority: p99 latency ÷ unconstrained'];
chart.setOption({
  animation: false,
  backgroundColor: '#ffffff',
  title: [
    { text: `One row provisioned for ${main.provisionedServers} servers (${main.budgetKW} kW): servers installed vs impact (model, ${main.durationS} s, seed ${main.seed})`, left: 'center', top: 6, textStyle: { fontSize: 14 } },
    ...titles.map((t, i) => ({ text: t, left: 60 + i * 390, top: 52, textStyle: { fontSize: 12, fontWeight: 'normal' as const } })),
  ],
  legend: { bottom: 4, data: [...policies, 'polca, in-band caps (1 s)'] },
  grid: [0, 1, 2].map(grid),
  xAxis: [0, 1, 2].map((i) => ({ type: 'category' as const, gridIndex: i, data: xs.map(String), name: 'servers', nameLocation: 'middle' as const, nameGap: 24 })),
  yAxis: [
    { type: 'value' as const, gridIndex: 0, min: 0 },
    { type: 'log' as const, gridIndex: 1, min: 1, logBase: 10 },
    { type: 'log' as const, gridIndex: 2, min: 1, logBase: 10 },
  ],
  series,
});
writeFileSync(join(outDir, 'results-sweep.svg'), chart.renderToSVGString());
chart.dispose();

// ---- tables ----
const fmt = (x: number) => (x === 1 ? '1' : x.toFixed(3));
const rows = (r: SweepResult, pols: readonly string[]) =>
  r.points
    .filter((p) => pols.includes(p.policy))
    .map((p) => `| ${p.servers} (+${Math.round((p.servers / r.provisionedServers - 1) * 100)} %) | ${p.policy} | ${p.brakes} | ${p.secondsOver100} | ${p.pctTimeCapped} | ${p.peakRowPct} | ${fmt(p.high.throughputRatio)} | ${fmt(p.high.p99LatencyRatio)} | ${fmt(p.low.throughputRatio)} | ${fmt(p.low.p99LatencyRatio)} |`)
    .join('\n');
const header = '| servers | policy | brakes | s > 100 % | % GPU-time capped | peak % | high thr | high p99 | low thr | low p99 |\n|---|---|---|---|---|---|---|---|---|---|';
console.log(`### Main sweep (paper settings)\n\n${header}\n${rows(main, policies)}\n`);
for (const name of ['in-band caps (1 s)', 'hold 300 s']) console.log(`### ${name}\n\n${header}\n${rows(results[name]!, ['polca', 'polca-no-priority'])}\n`);
