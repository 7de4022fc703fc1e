import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentKillOnce, consoleKillOnce } from '../../../soak/agentKills.js';
import { BOUNDS, SAFE_CAP_W, startKillRig, type KillRig } from '../../../soak/killRig.js';

/**
 * One repetition of each process kill of `npm run soak` (soak/agentKills.ts), against real processes: two
 * `headroom agent` hosts (nvidia-smi backend, 8 GPUs each on the stand-in nvidia-smi, whose state file keeps the
 * limits across agent restarts as the driver does) and `headroom serve --inventory --lease-ms 5000` holding their
 * leases with every GPU at 700 W, above the 400 W safe cap.
 * - Agent SIGKILL, restarted as systemd does (RestartSec=1): the driver keeps 700 W; the restarted agent puts every GPU
 *   at the safe cap before it listens, within RestartSec + start-up; the console reads it again, re-applies 700 W and
 *   holds its lease.
 * - Console SIGKILL: both agents let the lease lapse within lease + interval and put every GPU at the safe cap; the
 *   console restarted on the same data folder raises no limit before it has read that agent.
 */
let rig: KillRig | undefined;

beforeAll(async () => {
  rig = await startKillRig();
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

describe('process kills: agent and console SIGKILL with real processes', () => {
  it('agent SIGKILL + restart: the safe cap is back within RestartSec + start-up, then the console re-leases', async () => {
    const r = await agentKillOnce(rig!, 0);
    const detail = JSON.stringify(r);
    expect(r.limitsBefore.every((w) => w > SAFE_CAP_W), detail).toBe(true);
    expect(r.limitsAfterKill, 'the driver keeps the limit when the agent dies').toEqual(r.limitsBefore);
    // The restarted agent's first act: every GPU at the safe cap, before it listens (before any console can act).
    expect(r.safeBeforeListening, `every GPU at ≤ ${SAFE_CAP_W} W before the restarted agent listened: ${detail}`).toBe(true);
    expect(r.recoveryMs, detail).toBeLessThanOrEqual(BOUNDS.agentRecoveryMs);
    // Then the console reads it again, re-applies its setpoints and holds the lease.
    expect(r.leasedAgain, detail).toBe(true);
    expect(r.reappliedMs!, detail).toBeGreaterThan(r.recoveryMs!);
    expect(r.violations).toEqual([]);
  }, 90_000);

  it('console SIGKILL: every GPU of both agents at the safe cap within lease + interval + one batch; no uncap on restart', async () => {
    const r = await consoleKillOnce(rig!);
    const detail = JSON.stringify(r);
    expect(r.safeMs, detail).not.toBeNull();
    expect(r.safeMs!, detail).toBeLessThanOrEqual(BOUNDS.consoleLapseMs);
    for (const ms of Object.values(r.lapseDecisionMs)) expect(ms, detail).toBeLessThanOrEqual(BOUNDS.lapseDecisionMs);
    expect(r.uncapsBeforeReadings, detail).toBe(0);
    // It then releases the safe cap, after reading each agent (one in-band actuation delay at least).
    for (const ms of Object.values(r.raiseAfterSampleMs)) expect(ms!, detail).toBeGreaterThan(0);
    expect(r.violations).toEqual([]);
  }, 90_000);
});
