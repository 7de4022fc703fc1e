import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePlant } from '../../../main/core/plant.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import { tempDir } from '../../helpers.js';

/** `headroom contingency` through the real CLI (dist/, built by `npm test`'s pretest). */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', 'contingency', ...args], { encoding: 'utf8', timeout: 120_000 });

/** One row of 4 racks on a 2N plant whose B busway carries only 90 kW: losing the A side overloads it. */
const scenario = (bwKW: number, extra = '') => `name: tight
seed: 3
topology:
  site: { id: lab, name: Lab }
  rows:
    - { id: R, coolingKW: 200, racks: 4, serversPerRack: 4, gpusPerServer: 8, gpuModel: H100-SXM }
  plant:
    feeds: [{ id: F1, ratedKW: 500 }, { id: F2, ratedKW: 500 }]
    ups:
      - { id: UA, feed: F1, modules: 2, moduleKW: 250 }
      - { id: UB, feed: F2, modules: 2, moduleKW: 250 }
    devices:
      - { id: BA, kind: busway, from: UA, ratedKW: 200 }
      - { id: BB, kind: busway, from: ${extra || 'UB'}, ratedKW: ${bwKW} }
    racks:
      - { row: R, a: BA, b: BB, pdu: { ratedKW: 51 } }
services:
  - { id: chat, priority: high, trace: conv, placement: { rows: [R] }, ratePerServer: 3.2 }
`;

describe('headroom contingency', () => {
  it('lists every device of the default plant (each UPS module, a CRAH unit), all survivable: exit 0', () => {
    const r = headroom('--json', '--at', '120');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { devices: number; contingencies: Array<{ device: string; overloads: Array<{ device: string; secondsToTrip: number | null }>; response: { capsKW: number; costPct: number }; inTime: boolean }>; budgets: Array<{ row: string; budgetKW: number; limitedBy: string }> };
    const site = resolveTopology(defaultTopologySpec(1));
    const ids = resolvePlant(site.plant!, site).ids;
    expect(out.devices).toBe(ids.length);
    // Every device of the electrical chain, one module of each UPS, and the cooling plant's single failure (a CRAH unit).
    expect(out.contingencies.map((c) => c.device).sort()).toEqual([...ids, 'UPS1/module', 'UPS2/module', 'CRAH-1/unit'].sort());
    for (const c of out.contingencies) expect(c).toMatchObject({ overloads: expect.any(Array), response: { capsKW: expect.any(Number), costPct: expect.any(Number) }, inTime: true });
    expect(out.budgets.find((b) => b.row === 'D')).toEqual({ row: 'D', budgetKW: 313.8, limitedBy: 'BW-D-A' });
  });

  it('a plant whose B busway is the weakest link: the budget follows it, so losing A leaves nothing overloaded', () => {
    const file = tmp.file('tight.yaml');
    writeFileSync(file, scenario(90));
    const r = headroom('--scenario', file, '--json', '--at', '120');
    const out = JSON.parse(r.stdout) as { budgets: Array<{ budgetKW: number; limitedBy: string }>; contingencies: Array<{ device: string; overloads: Array<{ device: string; pct: number; secondsToTrip: number | null }>; response: { capsKW: number; path: string }; inTime: boolean }> };
    // 90 kW at 80 %: the row may draw 72 kW, whatever its racks could take.
    expect(out.budgets[0]).toEqual({ row: 'R', budgetKW: 72, limitedBy: 'BB' });
    // POLCA holds the row under that budget, so the B busway alone carries it: the derived budget is what makes the
    // single failure survivable.
    const lossA = out.contingencies.find((c) => c.device === 'BA')!;
    expect(lossA).toMatchObject({ overloads: [], inTime: true, response: { capsKW: 0, path: 'none' } });
    expect(r.status, r.stderr).toBe(0);
    // The human form says the same in words.
    const text = headroom('--scenario', file, '--at', '120');
    expect(text.stdout).toMatch(/row R: budget 72 kW, limited by BB/);
  });

  it('a plant that refers to a device it does not have: one line naming the file and the field, exit 2', () => {
    const file = tmp.file('bad.yaml');
    writeFileSync(file, scenario(90, 'UX'));
    const r = headroom('--scenario', file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml.*BB: its supply "UX" is not a device of the plant/);
  });

  it('planning maintenance: with UPS2 out, losing UPS1, its feed or a switchboard on side A drops racks — not survivable; exit 1', () => {
    const r = headroom('--maintenance', 'UPS2', '--json', '--at', '60');
    expect(r.status, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { maintenance: string[]; unsafe: string[]; contingencies: Array<{ device: string; racksLost: string[] }> };
    expect(out.maintenance).toEqual(['UPS2']);
    expect(out.unsafe).toEqual(expect.arrayContaining(['U1', 'UPS1', 'SB1', 'BW-A-A', 'A01/PDU-A']));
    expect(out.unsafe).not.toContain('UPS2');
    expect(out.contingencies.find((c) => c.device === 'UPS1')!.racksLost).toHaveLength(40);
    expect(out.contingencies.find((c) => c.device === 'BW-C-A')!.racksLost).toEqual(['C01', 'C02', 'C03', 'C04', 'C05', 'C06', 'C07', 'C08', 'C09', 'C10']);
    const text = headroom('--maintenance', 'UPS2', '--at', '60');
    expect(text.stdout).toMatch(/^maintenance: UPS2 out of service/);
    expect(text.stdout).toMatch(/NOT survivable in time: U1, /);
    const bad = headroom('--maintenance', 'UPS9');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('headroom: maintenance: no device "UPS9" in the plant');
  });
});
