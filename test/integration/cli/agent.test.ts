import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../../main/fleet/agentLink.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity, type TlsIdentity } from '../../../main/pki/certs.js';
import { AGENT_HELP } from '../../../main/cli/agent.js';
import { parseDcgmExporter } from '../../../main/sources/parsers/dcgm.js';
import { tempDir, until as untilOr } from '../../helpers.js';
import { FAKE_NVIDIA_SMI, H100_LOAD_CAPTURE, HEADROOM_BIN as BIN, fakeUuid, readSmiLog, startAgentProcess, type AgentProcess } from '../../support/hostAgents.js';

/**
 * `headroom agent` as operators run it, with the nvidia-smi backend against a stand-in nvidia-smi that serves the real
 * H100 capture and records every control call: safe cap at start-up, readings and /metrics, a leased cap applied and
 * read back, an out-of-range cap refused before nvidia-smi runs, and the lease lapsing back to the safe cap.
 */
const tmp = tempDir('headroom-agent-cli-');
const certs = tmp.file('certs');
const smiLog = tmp.file('smi.jsonl');
let agent: AgentProcess | undefined;
let controlPort = 0;
let metricsPort = 0;
let console_: TlsIdentity;

const out = () => agent?.output() ?? '';
const calls = () => readSmiLog(smiLog);
const plCalls = (gpu: string) => calls().filter((c) => c.argv.includes('-pl') && c.argv[c.argv.indexOf('-i') + 1] === fakeUuid(Number(gpu))).map((c) => c.argv[c.argv.indexOf('-pl') + 1]);

/** Wait for `f`, with the agent's output in the failure message. */
const until = <T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 8000) => untilOr(what, f, timeoutMs, () => `agent output:\n${out()}`);

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    p.stderr.on('data', (d) => (stderr += String(d)));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const smiEnv = { FAKE_SMI_CAPTURE: H100_LOAD_CAPTURE, FAKE_SMI_STATE: tmp.file('smi-state.json'), FAKE_SMI_LOG: smiLog, FAKE_SMI_GPUS: '8' };

