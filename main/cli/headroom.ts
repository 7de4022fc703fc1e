import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { commandSummary } from '../core/dataLock.js';
import type { RuntimeOptions } from '../app/runtime.js';
import { AGENT_HELP } from './agent.js';
import { AUDIT_HELP, auditCommand } from './audit.js';
import { CERTS_HELP } from './certs.js';
import { HISTORY_HELP } from './historyHelp.js';
import { CONTINGENCY_HELP, DRILL_HELP, PLANT_HELP, USERS_HELP } from './contingencyHelp.js';
import { num, readPem, UsageError } from './usage.js';
import { CONTROLLER_HELP } from './controllerArgs.js';
import { AlertmanagerConfigError, parseAlertmanagerOptions } from '../node/alertmanager.js';

const HELP = `headroom — power- and heat-aware operations console for GPU datacenters

Usage:
  headroom serve [options]     headless server: the console in any browser (HTTP + WebSocket)
      --port N                 port, a decimal integer 0..65535 (default 8080; 0 picks a free one)
      --host ADDR              address to bind (default 127.0.0.1; anything else exposes the console)
      --db FILE                telemetry database (default ./headroom-data/telemetry.db; ":memory:" = no storage);
                               one Headroom per data folder (headroom.lock there names the holder)
      --retain-raw HOURS       keep raw per-GPU samples this long (default 24; rollups: 14 and 400 days)
      --scenario NAME|FILE     simulator scenario (default: the embedded "default")
      --scale N                multiply racks per row of the default site (8 → 10,240 GPUs)
      --seed N                 simulator seed
      --speed X                simulated seconds per wall second (default 1)
      --tapas                  the simulator with TAPAS's levers beside the caps: SaaS requests routed toward thermal
                               and power slack, SaaS instances reconfigured (FP8, a smaller model) before caps
      --murakkab               the simulator with Murakkab's lever beside the caps: under power pressure a row's
                               declared workflows are re-planned (the planner's next-best plan that keeps every SLO)
                               before anything is capped, each re-plan audited
${CONTROLLER_HELP}
      --grid-meter SOURCE      the grid view's source: a power meter at the point of interconnection over Modbus/TCP,
                               modbus://HOST[:PORT]?register=N[&unitId=1][&table=holding|input]
                               [&format=float32|float32le|int32][&scale=W|kW|MW][&hz=20]; or a remedy
                               (none|smoothing|burn|storage|stagger|all): a simulated meter at 100 Hz on the
                               training-swings site; default the site's power summed from the GPUs at 1 Hz (it
                               cannot show the 0.5–20 Hz band)
      --token T                admin access token (default: random, or $HEADROOM_TOKEN)
      --operator-token T       operator token (default: random, or $HEADROOM_OPERATOR_TOKEN)
      --viewer-token T         read-only token (default: random, or $HEADROOM_VIEWER_TOKEN)
      --users FILE             people with their own tokens (headroom users add): the audit names them
      --recording FILE         play back a .headroom recording instead, read-only (nothing is written; --db unused)
      --inventory FILE         watch a REAL fleet instead of the simulator: hosts and GPU UUIDs → rows, racks, slots
      --sources FILE           with --inventory: agents, dcgm-exporters, Prometheus servers to start with
                               (more can be added in Settings → Sources; they are kept in control.db)
      --certs DIR              with --inventory: the site CA and this console's certificate (headroom certs)
      --cert-name NAME         console certificate DIR/console-NAME.crt (default "console")
      --lease-ms N             how long agents hold this console's setpoints without renewal (default 15000)
      --audit-anchor DIR       append a signed head of the audit chain to a log in DIR every N records or S seconds
                               (and at start and stop); DIR must be storage this host cannot rewrite (WORM, another
                               host's append-only share): see docs/SECURITY.md. Check: audit verify --anchors DIR
      --audit-anchor-records N anchor after N new records (default 100)
      --audit-anchor-seconds S anchor every S seconds when the trail grew (default 60)
      --tls-cert FILE          serve https and wss with this certificate (PEM; with --tls-key)
      --tls-key FILE           the certificate's private key (PEM)
      --allow-host NAME        a further name the console is reached by (DNS name, proxy); repeatable. Requests
                               whose Host is not loopback, --host or such a name are refused (DNS rebinding)
      --rate-limit N           requests/s one WebSocket connection or HTTP client may make (default 50; burst 2N);
                               over it a request is refused, and a client that keeps flooding is disconnected
      --alertmanager URL       send firing and resolved alerts to this Prometheus Alertmanager (API v2, e.g.
                               http://alertmanager:9093); firing ones again every 30 s, expiring there after 2 min
  headroom sim --scenario NAME|FILE --duration SECONDS --out report.json [--seed N] [--scale N] [--db FILE]
               [--policy headroom|polca|polca-no-priority|none|tapas|murakkab] [--demand production|bursty] [--compare]
               [--record F.headroom]
                               run a scenario as fast as possible and write a JSON report; --compare adds
                               throughput and p99 latency ratios against an unconstrained run. Default policy:
                               headroom (Headroom's controller); polca is the paper's baseline. Default demand: the
                               scenario's (production: calibrated; bursty: every server in step, a stress profile)
  headroom sim --scenario training-swings --mitigation none|smoothing|burn|storage|stagger|all [--duration S]
               [--seed N] --out report.json
                               a training site at 10 ms steps, unmitigated and with the remedy, judged as a utility
                               would: ramp, swing, share and RMS of the energy in 0.1–20 Hz; energy and throughput cost
  headroom sim --scenario workflows [--planner fixed|best-static|murakkab] [--compare] [--workflows FILE]
               [--duration S] [--seed N] --out report.json
                               a day of declared AI workflows under a planner (default murakkab: hourly, least
                               energy within each SLO); --compare adds the other two; a 20 % budget drop at the peak
  headroom sim --sweep servers=40..60[:STEP] [--duration SECONDS] [--seed N | --seeds A..B]
               [--policies headroom,polca,polca-no-priority,none] [--demand production|bursty] --out sweep.json
                               capacity planner: one row provisioned for 40 servers, filled with more, under each
                               policy (default polca,polca-no-priority,none); with --seeds, brakes per 100 row-hours
                               with a 95 % interval and useful work per kW of budget (see docs/RESULTS.md)
  headroom place --gpus N [--kind iaas|saas] [--profile training|inference] (--db FILE [--run N] |
                 --scenario NAME|FILE [--duration S] [--seed N] [--simulate]) [--stride S] [--top K] [--json] [--out F]
                               where the next N GPUs should go: profiles learned from stored history (or a simulated
                               run), free servers ranked by power and thermal headroom with reasons, beside first
                               fit; --simulate runs both placements in the scenario; exit 1 when they do not fit
                               feasibly (docs/MODEL.md, "Profiles")
${AGENT_HELP}
${CERTS_HELP}
${AUDIT_HELP}
${HISTORY_HELP}
${CONTINGENCY_HELP}
${PLANT_HELP}
${USERS_HELP}
${DRILL_HELP}
  headroom help                this text
  headroom --version

Scenario format: docs/SCENARIOS.md. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input.`;


