import { hostname } from 'node:os';
import type { AuditEntry } from '../core/ports.js';
import { packageVersion } from '../node/packageInfo.js';

/** One run of Headroom on a data folder: who ran it, where, which version, since when, started how. */
export interface RunIdentity {
  pid: number;
  host: string;
  version: string;
  startedAtMs: number;
  /** The command line, summarised with secrets hidden (core's `commandSummary`). */
  command: string;
}

export function currentRun(command: string, nowMs = Date.now()): RunIdentity {
  return { pid: process.pid, host: hostname(), version: packageVersion(), startedAtMs: nowMs, command };
}

/**
 * The audit record that opens or closes a run. Runs on one control.db follow each other (the data-folder lock keeps
 * a second one out), and these markers say where each begins and ends, so records of two runs never read as one:
 * `target` names the run ("sim default", "fleet inventory.yaml"), `newValue` its identity.
 */
export function runMarker(label: string, run: RunIdentity, phase: 'started' | 'stopped', nowMs = Date.now()): AuditEntry {
  const value = {
    pid: run.pid,
    host: run.host,
    version: run.version,
    startedAt: new Date(run.startedAtMs).toISOString(),
    ...(phase === 'stopped' ? { stoppedAt: new Date(nowMs).toISOString() } : {}),
    command: run.command,
  };
  return { actor: 'system', kind: 'run', target: label, oldValue: '', newValue: JSON.stringify(value), reason: `headroom ${phase}`, outcome: 'ok' };
}
