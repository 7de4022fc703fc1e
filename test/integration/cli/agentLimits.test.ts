import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueAgentCert } from '../../../main/pki/certs.js';
import { runAgent } from '../../../main/cli/agent.js';
import { tempDir } from '../../helpers.js';

// `headroom agent`'s connection limits (issue 11: agents cannot be starved): the flags reach the control port, and
// bad values are refused with one line and exit 2 before anything starts.
const tmp = tempDir('headroom-agent-limits-');
const certs = tmp.file('certs');
beforeAll(async () => {
  await createCa(certs);
  await issueAgentCert(certs, 'gpu-lim');
});
afterAll(() => tmp.cleanup());

const base = ['--certs', certs, '--host', 'gpu-lim', '--backend', 'sim', '--gpus', '2', '--listen', '127.0.0.1:0', '--metrics-listen', 'off'];

/** Start the built CLI, wait for its admission line, stop it. */
function admissionLine(extra: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/headroom.js', 'agent', ...base, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.stderr.on('data', (d) => {
      err += String(d);
      const m = /^headroom agent gpu-lim: admission: .*$/m.exec(err);
      if (m) {
        p.kill('SIGTERM');
        resolve(m[0]);
      }
    });
    p.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`agent exited without its admission line: ${err}`));
    });
  });
}

describe('headroom agent: connection limits', () => {
  it('the defaults, and each flag, reach the control port', async () => {
    expect(await admissionLine([])).toBe('headroom agent gpu-lim: admission: handshake within 5000 ms, 128 unauthenticated at once (8 per address), 32 console slots');
    expect(await admissionLine(['--handshake-timeout-ms', '2500', '--max-pending', '64', '--max-pending-per-source', '4', '--max-consoles', '8'])).toBe(
      'headroom agent gpu-lim: admission: handshake within 2500 ms, 64 unauthenticated at once (4 per address), 8 console slots',
    );
  }, 60_000);

  it('refuses bad values with one line, exit 2', async () => {
    for (const [flags, msg] of [
      [['--max-pending', '10', '--max-pending-per-source', '20'], '--max-pending-per-source must be an integer in 1..10, got "20"'],
      [['--handshake-timeout-ms', '5'], '--handshake-timeout-ms must be an integer in 100..60000, got "5"'],
      [['--max-consoles', '0x10'], '--max-consoles must be an integer in 1..1024, got "0x10"'],
    ] as const) {
      const err: string[] = [];
      const orig = console.error;
      console.error = (s: string) => void err.push(s);
      try {
        expect(await runAgent([...base, ...flags])).toBe(2);
      } finally {
        console.error = orig;
      }
      expect(err).toEqual([`headroom agent: ${msg}`]);
    }
  });
});