/**
 * --alertmanager URL, checked. Each alert links back to the console as started: its first --allow-host name, else this
 * host's name when bound to every address, else --host (none with --port 0: the port is not known yet).
 */
function alertmanagerOptions(url: string, at: { host: string; port: number; tls: boolean; 'allow-host'?: string[] }) {
  const host = at['allow-host']?.[0] ?? (['0.0.0.0', '::'].includes(at.host) ? hostname() : at.host.includes(':') ? `[${at.host}]` : at.host);
  try {
    return parseAlertmanagerOptions({ url, ...(at.port > 0 ? { generatorBase: `${at.tls ? 'https' : 'http'}://${host}:${at.port}/` } : {}) });
  } catch (e) {
    throw e instanceof AlertmanagerConfigError ? new UsageError(`--alertmanager: ${e.message.replace(/^alertmanager: /, '')}`) : e;
  }
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: './headroom-data/telemetry.db' },
      scenario: { type: 'string', default: 'default' },
      scale: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string', default: '1' },
      token: { type: 'string' },
      'operator-token': { type: 'string' },
      'viewer-token': { type: 'string' },
      users: { type: 'string' },
      'retain-raw': { type: 'string' },
      inventory: { type: 'string' },
      recording: { type: 'string' },
      tapas: { type: 'boolean', default: false },
      murakkab: { type: 'boolean', default: false },
      'grid-meter': { type: 'string' },
      sources: { type: 'string' },
      certs: { type: 'string' },
      'cert-name': { type: 'string' },
      'lease-ms': { type: 'string' },
      'audit-anchor': { type: 'string' },
      'audit-anchor-records': { type: 'string' },
      'audit-anchor-seconds': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      alertmanager: { type: 'string' },
      controller: { type: 'boolean', default: false },
      etcd: { type: 'string' },
      'controller-id': { type: 'string' },
      'advertise-url': { type: 'string' },
      cluster: { type: 'string' },
      'etcd-lease-s': { type: 'string' },
      'etcd-ca': { type: 'string' },
      'etcd-cert': { type: 'string' },
      'etcd-key': { type: 'string' },
      'etcd-audit-keep': { type: 'string' },
    },
  });
  if (!values['tls-cert'] !== !values['tls-key']) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: readPem(values['tls-cert'], 'tls-cert'), key: readPem(values['tls-key'], 'tls-key') } : undefined;
  const ratePerS = num(values['rate-limit'], 'rate-limit', { min: 1, max: 100_000 });
  // Decimal only: Number() would also take "0x50", "1e3" or " 80".
  if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port must be a decimal integer in 0..65535, got "${values.port}"`);
  if (values.db === '') throw new UsageError('--db needs a file path (or ":memory:")');
  const anchorDir = values['audit-anchor'];
  if (anchorDir === undefined && (values['audit-anchor-records'] || values['audit-anchor-seconds'])) throw new UsageError('--audit-anchor-records and --audit-anchor-seconds need --audit-anchor DIR');
  if (anchorDir !== undefined && (values.recording || values.db === ':memory:')) throw new UsageError('--audit-anchor needs a control.db on disk: not with --recording or --db :memory:');
  if (values.recording && values.inventory) throw new UsageError('--recording plays back a file: it does not take --inventory');
  const { MITIGATIONS } = await import('../../shared/domain/grid.js');
  const gm = values['grid-meter'];
  let gridMeter: import('../../shared/domain/grid.js').MitigationName | { modbus: import('../sources/gridMeter.js').GridMeterSpec } | undefined;
  if (gm?.startsWith('modbus://')) {
    const { parseGridMeterUrl, GridMeterUrlError } = await import('../sources/gridMeter.js');
    try {
      gridMeter = { modbus: parseGridMeterUrl(gm) };
    } catch (e) {
      throw e instanceof GridMeterUrlError ? new UsageError(`--grid-meter: ${e.message}`) : e;
    }
    if (values.recording) throw new UsageError('--grid-meter reads a live meter: not with --recording');
  } else if (gm !== undefined) {
    gridMeter = MITIGATIONS.find((m) => m === gm);
    if (!gridMeter) throw new UsageError(`--grid-meter must be modbus://… or one of ${MITIGATIONS.join(', ')} (a simulated meter), got "${gm}"`);
    if (values.recording || values.inventory) throw new UsageError('--grid-meter with a remedy simulates a grid meter: not with --recording or --inventory');
  }
  if (values.recording && values.alertmanager) throw new UsageError('--alertmanager sends live alerts: not with --recording');
  if (!values.inventory && (values.sources || values.certs || values['cert-name'] || values['lease-ms'])) {
    throw new UsageError('--sources, --certs, --cert-name and --lease-ms need --inventory (a real fleet)');
  }
  const controller = (await import('./controllerArgs.js')).controllerArgs(values);
  // Loaded here, not at the top: `headroom audit` and `help` must work without the engine.
  // People (--users) are read before anything starts: a bad file is one line and exit 2, nothing locked.
  const users = values.users ? (await import('./users.js')).loadUsers(values.users) : null;
  const [{ createRuntime }, { generateToken, startServer }, { limitsFor }] = await Promise.all([
    import('../app/runtime.js'),
    import('../server/server.js'),
    import('../server/limits.js'),
  ]);
  const port = num(values.port, 'port', { int: true, min: 0, max: 65535 })!;
  const speed = num(values.speed, 'speed', { min: 0.1, max: 10000 })!;
  const alertmanager = values.alertmanager !== undefined ? alertmanagerOptions(values.alertmanager, { ...values, port, tls: !!tls }) : undefined;
  const runtimeOptions: RuntimeOptions = {
    scenario: values.scenario,
    scale: num(values.scale, 'scale', { int: true, min: 1, max: 64 }),
    seed: num(values.seed, 'seed', { int: true, min: 0 }),
    speed,
    db: values.db,
    command: commandSummary(['headroom', 'serve', ...args]),
    retainRawHours: num(values['retain-raw'], 'retain-raw', { min: 0.01, max: 24 * 365 }),
    recording: values.recording,
    tapas: values.tapas,
    murakkab: values.murakkab,
    ...(gridMeter ? { gridMeter } : {}),
    alertmanager,
    auditAnchor:
      anchorDir !== undefined
        ? {
            dir: anchorDir,
            everyRecords: num(values['audit-anchor-records'], 'audit-anchor-records', { int: true, min: 1, max: 1_000_000 }),
            everyMs: (num(values['audit-anchor-seconds'], 'audit-anchor-seconds', { min: 1, max: 86_400 }) ?? 60) * 1000,
          }
        : undefined,
    fleet: values.inventory
      ? {
          inventory: values.inventory,
          sources: values.sources,
          certs: values.certs,
          certName: values['cert-name'],
          leaseMs: num(values['lease-ms'], 'lease-ms', { int: true, min: 1000, max: 3_600_000 }),
        }
      : undefined,
  };
  const tokens = {
    admin: values.token ?? process.env.HEADROOM_TOKEN ?? generateToken(),
    operator: values['operator-token'] ?? process.env.HEADROOM_OPERATOR_TOKEN ?? generateToken(),
    viewer: values['viewer-token'] ?? process.env.HEADROOM_VIEWER_TOKEN ?? generateToken(),
  };
  if (new Set(Object.values(tokens)).size !== 3) throw new UsageError('the admin, operator and viewer tokens must differ');
  const staticDir = resolve(packageRoot(), 'dist/renderer');
  const serveOptions = {
    host: values.host,
    port,
    tokens,
    ...(users ? { users } : {}),
    staticDir: existsSync(staticDir) ? staticDir : null,
    limits: limitsFor(ratePerS),
    tls,
    allowedHosts: values['allow-host'] ?? [],
  };
  if (controller) {
    const { serveController } = await import('./controller.js');
    await serveController(controller, runtimeOptions, serveOptions, { createRuntime, startServer });
    return;
  }
  const rt = await createRuntime(runtimeOptions);
  let srv;
  try {
    srv = await startServer({
      host: values.host,
      port,
      tokens,
      ...(users ? { users } : {}),
      handlers: rt.handlers,
      bus: rt.bus,
      staticDir: existsSync(staticDir) ? staticDir : null,
      onRefused: rt.auditRefusal,
      roles: rt.roles,
      limits: limitsFor(ratePerS),
      tls,
      allowedHosts: values['allow-host'] ?? [],
    });
  } catch (e) {
    await rt.close();
    throw new UsageError((e as Error).message);
  }
  rt.runner.start();
  if (!['127.0.0.1', '::1', 'localhost'].includes(values.host)) {
    console.error(`warning: listening on ${values.host}, reachable from other machines; anyone with the token can steer the ${rt.fleet ? 'fleet' : 'simulator'}.`);
    if (!tls) console.error('warning: without --tls-cert/--tls-key the tokens cross the network in clear text.');
  }
  if (!existsSync(staticDir)) console.error('warning: dist/renderer is missing (run npm run build); serving the API only.');
  // Handlers first: whoever reads the URL below may stop us at once, and must get a clean close (lock released).
  const stop = async () => {
    await srv.close();
    await rt.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  console.log(`Headroom serving on ${srv.url}`);
  console.log(`  operator: ${srv.urls.operator}`);
  console.log(`  viewer:   ${srv.urls.viewer}`);
  if (rt.fleet) {
    const v = rt.fleet.sources.view();
    console.log(`  real fleet ${rt.name}: ${rt.engine.topology.gpuCount} GPUs on ${v.inventory?.hosts} hosts, ${v.sources.length} sources, telemetry ${values.db}`);
    if (v.identity && 'error' in v.identity) console.error(`warning: agents cannot be reached: ${v.identity.error}`);
  } else if (values.recording) console.log(`  ${rt.name}: ${rt.engine.topology.gpuCount} GPUs, speed ${speed}×, read-only`);
  else console.log(`  scenario ${rt.name}: ${rt.engine.topology.gpuCount} GPUs, speed ${speed}×, telemetry ${values.db}`);
}

