import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tempDir } from '../../helpers.js';

// These run the real `headroom` command (bin/headroom.js → dist/, built by `npm test`'s pretest).
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('headroom CLI', () => {
  it('sim writes the report, identical for the same scenario and seed', () => {
    const a = tmp.file('a.json');
    const b = tmp.file('b.json');
    const r1 = headroom('sim', '--scenario', 'default', '--seed', '5', '--duration', '300', '--out', a);
    expect(r1.status).toBe(0);
    expect(r1.stderr).toMatch(/simulated 300 s of 1280 GPUs/);
    expect(headroom('sim', '--scenario', 'default', '--seed', '5', '--duration', '300', '--out', b).status).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    const report = JSON.parse(readFileSync(a, 'utf8')) as { scenario: string; seed: number; durationS: number; rows: unknown[] };
    expect(report).toMatchObject({ scenario: 'default', seed: 5, durationS: 300 });
    expect(report.rows).toHaveLength(4);
  });

  it('bad input: one clear line and exit code 2, no report written', () => {
    const out = tmp.file('never.json');
    const bad = tmp.file('bad.yaml');
    writeFileSync(bad, 'name: x\nservices:\n  - id: a\n    priority: urgent\n    trace: conv\n    placement: {rows: [A]}\n    ratePerServer: 1\n');
    const r = headroom('sim', '--scenario', bad, '--duration', '10', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^headroom: .*bad\.yaml:4: services\[0\]\.priority: /);
    expect(() => readFileSync(out)).toThrow();
    expect(headroom('sim', '--scenario', tmp.file('missing.yaml')).stderr).toMatch(/missing\.yaml: \(document\): cannot read file \(ENOENT\)/);
    expect(headroom('sim', '--duration=-4').stderr).toMatch(/--duration must be a number in 1\.\./);
    expect(headroom('frobnicate').status).toBe(2);
  });

  it('serve refuses a database file that is not SQLite and a port in use', async () => {
    const notDb = tmp.file('telemetry.db');
    writeFileSync(notDb, 'hello'.repeat(100));
    const r = headroom('serve', '--port', '0', '--db', notDb);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/telemetry\.db: not a SQLite database/);
    expect(readFileSync(notDb, 'utf8')).toBe('hello'.repeat(100));

    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
    const port = (blocker.address() as { port: number }).port;
    const r2 = headroom('serve', '--port', String(port), '--db', tmp.file('ok.db'));
    blocker.close();
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });

  it('serve on a real fleet: a bad inventory or sources file is one clear line and exit 2, before anything opens', () => {
    const inv = tmp.file('inventory.yaml');
    writeFileSync(inv, 'site: {id: lab, name: Lab}\nrows:\n  - id: A\n    budgetKW: -5\n    coolingKW: 10\n    gpuModel: H100-SXM\n    racks: []\n');
    const r = headroom('serve', '--port', '0', '--db', ':memory:', '--inventory', inv);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^headroom: .*inventory\.yaml:4: rows\[0\]\.budgetKW: /);
    const good = tmp.file('good.yaml');
    writeFileSync(good, 'site: {id: lab, name: Lab}\nrows:\n  - id: A\n    budgetKW: 5\n    coolingKW: 10\n    gpuModel: H100-SXM\n    racks:\n      - id: A01\n        servers: [{host: gpu-1, gpus: [GPU-00000000-0000-0000-0000-000000000001]}]\n');
    const src = tmp.file('sources.yaml');
    writeFileSync(src, 'sources:\n  - {kind: dcgm, id: d1, url: "ftp://gpu-1/metrics"}\n');
    const r2 = headroom('serve', '--port', '0', '--db', tmp.file('fleet/telemetry.db'), '--inventory', good, '--sources', src);
    expect(r2.status).toBe(2);
    expect(r2.stderr.trim()).toMatch(/^headroom: .*sources\.yaml:2: sources\[0\]\.url: an http:\/\/ or https:\/\/ URL/);
    expect(() => readFileSync(tmp.file('fleet/telemetry.db'))).toThrow();
    expect(headroom('serve', '--sources', src).stderr).toMatch(/need --inventory/);
  });

  it('serve prints its URL with a token and binds to loopback by default', async () => {
    const child = spawn(process.execPath, ['bin/headroom.js', 'serve', '--port', '0', '--db', tmp.file('serve.db')], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [url, viewerUrl] = await new Promise<[string, string]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += String(d);
          const admin = /Headroom serving on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
          const viewer = /viewer: +(http:\S+)/.exec(out);
          if (admin && viewer) resolve([admin[1]!, viewer[1]!]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const u = new URL(url);
      expect(u.searchParams.get('token')!.length).toBeGreaterThanOrEqual(24);
      expect((await fetch(`${u.origin}/api/health`)).status).toBe(200);
      expect((await fetch(`${u.origin}/api/invoke/status:get`, { method: 'POST' })).status).toBe(401);
      // One token per role: the viewer's URL reads but cannot act.
      const viewerToken = new URL(viewerUrl).searchParams.get('token')!;
      expect(viewerToken).not.toBe(u.searchParams.get('token'));
      const auth = { Authorization: `Bearer ${viewerToken}` };
      expect((await fetch(`${u.origin}/api/invoke/status:get`, { method: 'POST', headers: auth })).status).toBe(200);
      expect((await fetch(`${u.origin}/api/invoke/sim:control`, { method: 'POST', headers: auth, body: '{"action":"pause"}' })).status).toBe(400);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
