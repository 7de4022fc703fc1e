import { powerLimitCall, readSmiLog, startAgentProcess } from '../test/support/hostAgents.js';
import type { SoakPart, SoakSection } from './types.js';
import { quantile } from './util.js';
import { AGENT_READY_TIMEOUT_MS, BOUNDS, CALL_BUDGET_MS, firstAll, GPUS, HOSTS, INTERVAL_MS, LEASE_MS, leaseLapse, limits, LOAD_BUDGET_MS, plCalls, poll, RAISED_W, RESTART_SEC_MS, SAFE_CAP_BATCH_BUDGET_MS, SAFE_CAP_W, sleep, sourceHealth, START_UP_BUDGET_MS, startKillRig, steady, type HostRig, type KillRig } from './killRig.js';

/**
 * Process kills against real processes: `headroom agent` (nvidia-smi backend, driving the stand-in nvidia-smi whose
 * state file keeps each GPU's limit across agent restarts, as the driver does) on two hosts of 8 GPUs, and
 * `headroom serve --inventory` holding their leases, with the GPUs above the safe cap. The GPUs start where an earlier
 * run left them (550 W); each agent puts them at its safe cap (400 W) at start-up, and the console raises them to the
 * default limit (700 W) as a staggered release, the row budget allowing it: POLCA leaves them there, leased.
 *
 * A. Agent SIGKILL: SIGKILL one agent's process group, check the driver kept the above-safe limit, restart it as
 *    systemd does (`Restart=always`, `RestartSec=1`: 1 s after the exit), and time SIGKILL → every GPU of the host at
 *    ≤ the safe cap (replaying the stand-in's log of `-pl` calls), against RestartSec + the agent's start-up. The
 *    console must reconnect, read the agent again and hold its lease again (its setpoints back). Reported, not
 *    checked: the `-pl` calls the console's re-sends cost, on the restarted host and the other one.
 * B. Console SIGKILL: time SIGKILL → every GPU of every agent at ≤ the safe cap, against lease + interval + one
 *    safe-cap batch (8 `-pl` calls in a row). Restart the console on the same data folder: no GPU may go above the
 *    safe cap before the restarted console has a fresh reading from its agent (first limit-raising `-pl` after the
 *    restart vs. the console's first sample from that agent, as `sources:list` reports it).
 *
 * One rig (certificates, two agents, one console) serves every repetition; each repetition starts from the same
 * verified state — every GPU above the safe cap, both hosts leased by the console — and is measured on its own.
 */

export interface AgentKillResult {
  host: string;
  /** The host's limits just before and just after the SIGKILL (the driver keeps them). */
  limitsBefore: number[];
  limitsAfterKill: number[];
  /** SIGKILL → every GPU of the host at ≤ the safe cap (ms); null: not within the wait. */
  recoveryMs: number | null;
  /** Every GPU at ≤ the safe cap before the restarted agent listened (printed "control on"). */
  safeBeforeListening: boolean;
  /** The parts: exit seen → respawn (RestartSec), respawn → first nvidia-smi call (Node + CLI), discovery, safe-cap batch. */
  restartSecMs: number;
  cliLoadMs: number | null;
  discoveryMs: number | null;
  safeCapBatchMs: number | null;
  /** SIGKILL → the console's first sample from the restarted agent, and → every GPU back above the safe cap (re-applied). */
  reconnectMs: number | null;
  reappliedMs: number | null;
  /** The console holds this host's lease again. */
  leasedAgain: boolean;
  /** `-pl` calls on the other host during the repetition (its setpoints re-sent: none needed), and those not to 700 W. */
  otherHostPlCalls: number;
  otherHostLeftRaised: number;
  /** Limit-raising `-pl` calls on the restarted host once the safe cap was on (8 needed: the rest are re-sends). */
  raisedCalls: number;
  violations: string[];
}

