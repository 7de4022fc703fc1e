import type { PlacementAdvice } from '../../shared/domain/placement.js';
import { RefusalError, type PlacementApi } from '../core/ports.js';
import { startWorker } from '../node/workers.js';


/**
 * The console's placement advisor: each query fits profiles in a worker thread from telemetry.db (what the store
 * worker has committed: it waits for it to be idle first), then ranks the free servers (main/app/profiles.ts
 * adviseFromHistory). Without a store (no --db, or playing a recording) it refuses: nothing to learn from.
 */
export function createPlacement(store: { file: string; run: number; idle: () => Promise<void> } | null, why = 'this run stores no history (start it with --db)'): PlacementApi {
  let busy = false;
  return {
    async query(p) {
      if (!store) throw new RefusalError(`placement advice needs stored history: ${why}`);
      if (busy) throw new RefusalError('a placement query is already running; wait for it');
      busy = true;
      try {
        await store.idle();
        const worker = startWorker(import.meta.url, 'placementWorker', { file: store.file, run: store.run, request: { gpus: p.gpus, kind: p.kind, profile: p.profile }, windowS: p.windowS });
        return await new Promise<PlacementAdvice>((resolve, reject) => {
          worker.on('message', (m: { kind: string; advice?: PlacementAdvice; error?: string }) => {
            if (m.kind === 'result') resolve(m.advice!);
            else if (m.kind === 'error') reject(new RefusalError(m.error ?? 'placement failed'));
          });
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`the placement worker stopped (exit ${code})`)));
        }).finally(() => void worker.terminate());
      } finally {
        busy = false;
      }
    },
  };
}
