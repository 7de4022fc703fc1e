import { PolicyConfigSchema } from '../../shared/domain/control.js';
import type { ReplayJob, ReplayResult } from '../../shared/domain/replay.js';
import { RefusalError, type ReplayApi } from '../core/ports.js';
import { startWorker } from '../node/workers.js';
import { replayInfo, replayPlan, type ReplayPlan } from './replay.js';

/** Replays for a console playing a recording: one at a time, each in a worker thread, polled for progress. */
export function createReplays(file: string | null): ReplayApi {
  let plan: ReplayPlan | null | { error: string } = null;
  const jobs = new Map<string, ReplayJob>();
  let seq = 0;
  const load = (): ReplayPlan | { error: string } => {
    if (plan) return plan;
    if (!file) return (plan = { error: 'replay plays a saved incident: save one (Save incident…) and open it' });
    try {
      return (plan = replayPlan(file));
    } catch (e) {
      return (plan = { error: e instanceof Error ? e.message : String(e) });
    }
  };
  return {
    info() {
      const p = load();
      return 'error' in p ? { available: false, reason: p.error } : replayInfo(p);
    },
    start(req) {
      const p = load();
      if ('error' in p) throw new RefusalError(p.error);
      const running = [...jobs.values()].find((j) => j.state === 'running');
      if (running) throw new RefusalError(`a replay is already running (${Math.round((running.doneS / Math.max(1, running.totalS)) * 100)} %); wait for it to finish`);
      const parsed = PolicyConfigSchema.safeParse(req.config ?? p.config);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new RefusalError(`policy: ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`);
      }
      const id = `replay-${++seq}`;
      const job: ReplayJob = { id, state: 'running', doneS: 0, totalS: (p.kind === 'fleet' ? 4 : 2) * ((p.toMs - p.startMs) / 1000), startedAtMs: Date.now(), result: null, error: null };
      jobs.set(id, job);
      // Keep the last few jobs only.
      for (const k of [...jobs.keys()].slice(0, -4)) jobs.delete(k);
      const worker = startWorker(import.meta.url, 'replayWorker', { file: file!, policy: req.policy, config: parsed.data });
      const fail = (msg: string) => {
        if (job.state !== 'running') return;
        job.state = 'failed';
        job.error = msg;
      };
      worker.on('message', (m: { kind: 'progress'; doneS: number; totalS: number } | { kind: 'result'; result: ReplayResult } | { kind: 'error'; error: string }) => {
        if (m.kind === 'progress') {
          job.doneS = m.doneS;
          job.totalS = m.totalS;
        } else if (m.kind === 'result') {
          job.state = 'done';
          job.doneS = job.totalS;
          job.result = m.result;
          void worker.terminate();
        } else fail(m.error);
      });
      worker.once('error', (e) => fail(e.message));
      worker.once('exit', (code) => fail(`the replay worker stopped (exit ${code})`));
      return { ...job };
    },
    status(id) {
      const j = jobs.get(id);
      if (!j) throw new RefusalError(`no replay ${id}`);
      return { ...j };
    },
  };
}
