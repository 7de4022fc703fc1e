import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { openRecording, RECORDED_RUN } from '../../../main/store/recording.js';
import { gpuSeries } from '../../../main/store/telemetry.js';
import { tempDir } from '../../helpers.js';

// The real `headroom import` (bin/headroom.js → dist/, built by `npm test`'s pretest).
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 60_000 });

const G0 = 'GPU-1c3e1b3a-5c2f-4e58-9f0e-6a1c7d2e9b10';
const G1 = 'GPU-8d0c2b4e-1f3a-4b6c-9d7e-0a1b2c3d4e5f';
const inventory = tmp.file('inventory.yaml');
writeFileSync(
  inventory,
  `site: { id: lab, name: GPU lab }
rows:
  - id: A
    budgetKW: 40
    coolingKW: 45
    gpuModel: H100-SXM
    racks:
      - id: A01
        servers:
          - host: gpu-a01-01
            gpus: [${G0}, ${G1}]
`,
);
const HEADER = 'timestamp, uuid, power.draw [W], enforced.power.limit [W], temperature.gpu, clocks.sm [MHz], utilization.gpu [%], clocks_event_reasons.active';
const row = (t: string, uuid: string, w: number) => `2026/03/01 10:00:0${t}.120, ${uuid}, ${w.toFixed(2)} W, 700.00 W, 61, 1980 MHz, 97 %, 0x0000000000000000`;

