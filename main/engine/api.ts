import type { Handlers } from '../../shared/contract.js';
import type { RangeSeries } from '../../shared/domain/fleet.js';
import type { DB } from '../store/db.js';
import { queryRange } from '../store/telemetry.js';
import type { Engine } from './engine.js';
import type { Runner } from './runner.js';

/**
 * The contract's engine-side implementation, shared by Electron IPC and the headless server. Payloads arrive
 * validated (see `parseRequest`); these functions only read or steer the engine.
 */
export function createHandlers(rt: { engine: Engine; runner: Runner; readDb: DB | null }): Handlers {
  const { engine, runner } = rt;
  const t = engine.topology;
  return {
    'fleet:topology': () => t,
    'fleet:snapshot': () => (engine.ticks > 0 ? engine.snapshot() : null),
    'status:get': () => runner.status(),
    'alerts:list': (p) => {
      const active = engine.activeAlerts();
      return p.includeResolved ? [...active, ...[...engine.alerts.resolved].reverse()] : active;
    },
    'telemetry:range': (p): RangeSeries => {
      const ids = p.scope === 'site' ? [t.site.id] : p.scope === 'row' ? t.rows.map((r) => r.id) : t.racks.map((r) => r.id);
      if (!rt.readDb) return { scope: p.scope, resS: p.resS, ids, tMs: [], avgKW: ids.map(() => []), maxKW: ids.map(() => []) };
      return queryRange(rt.readDb, p, ids);
    },
    'sim:control': (p) => {
      if (p.action === 'pause') runner.pause();
      else if (p.action === 'resume') runner.resume();
      else runner.setSpeed(p.speed);
      return runner.status();
    },
  };
}
