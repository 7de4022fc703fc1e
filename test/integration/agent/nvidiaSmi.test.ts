import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NvidiaSmiBackend, NVIDIA_SMI_DEFAULT_LIMIT_QUERY, NVIDIA_SMI_SUPPORTED_CLOCKS_QUERY, type NvidiaSmiBackendOptions } from '../../../main/agent/nvidiaSmiBackend.js';
import { BackendError } from '../../../main/agent/backend.js';
import { NVIDIA_SMI_QUERY } from '../../../main/agent/nvidiaSmiParser.js';
import { AgentReadingSchema, GpuInfoSchema } from '../../../shared/agentProtocol.js';
import { decodeClockEvents } from '../../../shared/domain/fleet.js';
import { tempDir } from '../../helpers.js';

// The nvidia-smi backend end to end: a real child process (the stand-in test/fixtures/gpu/fake-nvidia-smi.mjs) serving
// the real H100/H200 captures, real argv, real exit codes. Each test gets its own state and log in a temp dir.

const fixture = (f: string): string => fileURLToPath(new URL(`../../fixtures/gpu/${f}`, import.meta.url));
const FAKE = fixture('fake-nvidia-smi.mjs');
const CAPTURES = ['h100-idle', 'h100-load', 'h200-idle', 'h200-load'] as const;

/** The captures' values (same table as the parser's unit test), checked here after a trip through the agent. */
/**
 * minClockMHz: the lowest clock `--query-supported-clocks=graphics` lists (the H200 fixtures carry a real H200's list,
 * captured 2026-12-04: 345 MHz); the H100 captures have none, so the 210 MHz fallback.
 */
const FLOOR = { 'h100-idle': 210, 'h100-load': 210, 'h200-idle': 345, 'h200-load': 345 } as const;

const EXPECTED = {
  'h100-idle': { name: 'NVIDIA H100 80GB HBM3', powerW: 69.85, tempC: 41, memTempC: 48, smClockMHz: 345, utilPct: 0, clockEventMask: 1, clockEvents: ['gpuIdle'] },
  'h100-load': { name: 'NVIDIA H100 80GB HBM3', powerW: 631.95, tempC: 59, memTempC: 54, smClockMHz: 1980, utilPct: 100, clockEventMask: 0, clockEvents: [] },
  'h200-idle': { name: 'NVIDIA H200', powerW: 77.71, tempC: 28, memTempC: 32, smClockMHz: 345, utilPct: 0, clockEventMask: 1, clockEvents: ['gpuIdle'] },
  'h200-load': { name: 'NVIDIA H200', powerW: 627.4, tempC: 52, memTempC: 40, smClockMHz: 1980, utilPct: 100, clockEventMask: 0, clockEvents: [] },
} as const;