describe('headroom import nvidia-smi', () => {
  it('turns an nvidia-smi -l log into a recording, GPUs placed by UUID, one frame per second', () => {
    const log = tmp.file('gpu-a01-01.csv');
    // Logged in UTC+1: the log's 10:00 is 09:00 UTC.
    writeFileSync(log, [HEADER, row('1', G0, 612.34), row('1', G1, 401.5), HEADER, row('2', G1, 402.5), row('2', G0, 613.34), row('3', G0, 614.34)].join('\n') + '\n');
    const out = tmp.file('lab.headroom');
    const r = headroom('import', 'nvidia-smi', log, '--inventory', inventory, '--out', out, '--utc-offset-min', '60');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/imported 5 readings \(3 s, 2 GPUs\)/);
    const info = JSON.parse(headroom('recording', 'info', out, '--json').stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ gpus: 2, rows: 1, source: 'fleet', durationS: 2, startS: Date.parse('2026-03-01T09:00:01Z') / 1000 });
    const db = openRecording(out);
    try {
      const g0 = gpuSeries(db, RECORDED_RUN, 0, 0, Date.parse('2026-03-02T00:00:00Z'));
      expect(g0.powerW).toEqual([612.3, 613.3, 614.3]);
      expect(g0.limitW).toEqual([700, 700, 700]);
      expect(g0.util).toEqual([0.97, 0.97, 0.97]);
      // GPU 1 said nothing at 10:00:03: missing, never zero.
      expect(gpuSeries(db, RECORDED_RUN, 1, 0, Date.parse('2026-03-02T00:00:00Z')).powerW).toEqual([401.5, 402.5, NaN]);
    } finally {
      db.close();
    }
  });

  it('bad lines: one line naming the file, the line and the field; exit 2; nothing written', () => {
    const out = tmp.file('never.headroom');
    const cases: Array<[string, RegExp]> = [
      [[HEADER, row('1', G0, 600), row('2', 'GPU-00000000-0000-0000-0000-000000000099', 600)].join('\n'), /bad\.csv:3: uuid: GPU-0+-0000-0000-0000-000000000099 is not in the inventory/],
      [[HEADER, row('1', G0, 600).replace('2026/03/01 10:00:01.120', 'yesterday')].join('\n'), /bad\.csv:2: timestamp: "yesterday" is not a time/],
      [['uuid, power.draw [W]', `${G0}, 600 W`].join('\n'), /bad\.csv:1: header: no "timestamp" field/],
      [[HEADER, `${row('1', G0, 600)}, extra`].join('\n'), /bad\.csv:2: row: expected 8 fields/],
    ];
    for (const [text, why] of cases) {
      const bad = tmp.file('bad.csv');
      writeFileSync(bad, text + '\n');
      const r = headroom('import', 'nvidia-smi', bad, '--inventory', inventory, '--out', out);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
      expect(existsSync(out)).toBe(false);
    }
    expect(headroom('import', 'ganglia', 'x.json', '--inventory', inventory, '--out', out).stderr).toMatch(/unknown import kind "ganglia" \(nvidia-smi, prometheus\)/);
  });

  it('prometheus: saved query_range JSON (4.9 names too) → a recording; what cannot be placed is refused with its path', () => {
    const range = (name: string, uuid: string, values: Array<[number, string]>) => ({ metric: { __name__: name, Hostname: 'gpu-a01-01', UUID: uuid }, values });
    const t0 = Date.parse('2026-03-01T09:00:00Z') / 1000;
    const power = tmp.file('power.json');
    writeFileSync(power, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [range('DCGM_FI_DEV_POWER_USAGE', G0, [[t0, '500.04'], [t0 + 1, '510']]), range('DCGM_FI_DEV_POWER_USAGE', G1, [[t0, '300']])] } }));
    const clock = tmp.file('clock.json');
    writeFileSync(clock, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [range('DCGM_FI_DEV_SM_CLOCK_HZ', G0, [[t0, '1980000000'], [t0 + 1, '1410000000']])] } }));
    const out = tmp.file('prom-files.headroom');
    const r = headroom('import', 'prometheus', power, clock, '--inventory', inventory, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const db = openRecording(out);
    try {
      const g0 = gpuSeries(db, RECORDED_RUN, 0, 0, Date.parse('2026-03-02T00:00:00Z'));
      expect(g0.powerW).toEqual([500, 510]);
      expect(g0.clockMHz).toEqual([1980, 1410]);
      expect(gpuSeries(db, RECORDED_RUN, 1, 0, Date.parse('2026-03-02T00:00:00Z')).powerW).toEqual([300, NaN]);
    } finally {
      db.close();
    }
    const bad = tmp.file('bad.json');
    const never = tmp.file('never2.headroom');
    for (const [body, why] of [
      ['{ nope', /bad\.json: \(document\): not JSON/],
      [JSON.stringify({ status: 'error', error: 'x' }), /bad\.json: status: /],
      [JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [range('node_load1', G0, [[t0, '1']])] } }), /bad\.json: data\.result\.0\.metric\.__name__: "node_load1" is not a dcgm-exporter metric/],
      [JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [range('DCGM_FI_DEV_GPU_TEMP', 'GPU-00000000-0000-0000-0000-000000000077', [[t0, '1']])] } }), /is not in the inventory/],
    ] as const) {
      writeFileSync(bad, body);
      const b = headroom('import', 'prometheus', bad, '--inventory', inventory, '--out', never);
      expect(b.status).toBe(2);
      expect(b.stderr).toMatch(why);
      expect(existsSync(never)).toBe(false);
    }
  });

  it('a real H200 log (nvidia-smi -lms 500 under load, caps and locks applied): the recording shows each phase', () => {
    const inv = tmp.file('h200-inventory.yaml');
    writeFileSync(inv, 'site: { id: lab, name: H200 check }\nrows:\n  - id: A\n    budgetKW: 10\n    coolingKW: 12\n    gpuModel: H100-SXM\n    racks:\n      - id: A01\n        servers:\n          - host: h200\n            gpus: [GPU-76963113-bb61-0540-ce18-ecd0c1efeb4f]\n');
    const out = tmp.file('h200.headroom');
    const r = headroom('import', 'nvidia-smi', 'test/fixtures/gpu/h200-real-load.log.csv', '--inventory', inv, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const db = openRecording(out);
    try {
      const at = (iso: string) => Date.parse(iso);
      const s = gpuSeries(db, RECORDED_RUN, 0, at('2026-12-04T15:24:00Z'), at('2026-12-04T15:27:00Z'));
      const phase = (from: string, to: string) => s.tMs.map((t, i) => ({ t, p: s.powerW[i] ?? NaN, f: s.clockMHz[i] ?? NaN, l: s.limitW[i] ?? NaN })).filter((x) => x.t >= at(from) && x.t < at(to));
      // Idle before the load; at the 700 W cap under load; then -pl 450, -pl 300, -lgc 1200, -lgc 345 (phases.txt).
      expect(Math.max(...phase('2026-12-04T15:24:55Z', '2026-12-04T15:25:02Z').map((x) => x.p))).toBeLessThan(100);
      for (const x of phase('2026-12-04T15:25:09Z', '2026-12-04T15:25:17Z')) expect([x.l, x.p <= 460]).toEqual([450, true]);
      for (const x of phase('2026-12-04T15:25:19Z', '2026-12-04T15:25:27Z')) expect([x.l, x.p <= 310, x.f <= 630]).toEqual([300, true, true]);
      for (const x of phase('2026-12-04T15:25:29Z', '2026-12-04T15:25:37Z')) expect(x.f).toBe(1200);
      for (const x of phase('2026-12-04T15:25:39Z', '2026-12-04T15:25:45Z')) expect([x.f, x.p < 230]).toEqual([345, true]);
    } finally {
      db.close();
    }
  });
});
