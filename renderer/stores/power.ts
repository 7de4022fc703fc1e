import { defineStore } from 'pinia';
import { attempt, type Outcome } from '../api/index.js';
import { historyFromRange, type PowerHistory } from '../charts/power.js';
import { useSimNow } from '../composables/simNow.js';
import { useTopologyStore } from './topology.js';

/** Row power history from the telemetry store (`telemetry:range`), for the power chart's backfill. */
export const usePowerStore = defineStore('power', () => {
  const topo = useTopologyStore();
  const simNow = useSimNow();

  /**
   * The last `spanMs` of per-row power (10 s averages, engine clock) as chart history, or null while the topology or
   * the engine's clock are not known yet.
   */
  async function rowHistory(spanMs: number): Promise<Outcome<PowerHistory> | null> {
    const t = topo.topology;
    const now = simNow.value;
    if (!t || !Number.isFinite(now)) return null;
    const r = await attempt('telemetry:range', { scope: 'row', fromMs: now - spanMs, toMs: now, resS: 10 });
    return r.ok ? { ok: true, value: historyFromRange(r.value, t.rows.map((row) => row.id)) } : r;
  }

  return { rowHistory };
});