/** The stand-in's synthetic UUID for GPU i (the captures mask UUIDs; see fake-nvidia-smi.mjs). Actions target UUIDs. */
const fakeUuid = (i: number) => `GPU-00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

interface LogEntry {
  argv: string[];
  code: number | null;
  out: string;
  startMs: number;
  endMs: number;
}

let t: ReturnType<typeof tempDir>;

beforeEach(() => {
  t = tempDir('headroom-smi-');
  vi.stubEnv('FAKE_SMI_STATE', t.file('state.json'));
  vi.stubEnv('FAKE_SMI_LOG', t.file('log.jsonl'));
  vi.stubEnv('FAKE_SMI_GPUS', '8');
  vi.stubEnv('FAKE_SMI_FAIL', '');
  vi.stubEnv('FAKE_SMI_DELAY_MS', '');
  useCapture('h100-load');
});

afterEach(() => {
  vi.unstubAllEnvs();
  t.cleanup();
});

function useCapture(name: string): void {
  vi.stubEnv('FAKE_SMI_CAPTURE', fixture(`${name}.query.csv`));
}

function backend(o: NvidiaSmiBackendOptions = {}): NvidiaSmiBackend {
  return new NvidiaSmiBackend({ nvidiaSmi: FAKE, isRoot: () => true, ...o });
}

function log(): LogEntry[] {
  const path = t.file('log.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEntry);
}

/** nvidia-smi calls that act (queries of GPUs and of supported clocks left out). */
const controlCalls = (): string[][] => log().map((e) => e.argv).filter((a) => !a.some((x) => x.startsWith('--query-')));

/** Run the stand-in directly (exit code and output), to show it behaves like the tool it replaces. */
function runFake(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(FAKE, args, { encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? Number(err.code) : 0, stdout }));
  });
}

async function rejection(p: Promise<unknown>): Promise<BackendError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(BackendError);
  return e as BackendError;
}

describe.each(CAPTURES)('nvidia-smi backend on the %s capture', (capture) => {
  beforeEach(() => useCapture(capture));
  const want = EXPECTED[capture];

  it('discover: 8 GPUs with the capture’s name, limits and clocks, distinct UUIDs', async () => {
    const gpus = await backend().discover();
    expect(gpus).toHaveLength(8);
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const g of gpus) {
      expect(GpuInfoSchema.parse(g)).toEqual(g);
      expect(g).toMatchObject({ name: want.name, minLimitW: 200, maxLimitW: 700, defaultLimitW: 700, minClockMHz: FLOOR[capture], maxClockMHz: 1980 });
    }
    expect(new Set(gpus.map((g) => g.uuid)).size).toBe(8);
    expect(log().map((e) => e.argv)).toEqual([
      NVIDIA_SMI_QUERY.split(' '),
      NVIDIA_SMI_DEFAULT_LIMIT_QUERY.split(' '),
      ...gpus.map((g) => ['-i', g.uuid, ...NVIDIA_SMI_SUPPORTED_CLOCKS_QUERY.split(' ')]),
    ]);
  });

  it('read: every GPU reads the capture’s values (clock-event mask decoded)', async () => {
    const b = backend();
    const gpus = await b.discover();
    const before = Date.now();
    const { tMs, readings, invalid } = await b.read();
    expect(tMs).toBeGreaterThanOrEqual(before);
    expect(invalid).toBe(0);
    expect(readings).toHaveLength(8);
    readings.forEach((r, i) => {
      expect(AgentReadingSchema.parse(r)).toEqual(r);
      expect(r).toEqual({
        uuid: gpus[i]!.uuid,
        powerW: want.powerW,
        limitW: 700,
        tempC: want.tempC,
        memTempC: want.memTempC,
        smClockMHz: want.smClockMHz,
        utilPct: want.utilPct,
        clockEventMask: want.clockEventMask,
      });
      expect(decodeClockEvents(r.clockEventMask!)).toEqual(want.clockEvents);
    });
  });
});

describe('nvidia-smi backend: control', () => {
  it('sets a power limit with the exact argv and reads it back (draw capped, SW power cap raised)', async () => {
    const b = backend();
    await b.discover();
    await b.setPowerLimit(3, 450);
    const last = log().at(-1)!;
    expect(last).toMatchObject({ argv: ['-i', fakeUuid(3), '-pl', '450.00'], code: 0, out: 'Power limit for GPU 00000000:03:09.0 was set to 450.00 W from 700.00 W.' });
    const { readings } = await b.read();
    expect(readings[3]).toMatchObject({ limitW: 450, powerW: 450 });
    expect(decodeClockEvents(readings[3]!.clockEventMask!)).toEqual(['swPowerCap']);
    for (const i of [0, 1, 2, 4, 5, 6, 7]) expect(readings[i]).toMatchObject({ limitW: 700, powerW: 631.95, clockEventMask: 0 });
    await b.setPowerLimit(0, 333.333);
    expect(controlCalls().at(-1)).toEqual(['-i', fakeUuid(0), '-pl', '333.33']);
  });

  it('refuses out-of-range and non-finite limits, unknown GPUs and calls before discover, without running the tool', async () => {
    const early = backend();
    expect((await rejection(early.setPowerLimit(0, 500))).message).toMatch(/GPU 0 is not on this host .*run discover first/);
    const b = backend();
    await b.discover();
    const n = log().length;
    for (const w of [800, 700.01, 199.99, -1, 0]) expect((await rejection(b.setPowerLimit(3, w))).message).toMatch(/outside GPU 3's range 200–700 W/);
    for (const w of [Number.NaN, Number.POSITIVE_INFINITY]) expect((await rejection(b.setPowerLimit(3, w))).message).toMatch(/finite number of watts/);
    expect((await rejection(b.setPowerLimit(8, 500))).message).toMatch(/GPU 8 is not on this host \(known: 0, 1, 2, 3, 4, 5, 6, 7\)/);
    expect((await rejection(b.lockClocks(2, 1500, 210))).message).toMatch(/min 1500 MHz is above max 210 MHz/);
    expect((await rejection(b.lockClocks(2, 100, 1500))).message).toMatch(/outside GPU 2's range 210–1980 MHz/);
    expect((await rejection(b.lockClocks(2, 210, 2100))).message).toMatch(/outside GPU 2's range/);
    expect((await rejection(b.lockClocks(2, 210.5, 1500))).message).toMatch(/whole MHz/);
    expect((await rejection(b.resetClocks(-1))).message).toMatch(/GPU -1 is not on this host/);
    expect(log()).toHaveLength(n);
  });

  it('locks and resets clocks with the exact argv; the lock shows in the SM clock', async () => {
    const b = backend();
    await b.discover();
    await b.lockClocks(2, 210, 1500);
    expect(log().at(-1)).toMatchObject({ argv: ['-i', fakeUuid(2), '-lgc', '210,1500'], code: 0, out: 'GPU clocks set to "(gpuClkMin 210, gpuClkMax 1500)" for GPU 00000000:02:09.0' });
    expect((await b.read()).readings.map((r) => r.smClockMHz)).toEqual([1980, 1980, 1500, 1980, 1980, 1980, 1980, 1980]);
    await b.resetClocks(2);
    expect(log().at(-1)).toMatchObject({ argv: ['-i', fakeUuid(2), '-rgc'], code: 0, out: 'All done.' });
    expect((await b.read()).readings[2]!.smClockMHz).toBe(1980);
  });

  it('runs control calls one at a time, in call order, and keeps going after a failed one', async () => {
    const b = backend();
    await b.discover();
    vi.stubEnv('FAKE_SMI_DELAY_MS', '150');
    await Promise.all([b.setPowerLimit(0, 300), b.setPowerLimit(1, 400), b.lockClocks(2, 900, 900), b.setPowerLimit(2, 500)]);
    const control = log().filter((e) => !e.argv.some((x) => x.startsWith('--query-')));
    expect(control.map((e) => e.argv.join(' '))).toEqual([`-i ${fakeUuid(0)} -pl 300.00`, `-i ${fakeUuid(1)} -pl 400.00`, `-i ${fakeUuid(2)} -lgc 900,900`, `-i ${fakeUuid(2)} -pl 500.00`]);
    for (let i = 1; i < control.length; i++) expect(control[i]!.startMs).toBeGreaterThanOrEqual(control[i - 1]!.endMs);
    vi.stubEnv('FAKE_SMI_DELAY_MS', '');
    // No lost update: each command saw the state the previous one wrote.
    expect((await b.read()).readings.slice(0, 3).map((r) => [r.limitW, r.smClockMHz])).toEqual([[300, 1980], [400, 1980], [500, 900]]);
    vi.stubEnv('FAKE_SMI_FAIL', 'perm');
    const denied = await rejection(b.setPowerLimit(1, 250));
    expect(denied.message).toBe(
      `\`nvidia-smi -i ${fakeUuid(1)} -pl 250.00\` failed with exit status 4 (insufficient permissions: run the agent as root): Failed to set power management limit for GPU 00000000:01:09.0: Insufficient Permissions`,
    );
    vi.stubEnv('FAKE_SMI_FAIL', '');
    await b.setPowerLimit(1, 260);
    expect((await b.read()).readings[1]!.limitW).toBe(260);
  });

  it('close waits for the call in flight, then refuses new ones', async () => {
    const b = backend();
    await b.discover();
    vi.stubEnv('FAKE_SMI_DELAY_MS', '150');
    const pending = b.setPowerLimit(5, 480);
    await b.close();
    expect(log().at(-1)).toMatchObject({ argv: ['-i', fakeUuid(5), '-pl', '480.00'], code: 0 });
    await pending;
    expect((await rejection(b.resetClocks(5))).message).toMatch(/closed/);
  });
});

