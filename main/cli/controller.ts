import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ControllerStatus } from '../../shared/domain/controller.js';
import type { createRuntime as CreateRuntime, RuntimeOptions } from '../app/runtime.js';
import { EventBus } from '../engine/bus.js';
import { ControllerProcess } from '../ha/controller.js';
import { standbyHandlers } from '../ha/standbyFace.js';
import type { ServeOptions, startServer as StartServer } from '../server/server.js';
import type { ControllerArgs } from './controllerArgs.js';
import { UsageError } from './usage.js';

/**
 * `headroom serve --controller`: this process joins a redundant controller set (main/ha/controller.ts). Its face
 * starts at once as a standby's — /api/health, /healthz and /readyz answer, the console says who leads — and
 * becomes the whole console when this controller is elected. SIGTERM hands the lead over cleanly.
 */
export async function serveController(
  c: ControllerArgs,
  ro: RuntimeOptions,
  so: Omit<ServeOptions, 'handlers' | 'bus' | 'controller'>,
  deps: { createRuntime: typeof CreateRuntime; startServer: typeof StartServer },
): Promise<void> {
  if (!ro.db || ro.db === ':memory:') throw new UsageError('--controller keeps a replica of the operator state and audit chain: it needs --db on disk');
  const controlDbFile = ro.controlDb ?? join(dirname(ro.db), 'control.db');
  const log = ro.log ?? ((line: string) => console.error(line));
  const bus = new EventBus();
  let cp: ControllerProcess | null = null;
  const connecting: ControllerStatus = { self: c.id, role: 'connecting', leader: null, leaderUrl: null, epoch: null, sinceMs: null, peers: [], etcd: { endpoints: c.endpoints, reachable: false }, failovers: [], replication: { auditSeq: 0, stateAtMs: null, lagRecords: 0 } };
  const status = () => cp?.status() ?? connecting;
  let srv;
  try {
    srv = await deps.startServer({ ...so, handlers: standbyHandlers(status), bus, controller: status });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const url = c.url ?? new URL(srv.url).origin;
  const server = srv;
  try {
    mkdirSync(dirname(controlDbFile), { recursive: true });
    cp = new ControllerProcess({
    id: c.id,
    url,
    endpoints: c.endpoints,
    cluster: c.cluster,
    ttlS: c.ttlS,
    ...(c.tls ? { tls: c.tls } : {}),
    ...(c.auditKeep ? { auditKeep: c.auditKeep } : {}),
    controlDbFile,
    log,
    bus,
    onFace: (f) => server.setFace(f),
    startRuntime: (ha) => deps.createRuntime({ ...ro, controlDb: controlDbFile, fleet: ro.fleet ? { ...ro.fleet, fencing: ha.fencing } : undefined, controller: ha.controller, bus: ha.bus, log }),
    });
  } catch (e) {
    await server.close();
    throw e;
  }
  const proc = cp;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await proc.stop().catch((e: Error) => log(`controller ${c.id}: ${e.message}`));
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  console.log(`Headroom serving on ${srv.url} (controller ${c.id}: standby until elected)`);
  console.log(`  operator: ${srv.urls.operator}`);
  console.log(`  viewer:   ${srv.urls.viewer}`);
  console.log(`  set "${c.cluster}" on etcd ${c.endpoints.join(', ')}, lease ${c.ttlS} s, announced as ${url}`);
  await proc.start();
}
