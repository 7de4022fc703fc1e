import type { PlacementAdvice, RackProfileView, SiteForecast } from '../../shared/domain/placement.js';
import { RefusalError, type PlacementApi } from '../core/ports.js';
import { startWorker } from '../node/workers.js';

type Store = { file: string; run: number; idle: () => Promise<void> };

/**
 * The console's placement advisor and rack profiles: each query fits profiles in a worker thread from telemetry.db
 * (what the store worker has committed: it waits for it to be idle first) — the advice ranks the free servers
 * (main/app/profiles.ts adviseFromHistory), a rack profile explains one rack (rackProfileFromHistory), a forecast
 * gives every rack's predicted pressure (forecastFromHistory). One query of
 * each kind at a time. Without a store (no --db, or playing a recording) both refuse: nothing to learn from.
 */
export function createPlacement(store: Store | null, why = 'this run stores no history (start it with --db)'): PlacementApi {
  const busy = { advice: false, rack: false, forecast: false };
  async function ask<T>(what: keyof typeof busy, label: string, data: object): Promise<T> {
    if (!store) throw new RefusalError(`${label} needs stored history: ${why}`);
    if (busy[what]) throw new RefusalError(`a ${label} query is already running; wait for it`);
    busy[what] = true;
    try {
      await store.idle();
      const worker = startWorker(import.meta.url, 'placementWorker', { file: store.file, run: store.run, ...data });
      return await new Promise<T>((resolve, reject) => {
        worker.on('message', (m: { kind: string; value?: T; error?: string }) => {
          if (m.kind === 'result') resolve(m.value!);
          else if (m.kind === 'error') reject(new RefusalError(m.error ?? `${label} failed`));
        });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the ${label} worker stopped (exit ${code})`)));
      }).finally(() => void worker.terminate());
    } finally {
      busy[what] = false;
    }
  }
  return {
    query: (p) => ask<PlacementAdvice>('advice', 'placement advice', { request: { gpus: p.gpus, kind: p.kind, profile: p.profile }, windowS: p.windowS }),
    rackProfile: (p) => ask<RackProfileView>('rack', 'rack profile', { rack: p.rack, windowS: p.windowS }),
    forecast: (p) => ask<SiteForecast>('forecast', 'forecast', { forecast: true, windowS: p.windowS }),
  };
}