/** One repetition of A on host `k` (0 or 1). */
export async function agentKillOnce(rig: KillRig, k: number): Promise<AgentKillResult> {
  await steady(rig);
  const h = rig.hosts[k]!;
  const other = rig.hosts[1 - k]!;
  const violations: string[] = [];
  const limitsBefore = limits(h);
  const tKill = Date.now();
  const exitMs = await h.agent!.kill();
  const limitsAfterKill = limits(h);
  if (!limitsAfterKill.every((w) => w > SAFE_CAP_W)) violations.push(`the driver did not keep the limits after SIGKILL: ${limitsAfterKill.join(' ')} W`);
  // systemd: the main process exited → RestartSec → start the unit again.
  await sleep(RESTART_SEC_MS - (Date.now() - exitMs));
  const tSpawn = Date.now();
  h.agent = await startAgentProcess(h.args, h.env, AGENT_READY_TIMEOUT_MS);
  const tListening = Date.now();
  // The console reconnects (backoff 1 s, 2 s, 4 s…), reads the restarted agent and re-applies its setpoints: watched
  // from now on, beside the call log.
  let reconnectMs: number | null = null;
  const back = poll(async () => {
    const s = (await sourceHealth(rig.console!).catch(() => null))?.get(h.host);
    const sampleMs = s && s.state !== 'down' ? s.atMs - s.lastSampleAgeMs : -Infinity;
    if (reconnectMs === null && sampleMs > tSpawn) reconnectMs = Math.round(sampleMs - tKill);
    return sampleMs > tSpawn && /lease leased/.test(s?.detail ?? '') ? s : undefined;
  }, 40_000);
  const safe = await poll(() => firstAll(readSmiLog(h.logFile), h.uuids, limitsAfterKill, tKill, (w) => w <= SAFE_CAP_W) ?? undefined, BOUNDS.agentRecoveryMs + 10_000);
  const calls = readSmiLog(h.logFile).filter((c) => c.startMs >= tSpawn);
  const firstPl = calls.find((c) => powerLimitCall(c) !== null);
  const discoveryEnd = firstPl ? Math.max(...calls.filter((c) => c.startMs < firstPl.startMs).map((c) => c.endMs)) : null;
  const recoveryMs = safe ? safe.endMs - tKill : null;
  if (recoveryMs === null) violations.push(`${h.host}: GPUs not at ≤ ${SAFE_CAP_W} W within ${BOUNDS.agentRecoveryMs + 10_000} ms of SIGKILL: ${limits(h).join(' ')} W`);
  else if (recoveryMs > BOUNDS.agentRecoveryMs) violations.push(`${h.host}: safe cap back ${recoveryMs} ms after SIGKILL, over the ${BOUNDS.agentRecoveryMs} ms bound`);
  // The agent puts its GPUs at the safe cap before it listens: no console can act on them before that.
  const safeBeforeListening = safe !== undefined && safe.endMs <= tListening;
  if (safe && !safeBeforeListening) violations.push(`${h.host}: the restarted agent listened before every GPU was at the safe cap`);
  // Every GPU above the safe cap again, from the call log (the stand-in writes its state before it logs the call).
  const reapplied = safe ? await poll(() => firstAll(readSmiLog(h.logFile), h.uuids, h.uuids.map(() => SAFE_CAP_W), safe.endMs, (w) => w > SAFE_CAP_W) ?? undefined, 30_000) : undefined;
  if (!(await back) || !reapplied) violations.push(`${h.host}: the console did not read the restarted agent, re-apply its setpoints and hold its lease again`);
  // Not a guarantee, a symptom: the console re-sends a host's setpoints in full while an earlier batch still runs.
  const otherHostPlCalls = plCalls(readSmiLog(other.logFile), tKill, () => true).length;
  const otherHostLeftRaised = plCalls(readSmiLog(other.logFile), tKill, (w) => w !== RAISED_W).length;
  const raisedCalls = safe ? plCalls(readSmiLog(h.logFile), safe.endMs, (w) => w > SAFE_CAP_W).length : 0;
  return {
    host: h.host,
    limitsBefore,
    limitsAfterKill,
    recoveryMs,
    safeBeforeListening,
    restartSecMs: tSpawn - exitMs,
    cliLoadMs: calls[0] ? calls[0].startMs - tSpawn : null,
    discoveryMs: calls[0] && discoveryEnd !== null ? discoveryEnd - calls[0].startMs : null,
    safeCapBatchMs: safe && discoveryEnd !== null ? safe.endMs - discoveryEnd : null,
    reconnectMs,
    reappliedMs: reapplied ? reapplied.endMs - tKill : null,
    leasedAgain: (await back) !== undefined && reapplied !== undefined,
    otherHostPlCalls,
    otherHostLeftRaised,
    raisedCalls,
    violations,
  };
}

