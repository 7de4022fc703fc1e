import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioSchema, type ScenarioFile } from '../shared/domain/scenario.js';
import { BUILTIN_MODELS } from '../main/core/models.js';
import { defaultTopologySpec, resolveTopology } from '../main/core/topology.js';
import type { GpuModel, Topology } from '../shared/domain/topology.js';
import { Arbiter } from '../main/core/control/arbiter.js';
import type { RowLayers } from '../main/core/control/rowLayers.js';

export const H100: GpuModel = BUILTIN_MODELS.find((m) => m.id === 'H100-SXM')!;
export const A100: GpuModel = BUILTIN_MODELS.find((m) => m.id === 'A100-SXM')!;

export function defaultTopology(scale = 1): Topology {
  return resolveTopology(defaultTopologySpec(scale));
}

/** A small scenario on the default site (one service per row), with overrides. */
export function smallScenario(over: Partial<ScenarioFile> = {}) {
  return ScenarioSchema.parse({
    name: 'test',
    services: [{ id: 'chat', priority: 'high', trace: 'conv', placement: { rows: ['A', 'D'] }, ratePerServer: 3 }],
    training: [{ id: 'train', placement: { rows: ['C'] }, periodS: 10, duty: 0.7 }],
    ...over,
  });
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'headroom-test-'): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Run a TypeScript child that prints "<word> <n>" after each durable write; SIGKILL it once it has printed `lines`
 * of them, and resolve with the last acknowledged n (the crash tests: nothing acknowledged may be lost).
 */
export function runThenKill(script: string, args: string[], word: string, lines: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pattern = new RegExp(`^${word} (\\d+)$`);
    let last = 0;
    let seen = 0;
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.stdout.on('data', (d) => {
      buf += String(d);
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) {
        const m = pattern.exec(l);
        if (m) {
          last = Number(m[1]);
          if (++seen === lines) child.kill('SIGKILL');
        }
      }
    });
    child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`child exited without being killed: ${err}`))));
  });
}

/**
 * Poll `f` until it returns a value (anything but undefined or false) and return it; after `timeoutMs` throw, naming
 * what was awaited and, if given, `context()` (e.g. a child process's output).
 */
export async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 8000, context?: () => string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${context ? `:\n${context()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An arbiter of n GPUs with the row layers the control service gives it (POLCA, its brake, playbooks, manual brake). */
export function rowLayerRig(n: number): { arbiter: Arbiter; layers: RowLayers } {
  const arbiter = new Arbiter(n);
  const layers = {
    polca: arbiter.addLayer('POLCA', 'auto'),
    polcaBrake: arbiter.addLayer('POLCA brake', 'emergency'),
    playbooks: arbiter.addLayer('playbook', 'emergency'),
    manualBrake: arbiter.addLayer('manual brake', 'emergency'),
  };
  return { arbiter, layers };
}