beforeAll(async () => {
  await createCa(certs);
  await issueAgentCert(certs, 'gpu-n1', { ips: ['127.0.0.1'] });
  await issueAgentCert(certs, 'gpu-s1');
  await issueAgentCert(certs, 'gpu-s2');
  await issueConsoleCert(certs, 'desk', 'control');
  console_ = loadIdentity(certs, 'console-desk');
  agent = await startAgentProcess(
    ['--host', 'gpu-n1', '--certs', certs, '--nvidia-smi', FAKE_NVIDIA_SMI, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--safe-cap-w', '400', '--interval-ms', '200', '--max-lease-ms', '5000'],
    smiEnv,
    15_000,
  );
  controlPort = agent.port;
  metricsPort = agent.metricsPort!;
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  tmp.cleanup();
});

describe('headroom agent with the nvidia-smi backend (stand-in nvidia-smi, real H100 capture)', () => {
  it('puts every GPU at the safe cap at start-up', () => {
    for (let g = 0; g < 8; g++) expect(plCalls(String(g))).toEqual(['400.00']);
    expect(out()).toMatch(/8 GPUs \(nvidia-smi\).*safe cap 400 W \(safe\)/);
  });

  it('serves /metrics in dcgm-exporter names that the dcgm parser reads back', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain; version=0\.0\.4/);
    const parsed = parseDcgmExporter(await res.text());
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.readings).toHaveLength(8);
    expect(parsed.invalidReadings).toBe(0);
    for (const r of parsed.readings) {
      expect(r).toMatchObject({ hostname: 'gpu-n1', modelName: 'NVIDIA H100 80GB HBM3', limitW: 400 });
      // Under gpu-burn the H100 draws 631.95 W; capped at 400 W the stand-in reports at most the cap.
      expect(r.powerW).toBeLessThanOrEqual(400);
    }
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
  });

  it('applies a leased cap, refuses one out of range, and returns to the safe cap when the lease lapses', async () => {
    const readings: Array<{ uuid: string; limitW: number | null }[]> = [];
    const link = new AgentLink({ kind: 'agent', id: 'n1', host: 'gpu-n1', address: '127.0.0.1', port: controlPort }, { identity: console_ });
    link.start({ readings: (_id, _h, _t, r) => readings.push(r.map((x) => ({ uuid: x.uuid, limitW: x.limitW }))), error: () => {} });
    try {
      await until('hello', () => link.connected);
      const gpus = link.gpus();
      expect(gpus).toHaveLength(8);
      expect(gpus[0]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', minLimitW: 200, maxLimitW: 700 });
      const uuid = gpus[3]!.uuid;

      const ok = await link.send([{ kind: 'setPowerLimit', uuid, watts: 450 }], 1500);
      expect(ok).toMatchObject({ ok: true, state: { mode: 'leased' } });
      expect(plCalls('3').at(-1)).toBe('450.00');
      await until('450 W read back from nvidia-smi', () => readings.at(-1)?.find((r) => r.uuid === uuid)?.limitW === 450);

      const before = calls().length;
      const bad = await link.send([{ kind: 'setPowerLimit', uuid, watts: 800 }], 1500);
      expect(bad).toMatchObject({ ok: false, code: 'range' });
      expect(bad.error).toMatch(/800 W is outside 200–700 W/);
      expect(calls().filter((c) => c.argv.includes('-pl')).length).toBe(calls().slice(0, before).filter((c) => c.argv.includes('-pl')).length);

      await link.stop();
      await until('GPU 3 back at the 400 W safe cap', () => plCalls('3').at(-1) === '400.00', 5000);
    } finally {
      await link.stop();
    }
  }, 20_000);

  it('lists every option in --help', async () => {
    const r = await run(['agent', '--help']);
    expect(r.code).toBe(0);
    const src = readFileSync(fileURLToPath(new URL('../../../main/cli/agent.ts', import.meta.url)), 'utf8');
    const options = [...src.matchAll(/^\s+'?([a-z-]+)'?: \{ type: '(?:string|boolean)'/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(10);
    for (const o of options) expect(r.stdout, `--${o}`).toContain(`--${o}`);
    expect(AGENT_HELP).toContain('--metrics-listen');
  });

  it('runs many simulated hosts in one process for drills (--hosts), each behind its own certificate', async () => {
    const p = spawn(process.execPath, [BIN, 'agent', '--backend', 'sim', '--hosts', 'gpu-s1,gpu-s2', '--certs', certs, '--listen', '127.0.0.1:0', '--metrics-listen', 'off', '--gpus', '4']);
    let text = '';
    p.stdout.on('data', (d) => (text += String(d)));
    try {
      const ports = await until('two agents', () => {
        const m = [...text.matchAll(/^headroom agent (gpu-s\d): 4 GPUs \(sim\), control on 127\.0\.0\.1:(\d+)/gm)];
        return m.length === 2 ? new Map(m.map((x) => [x[1]!, Number(x[2])])) : undefined;
      });
      for (const host of ['gpu-s1', 'gpu-s2']) {
        const r = await AgentLink.test({ kind: 'agent', id: host, host, address: '127.0.0.1', port: ports.get(host)! }, console_);
        expect(r).toMatchObject({ ok: true, gpus: 4 });
      }
      // Each port answers with its own host's certificate.
      const crossed = await AgentLink.test({ kind: 'agent', id: 'x', host: 'gpu-s1', address: '127.0.0.1', port: ports.get('gpu-s2')! }, console_);
      expect(crossed.message).toMatch(/certificate for another host/);
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    const mixed = await run(['agent', '--hosts', 'gpu-s1,gpu-s2', '--certs', certs]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--hosts apply to --backend sim only/);
  });

  it('explains what is missing: certificates, nvidia-smi, root', async () => {
    const noCerts = await run(['agent', '--host', 'gpu-n1', '--backend', 'sim']);
    expect(noCerts.code).toBe(2);
    expect(noCerts.stderr).toMatch(/--certs DIR is required/);

    const wrongHost = await run(['agent', '--host', 'gpu-zz', '--backend', 'sim', '--certs', certs, '--listen', '127.0.0.1:0', '--metrics-listen', 'off']);
    expect(wrongHost.code).toBe(2);
    expect(wrongHost.stderr).toMatch(/agent-gpu-zz\.crt/);

    const noSmi = await run(['agent', '--host', 'gpu-n1', '--certs', certs, '--nvidia-smi', tmp.file('nope/nvidia-smi'), '--listen', '127.0.0.1:0', '--metrics-listen', 'off']);
    expect(noSmi.code).toBe(1);
    expect(noSmi.stderr).toMatch(/nvidia-smi not found/);

    const badListen = await run(['agent', '--host', 'gpu-n1', '--backend', 'sim', '--certs', certs, '--listen', 'everywhere']);
    expect(badListen.code).toBe(2);
    expect(badListen.stderr).toMatch(/--listen must be HOST:PORT/);
  });
});