async function replay(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { policy: { type: 'string' }, out: { type: 'string' } } });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('usage: headroom replay F.headroom [--policy headroom|polca|polca-no-priority|none|FILE.json] [--out report.json]');
  const { replayRecording } = await import('./history.js');
  const { writeJsonAtomic } = await import('./sim.js');
  const report = replayRecording(file, values.policy);
  if (values.out) writeJsonAtomic(values.out, report);
  else console.log(JSON.stringify(report, null, 2));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve':
        await serve(rest);
        return -1; // keeps running
      case 'sim':
        await (await import('./simCommand.js')).simCommand(rest);
        return 0;
      case 'audit':
        return auditCommand(rest);
      case 'history':
        return (await import('./history.js')).historyCommand(rest);
      case 'record':
        return (await import('./history.js')).recordCommand(rest);
      case 'recording':
        return (await import('./history.js')).recordingCommand(rest);
      case 'replay':
        return await replay(rest);
      case 'report':
        return (await import('./report.js')).reportCommand(rest);
      case 'place':
        return (await import('./place.js')).placeCommand(rest);
      case 'contingency':
        return (await import('./contingency.js')).contingencyCommand(rest);
      case 'users':
        return (await import('./users.js')).usersCommand(rest);
      case 'drill':
        return (await import('./drill.js')).drillCommand(rest);
      case 'plant':
        return (await import('./plant.js')).plantCommand(rest);
      case 'import':
        return await (await import('./import.js')).importCommand(rest);
      case 'agent': {
        const { runAgent } = await import('./agent.js');
        return runAgent(rest);
      }
      case 'certs': {
        const { runCerts } = await import('./certs.js');
        return runCerts(rest);
      }
      case '--version':
      case 'version':
        console.log((JSON.parse(readFileSync(resolve(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command "${cmd}" (try: headroom help)`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    const usage = e instanceof UsageError || err.name === 'UsageError' || err.name === 'ConfigError' || err.name === 'StoreError' || err.name === 'LockError' || err.name === 'ScenarioError' || err.name === 'RefusalError' || err.name === 'PlantError' || err.code?.startsWith('ERR_PARSE_ARGS');
    console.error(`headroom: ${err.message}`);
    return usage ? 2 : 1;
  }
}