// ---------------------------------------------------------------- B. console SIGKILL

export interface ConsoleKillResult {
  /** SIGKILL → every GPU of every agent at ≤ the safe cap (ms); null: not within the wait. */
  safeMs: number | null;
  /** Per host: SIGKILL → its lease lapsing (/metrics), and the safe-cap batch that follows (lapse → last `-pl` end). */
  lapseDecisionMs: Record<string, number | null>;
  batchMs: Record<string, number | null>;
  /** Restart → the console serving again; → its first sample per host (sources:list). */
  restartServingMs: number;
  firstSampleMs: Record<string, number | null>;
  /** Per host: the first limit-raising `-pl` after the restart, relative to the console's first sample (ms; > 0: after). */
  raiseAfterSampleMs: Record<string, number | null>;
  /** Limit-raising `-pl` calls that started before the console's first sample from that host (none allowed). */
  uncapsBeforeReadings: number;
  /** First raise → every GPU of both hosts above the safe cap again (the staggered release). */
  releaseSpreadMs: number | null;
  violations: string[];
}

export async function consoleKillOnce(rig: KillRig): Promise<ConsoleKillResult> {
  await steady(rig);
  const violations: string[] = [];
  // When each agent lets the lease lapse: its /metrics says lease_active 0 (the mode flips as the safe cap starts).
  const lapsedAt = rig.hosts.map((h) => leaseLapse(h, LEASE_MS + 20_000));
  const tKill = Date.now();
  await rig.console!.kill();
  const start = rig.hosts.map((h) => limits(h));
  const wait = BOUNDS.consoleLapseMs + 10_000;
  const safe = await Promise.all(rig.hosts.map((h, i) => poll(() => firstAll(readSmiLog(h.logFile), h.uuids, start[i]!, tKill, (w) => w <= SAFE_CAP_W) ?? undefined, wait)));
  const decided = await Promise.all(lapsedAt);
  const lapseDecisionMs: Record<string, number | null> = {};
  const batchMs: Record<string, number | null> = {};
  for (const [i, h] of rig.hosts.entries()) {
    const d = decided[i]!;
    lapseDecisionMs[h.host] = d === undefined ? null : d - tKill;
    batchMs[h.host] = d !== undefined && safe[i] ? safe[i].endMs - d : null;
    if (!safe[i]) violations.push(`${h.host}: GPUs not at ≤ ${SAFE_CAP_W} W within ${wait} ms of the console's SIGKILL: ${limits(h).join(' ')} W`);
    if (d === undefined) violations.push(`${h.host}: its lease did not lapse (lease_active stayed 1 in /metrics)`);
    else if (d - tKill > BOUNDS.lapseDecisionMs) violations.push(`${h.host}: the lease lapsed ${d - tKill} ms after SIGKILL, over lease + interval (${BOUNDS.lapseDecisionMs} ms)`);
    const b = batchMs[h.host];
    if (b !== null && b !== undefined && b > SAFE_CAP_BATCH_BUDGET_MS) violations.push(`${h.host}: the safe-cap batch took ${b} ms, over its ${SAFE_CAP_BATCH_BUDGET_MS} ms budget`);
  }
  const safeMs = safe.every((x) => x) ? Math.max(...safe.map((x) => x!.endMs)) - tKill : null;
  if (safeMs !== null && safeMs > BOUNDS.consoleLapseMs) violations.push(`every GPU at the safe cap ${safeMs} ms after SIGKILL, over the ${BOUNDS.consoleLapseMs} ms bound`);

  // Restart on the same data folder (the kill left its lock behind; the new console takes it over).
  const tRestart = Date.now();
  const c = await rig.startConsole();
  const restartServingMs = Date.now() - tRestart;
  const firstSample: Record<string, number | null> = Object.fromEntries(rig.hosts.map((h) => [h.host, null]));
  const sampled = await poll(async () => {
    const health = await sourceHealth(c);
    for (const h of rig.hosts) {
      const s = health.get(h.host);
      // The newest sample at the first answer that has one: at or after the first (later is stricter below).
      if (firstSample[h.host] === null && s && s.state !== 'down') firstSample[h.host] = s.atMs - s.lastSampleAgeMs;
    }
    return rig.hosts.every((h) => firstSample[h.host] !== null);
  }, 30_000, 50);
  if (!sampled) violations.push(`the restarted console did not read every agent within 30 s`);
  // What it does then: the agents report their safe cap; the controller adopts it and raises it as a staggered release.
  const raisedBy = (h: HostRig) => firstAll(readSmiLog(h.logFile), h.uuids, h.uuids.map(() => SAFE_CAP_W), tRestart, (w) => w > SAFE_CAP_W);
  const raised = await poll(() => rig.hosts.every((h) => raisedBy(h) !== null), 30_000);
  if (!raised) violations.push(`the restarted console did not release the safe cap within 30 s: ${rig.hosts.map((h) => limits(h).join(' ')).join('; ')}`);
  const raiseAfterSampleMs: Record<string, number | null> = {};
  let uncapsBeforeReadings = 0;
  const raises: number[] = [];
  const lastRaise: number[] = [];
  for (const h of rig.hosts) {
    const up = plCalls(readSmiLog(h.logFile), tRestart, (w) => w > SAFE_CAP_W);
    const seen = firstSample[h.host] ?? Infinity;
    const early = up.filter((x) => x.startMs <= seen);
    uncapsBeforeReadings += early.length;
    if (early.length) violations.push(`${h.host}: ${early.length} limit(s) raised above ${SAFE_CAP_W} W before the restarted console's first reading of it (first at ${early[0]!.startMs - seen} ms)`);
    raiseAfterSampleMs[h.host] = up[0] && firstSample[h.host] !== null ? Math.round(up[0].startMs - firstSample[h.host]!) : null;
    if (up[0]) raises.push(up[0].startMs);
    const all = raisedBy(h);
    if (all) lastRaise.push(all.endMs);
  }
  const firstSampleMs = Object.fromEntries(Object.entries(firstSample).map(([k, v]) => [k, v === null ? null : Math.round(v - tRestart)]));
  return {
    safeMs,
    lapseDecisionMs,
    batchMs,
    restartServingMs,
    firstSampleMs,
    raiseAfterSampleMs,
    uncapsBeforeReadings,
    releaseSpreadMs: raises.length && lastRaise.length === rig.hosts.length ? Math.max(...lastRaise) - Math.min(...raises) : null,
    violations,
  };
}