describe('nvidia-smi backend: refusals and failures an operator must be able to act on', () => {
  it('read-only: discovers and reads without root, refuses every control call', async () => {
    const b = backend({ readOnly: true, isRoot: () => false });
    expect(await b.discover()).toHaveLength(8);
    expect((await b.read()).readings).toHaveLength(8);
    expect((await rejection(b.setPowerLimit(0, 500))).message).toMatch(/^read-only agent: refusing to set a power limit on GPU 0/);
    expect((await rejection(b.lockClocks(0, 900, 900))).message).toMatch(/^read-only agent: refusing to lock clocks/);
    expect((await rejection(b.resetClocks(0))).message).toMatch(/^read-only agent: refusing to reset clocks/);
    expect(controlCalls()).toEqual([]);
  });

  it('not root (and not read-only): the root message, and nvidia-smi never runs', async () => {
    const e = await rejection(backend({ isRoot: () => false }).discover());
    expect(e.message).toBe('the nvidia-smi backend sets power limits and needs root: run the agent as root, or pass --read-only');
    expect(log()).toEqual([]);
  });

  it('nvidia-smi missing: says where it looked and what to do', async () => {
    const missing = join(t.dir, 'no-such-nvidia-smi');
    const e = await rejection(backend({ nvidiaSmi: missing }).discover());
    expect(e.message).toBe(`nvidia-smi not found (looked for '${missing}'): install the NVIDIA driver or pass --nvidia-smi PATH`);
  });

  it('nvidia-smi fails (driver gone): the error carries its exit status and its own message', async () => {
    vi.stubEnv('FAKE_SMI_FAIL', 'exit');
    const b = backend();
    for (const call of [() => b.discover(), () => b.read()]) {
      const e = await rejection(call());
      expect(e.message).toMatch(/exit status 9 \(NVIDIA driver not loaded\): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/);
    }
  });

  it('garbage output: a parse error with its line, as a BackendError', async () => {
    vi.stubEnv('FAKE_SMI_FAIL', 'garbage');
    const b = backend();
    for (const call of [() => b.discover(), () => b.read()]) {
      expect((await rejection(call())).message).toMatch(/^nvidia-smi output could not be parsed \(line 1: expected 15 fields, found 1\); first line: Unable to determine/);
    }
  });

  it('a hung nvidia-smi is killed at the timeout', async () => {
    vi.stubEnv('FAKE_SMI_FAIL', 'hang');
    const t0 = Date.now();
    const e = await rejection(backend({ timeoutMs: 400 }).read());
    expect(e.message).toMatch(/did not finish within 400 ms and was killed: the driver may be hung/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('invalid rows are returned with the offending values nulled, and counted', async () => {
    const rows = readFileSync(fixture('h100-load.query.csv'), 'utf8').trim();
    const bad = rows.split(', ').map((c, i) => (i === 9 ? '500' : i === 13 ? 'abc' : c)).join(', ');
    writeFileSync(t.file('bad.query.csv'), `${rows}\n${bad}\n`);
    copyFileSync(fixture('h100-load.capture-query-gpu.txt'), t.file('bad.capture-query-gpu.txt'));
    vi.stubEnv('FAKE_SMI_CAPTURE', t.file('bad.query.csv'));
    const b = backend();
    expect(await b.discover()).toHaveLength(8);
    const { readings, invalid } = await b.read();
    expect(invalid).toBe(4);
    expect(readings).toHaveLength(8);
    readings.forEach((r, i) => {
      expect(AgentReadingSchema.parse(r)).toEqual(r);
      expect(r).toMatchObject(i % 2 === 1 ? { tempC: null, utilPct: null, powerW: 631.95, memTempC: 54 } : { tempC: 59, utilPct: 100, powerW: 631.95 });
    });
  });
});

describe('the nvidia-smi stand-in', () => {
  it('is executable, and answers like the real tool for out-of-range limits and unknown options', async () => {
    expect(statSync(FAKE).mode & 0o111).toBe(0o111);
    const pl = await runFake(['-i', '3', '-pl', '800']);
    expect(pl).toEqual({
      code: 2,
      stdout: 'Provided power limit 800.00 W is not a valid power limit which should be between 200.00 W and 700.00 W for GPU 00000000:03:09.0\nTerminating early due to previous errors.\n',
    });
    expect(await runFake(['--bogus'])).toEqual({ code: 2, stdout: "ERROR: Option --bogus is not recognized. Please run 'nvidia-smi -h' for help.\n" });
    expect(await runFake(['--query-gpu=index,bogus', '--format=csv'])).toEqual({ code: 2, stdout: 'Field "bogus" is not a valid field to query.\n' });
    expect(await runFake(['-i', '8', '-pl', '300'])).toEqual({ code: 6, stdout: 'No devices were found\n' });
    const header = await runFake(['--query-gpu=index,power.draw,power.default_limit', '--format=csv', '-i', '0']);
    expect(header).toEqual({ code: 0, stdout: 'index, power.draw [W], power.default_limit [W]\n0, 631.95 W, 700.00 W\n' });
  });
});