// ---------------------------------------------------------------- the soak part

const nums = (xs: ReadonlyArray<number | null | undefined>) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
/** Seconds with 2 decimals, or "n/a" where nothing was measured. */
const sec = (ms: number | null | undefined): number | string => (typeof ms === 'number' && Number.isFinite(ms) ? Math.round(ms / 10) / 100 : 'n/a');
const p50 = (xs: readonly number[]) => sec(quantile(xs, 0.5));
const max = (xs: readonly number[]) => sec(xs.length ? Math.max(...xs) : NaN);
const min = (xs: readonly number[]) => sec(xs.length ? Math.min(...xs) : NaN);

export const agentKills: SoakPart = async (o): Promise<SoakSection> => {
  const t0 = performance.now();
  const n = o.quick ? 3 : 20;
  const a: AgentKillResult[] = [];
  const b: ConsoleKillResult[] = [];
  const errors: string[] = [];
  let rig: KillRig | null = null;
  try {
    rig = await startKillRig(o.log);
    for (let i = 0; i < n; i++) {
      const r = await agentKillOnce(rig, i % 2);
      a.push(r);
      const parts = `Node + CLI ${sec(r.cliLoadMs)} + discovery ${sec(r.discoveryMs)} + safe cap ${sec(r.safeCapBatchMs)} s`;
      o.log(`A ${i + 1}/${n} ${r.host}: safe cap back ${sec(r.recoveryMs)} s after SIGKILL (RestartSec ${sec(r.restartSecMs)} + ${parts}); console read it again at ${sec(r.reconnectMs)} s${r.violations.length ? `; ${r.violations.join('; ')}` : ''}`);
    }
    for (let i = 0; i < n; i++) {
      const r = await consoleKillOnce(rig);
      b.push(r);
      const lapsed = Object.values(r.lapseDecisionMs).map(sec).join(' / ');
      const raised = Object.values(r.raiseAfterSampleMs).map(sec).join(' / ');
      o.log(`B ${i + 1}/${n}: leases lapsed ${lapsed} s after SIGKILL, every GPU at the safe cap at ${sec(r.safeMs)} s; restarted console raised limits ${raised} s after its first reading${r.violations.length ? `; ${r.violations.join('; ')}` : ''}`);
    }
  } catch (e) {
    errors.push((e as Error).message.split('\n')[0]!);
    o.log(`failed: ${(e as Error).message}`);
  } finally {
    await rig?.close();
  }
  const rec = nums(a.map((r) => r.recoveryMs));
  const startUp = nums(a.map((r) => (r.recoveryMs === null ? null : r.recoveryMs - r.restartSecMs)));
  const reconnect = nums(a.map((r) => r.reconnectMs));
  const safe = nums(b.map((r) => r.safeMs));
  const lapse = nums(b.flatMap((r) => Object.values(r.lapseDecisionMs)));
  const batch = nums(b.flatMap((r) => Object.values(r.batchMs)));
  const gap = nums(b.flatMap((r) => Object.values(r.raiseAfterSampleMs)));
  const spread = nums(b.map((r) => r.releaseSpreadMs));
  const uncaps = b.reduce((x, r) => x + r.uncapsBeforeReadings, 0);
  const kept = a.filter((r) => r.limitsAfterKill.every((w) => w > SAFE_CAP_W)).length;
  const violations = [...a.flatMap((r) => r.violations), ...b.flatMap((r) => r.violations), ...errors];
  const pass = violations.length === 0 && a.length === n && b.length === n;
  const figures = {
    repetitions: n,
    hosts: HOSTS.length,
    gpusPerHost: GPUS,
    safeCapW: SAFE_CAP_W,
    leaseMs: LEASE_MS,
    intervalMs: INTERVAL_MS,
    restartSecMs: RESTART_SEC_MS,
    driverKeptLimit: kept === a.length && a.length > 0,
    agentRecoveryP50S: p50(rec),
    agentRecoveryMaxS: max(rec),
    agentRecoveryBoundS: BOUNDS.agentRecoveryMs / 1000,
    agentStartUpP50S: p50(startUp),
    agentStartUpMaxS: max(startUp),
    safeCapBeforeListening: a.length > 0 && a.every((r) => r.safeBeforeListening),
    reappliedCallsMax: Math.max(0, ...a.map((r) => r.raisedCalls)),
    otherHostPlCalls: a.reduce((x, r) => x + r.otherHostPlCalls, 0),
    consoleBackP50S: p50(reconnect),
    consoleBackMaxS: max(reconnect),
    consoleLapseP50S: p50(safe),
    consoleLapseMaxS: max(safe),
    consoleLapseBoundS: BOUNDS.consoleLapseMs / 1000,
    leaseLapseMaxS: max(lapse),
    safeCapBatchP50S: p50(batch),
    safeCapBatchMaxS: max(batch),
    uncapsBeforeReadings: uncaps,
    raiseAfterFirstReadingMinS: min(gap),
    releaseSpreadMaxS: max(spread),
    violations: violations.length,
  };
  const lines = [
    `Real processes on loopback: \`headroom agent\` (nvidia-smi backend) on ${HOSTS.length} hosts × ${GPUS} GPUs, driving the stand-in nvidia-smi (a Node process per call; its state file keeps each limit across agent restarts, as the driver does), and \`headroom serve --inventory --lease-ms ${LEASE_MS}\` holding their leases with every GPU at ${RAISED_W} W, above the ${SAFE_CAP_W} W safe cap (the console raises the agents' safe cap to the default limit when the row budget allows). Reading interval ${INTERVAL_MS} ms. ${n} repetitions of each kill. Times run from the SIGKILL to the end of the last \`-pl\` call that left every GPU at ≤ the safe cap (the stand-in's call log). Budgets: ${CALL_BUDGET_MS} ms per nvidia-smi call and ${LOAD_BUDGET_MS / 1000} s for Node and the CLI, for the shared 2-core VM (a real \`nvidia-smi -pl\` took 33–36 ms on the H200).`,
    `- **Agent SIGKILL** (its process group), restarted as systemd does (\`Restart=always\`, \`RestartSec=${RESTART_SEC_MS / 1000}\`): the driver kept the above-safe limit in ${kept}/${a.length}; every GPU of the host back at ≤ the safe cap p50 ${p50(rec)} s, max ${max(rec)} s after the kill (bound: RestartSec + start-up = ${RESTART_SEC_MS / 1000} + ${START_UP_BUDGET_MS / 1000} s; the start-up — Node, discovery's ${2 + GPUS} calls, the safe cap's ${GPUS} — took p50 ${p50(startUp)} s, max ${max(startUp)} s), before the agent listened in ${a.filter((r) => r.safeBeforeListening).length}/${a.length}. The console read the restarted agent again p50 ${p50(reconnect)} s, max ${max(reconnect)} s after the kill (reconnect backoff 1, 2, 4, 8 s), re-applied its setpoints and held its lease again in ${a.filter((r) => r.leasedAgain).length}/${a.length}. Not a guarantee but seen: up to ${Math.max(0, ...a.map((r) => r.raisedCalls))} limit-raising \`-pl\` calls on the restarted host where ${GPUS} suffice (the console re-sends the whole set while its first re-apply still runs), and ${a.reduce((x, r) => x + r.otherHostPlCalls, 0)} \`-pl\` calls on the other host (${a.reduce((x, r) => x + r.otherHostLeftRaised, 0)} of them away from ${RAISED_W} W).`,
    `- **Console SIGKILL**: both agents let the lease lapse at most ${max(lapse)} s after the kill (bound: lease + interval = ${BOUNDS.lapseDecisionMs / 1000} s; from their /metrics); every GPU of both at ≤ the safe cap p50 ${p50(safe)} s, max ${max(safe)} s (bound: lease + interval + one safe-cap batch of ${GPUS} calls = ${BOUNDS.consoleLapseMs / 1000} s; the batch took p50 ${p50(batch)} s, max ${max(batch)} s here).`,
    `- **No uncap on restart**: the console restarted on the same data folder (taking over the lock the kill left); limit-raising \`-pl\` calls before its first reading of that agent: ${uncaps}. It then adopted the safe cap it read and raised each GPU to ${RAISED_W} W as a staggered release, the first at least ${min(gap)} s after its first reading (the in-band actuation delay is 1 s), all ${HOSTS.length * GPUS} within ${max(spread)} s of the first raise (one 5 s change interval + actuation).`,
    ...(violations.length ? [`- **Failed**: ${violations.slice(0, 5).join('; ')}${violations.length > 5 ? ` (+${violations.length - 5} more)` : ''}`] : []),
  ];
  return { id: 'agentKills', title: 'Process kills: agent and console SIGKILL', pass, figures, lines, wallS: Math.round((performance.now() - t0) / 100) / 10 };
};
