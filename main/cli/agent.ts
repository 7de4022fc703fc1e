import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HostSchema } from '../../shared/agentProtocol.js';
import type { HostAgent as HostAgentClass } from '../agent/agent.js';
import type { Listen } from '../agent/listen.js';
import { DEFAULT_ADMISSION, type AdmissionLimits } from '../agent/admission.js';
import { num, UsageError } from './usage.js';

export const AGENT_HELP = `  headroom agent --certs DIR [options]
                               the host agent: runs on each GPU host, streams readings to consoles over mutual TLS,
                               applies their leased power limits and clock locks, falls back to a safe cap when the
                               lease lapses (and at start-up), serves read-only /metrics in dcgm-exporter's names
      --host NAME              this host's name as in the inventory and its certificate (default: the OS host name)
      --certs DIR              holds ca.crt and agent-NAME.crt/.key (\`headroom certs agent --host NAME\`)
      --backend nvidia-smi|sim nvidia-smi (default; needs root to act) or a simulated host
      --nvidia-smi PATH        the nvidia-smi executable (default: nvidia-smi on PATH)
      --read-only              never act on the GPUs (no root needed); commands are refused
      --state-dir DIR          where the agent keeps each console's audit chain head (audit-heads.json: a console whose
                               chain went back or forked is refused) and its log of countersigned heads for auditors
                               (audit-heads.jsonl), and the highest controller epoch it acted for (epoch.json: commands
                               of a deposed controller leader are refused); must survive restarts and stay out of the
                               console host's reach (default: state/HOST under --certs; with --hosts, DIR/HOST each)
      --listen HOST:PORT       control channel, TLS with client certificates (default 0.0.0.0:9443)
      --metrics-listen HOST:PORT
                               plain-HTTP /metrics for Prometheus (default 127.0.0.1:9410; "off" disables)
      --safe-cap-w W           power limit per GPU when no lease holds (W, clamped to each GPU's range)
      --safe-cap-pct P         … or as a percentage of each GPU's max limit (default 70)
      --interval-ms N          reading interval (default 1000)
      --max-lease-ms N         longest lease a console may ask for (default 60000)
      --max-skew-ms N          clock skew tolerated between console and agent (default 5000)
      --handshake-timeout-ms N a connection must finish TLS and authenticate within this (default 5000)
      --max-pending N          unauthenticated connections at once (default 128) …
      --max-pending-per-source N
                               … and from one address (IPv6: one /64) (default 8)
      --max-consoles N         slots for authenticated consoles, never taken by unauthenticated sockets (default 32)
      --gpus N, --model ID, --seed N
                               sim backend: GPUs on the host (default 8), GPU model (H100-SXM), load seed
      --hosts H1,H2,…          sim backend: many simulated hosts in one process (drills, benches), each with its own
                               certificate; ports count up from --listen / --metrics-listen (port 0: any free port)`;

const int = (v: string | undefined, name: string, min: number, max: number) => num(v, name, { int: true, min, max });

/** `headroom agent`: returns -1 while it runs (stopped by SIGINT/SIGTERM), 2 on bad usage, 1 when it cannot start. */
export async function runAgent(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`Usage:\n${AGENT_HELP}`);
    return 0;
  }
  const [{ HostAgent }, { parseListen }, { loadIdentity }, { NvidiaSmiBackend }, { SimBackend }] = await Promise.all([
    import('../agent/agent.js'),
    import('../agent/listen.js'),
    import('../pki/certs.js'),
    import('../agent/nvidiaSmiBackend.js'),
    import('../agent/simBackend.js'),
  ]);
  const agents: HostAgentClass[] = [];
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        host: { type: 'string' },
        certs: { type: 'string' },
        backend: { type: 'string', default: 'nvidia-smi' },
        'nvidia-smi': { type: 'string' },
        'read-only': { type: 'boolean', default: false },
        'state-dir': { type: 'string' },
        listen: { type: 'string', default: '0.0.0.0:9443' },
        'metrics-listen': { type: 'string', default: '127.0.0.1:9410' },
        'safe-cap-w': { type: 'string' },
        'safe-cap-pct': { type: 'string' },
        'interval-ms': { type: 'string', default: '1000' },
        'max-lease-ms': { type: 'string' },
        'max-skew-ms': { type: 'string' },
        'handshake-timeout-ms': { type: 'string' },
        'max-pending': { type: 'string' },
        'max-pending-per-source': { type: 'string' },
        'max-consoles': { type: 'string' },
        gpus: { type: 'string' },
        model: { type: 'string' },
        seed: { type: 'string' },
        hosts: { type: 'string' },
      },
    });
    if (values.hosts && values.host) throw new UsageError('give --host or --hosts, not both');
    const hosts = values.hosts ? values.hosts.split(',').map((h) => h.trim()) : [values.host ?? hostname()];
    for (const host of hosts) {
      const hostOk = HostSchema.safeParse(host);
      if (!hostOk.success) throw new UsageError(`host "${host}" is not a valid host name (${hostOk.error.issues[0]?.message})`);
    }
    if (new Set(hosts).size !== hosts.length) throw new UsageError('--hosts lists a host twice');
    if (!values.certs) throw new UsageError('--certs DIR is required: the agent only talks mutual TLS (create certificates with `headroom certs`)');
    if (values['safe-cap-w'] && values['safe-cap-pct']) throw new UsageError('give --safe-cap-w or --safe-cap-pct, not both');
    const safeCap = values['safe-cap-w'] ? { watts: int(values['safe-cap-w'], 'safe-cap-w', 1, 10_000)! } : { pct: int(values['safe-cap-pct'], 'safe-cap-pct', 1, 100) ?? 70 };
    const sim = values.backend === 'sim';
    if (!sim && values.backend !== 'nvidia-smi') throw new UsageError(`--backend must be nvidia-smi or sim, got "${values.backend}"`);
    if (!sim && (values.gpus || values.model || values.seed || values.hosts)) throw new UsageError('--gpus, --model, --seed and --hosts apply to --backend sim only');
    let listen: Listen, metricsListen: Listen | null;
    try {
      listen = parseListen(values.listen, '--listen');
      metricsListen = values['metrics-listen'] === 'off' ? null : parseListen(values['metrics-listen'], '--metrics-listen');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const maxPending = int(values['max-pending'], 'max-pending', 1, 100_000);
    // Only what was given (an undefined would override the default).
    const limits = Object.fromEntries(
      Object.entries({
        handshakeTimeoutMs: int(values['handshake-timeout-ms'], 'handshake-timeout-ms', 100, 60_000),
        maxPending,
        maxPendingPerSource: int(values['max-pending-per-source'], 'max-pending-per-source', 1, maxPending ?? DEFAULT_ADMISSION.maxPending),
        maxConsoles: int(values['max-consoles'], 'max-consoles', 1, 1024),
      }).filter(([, v]) => v !== undefined),
    ) as Partial<AdmissionLimits>;
    const identities = hosts.map((host) => loadIdentity(values.certs!, `agent-${host}`));
    const seed = int(values.seed, 'seed', 0, 2 ** 31);
    const nth = (l: Listen, i: number): Listen => ({ host: l.host, port: l.port === 0 ? 0 : l.port + i });
    for (const [i, host] of hosts.entries()) {
      const backend = sim
        ? new SimBackend({ host, gpus: int(values.gpus, 'gpus', 1, 64), model: values.model, seed: seed === undefined ? undefined : seed + i })
        : new NvidiaSmiBackend({ nvidiaSmi: values['nvidia-smi'], readOnly: values['read-only'] });
      const m = metricsListen ? nth(metricsListen, i) : null;
      const agent = await HostAgent.start({
        host,
        backend,
        identity: identities[i]!,
        listen: nth(listen, i),
        metricsListen: m,
        safeCap,
        intervalMs: int(values['interval-ms'], 'interval-ms', 50, 3_600_000),
        maxLeaseMs: int(values['max-lease-ms'], 'max-lease-ms', 1000, 3_600_000),
        maxSkewMs: int(values['max-skew-ms'], 'max-skew-ms', 0, 600_000),
        limits,
        readOnly: values['read-only'],
        stateDir: stateDirOf(values['state-dir'], values.certs, host, hosts.length > 1),
        log: (line) => console.error(`${new Date().toISOString()} ${hosts.length > 1 ? `${host}: ` : ''}${line}`),
      });
      agents.push(agent);
      const s = agent.state();
      const l = agent.admissionLimits;
      console.error(`headroom agent ${host}: admission: handshake within ${l.handshakeTimeoutMs} ms, ${l.maxPending} unauthenticated at once (${l.maxPendingPerSource} per address), ${l.maxConsoles} console slots`);
      if (!values['read-only']) console.error(`headroom agent ${host}: audit heads kept in ${agent.auditHeads.dir} (${agent.auditHeads.size} console key${agent.auditHeads.size === 1 ? '' : 's'})`);
      console.log(
        `headroom agent ${host}: ${agent.gpuInfo.length} GPUs (${backend.kind}${values['read-only'] ? ', read-only' : ''}), control on ${listen.host}:${agent.port} (mutual TLS), ` +
          `${m ? `metrics on http://${m.host}:${agent.metricsPort}/metrics` : 'metrics off'}, safe cap ${s.safeCapW} W (${s.mode})`,
      );
    }
  } catch (e) {
    await Promise.all(agents.map((a) => a.stop()));
    const err = e as Error & { code?: string };
    console.error(`headroom agent: ${err.message}`);
    const usage = e instanceof UsageError || err.name === 'CertError' || err.name === 'AgentStateError' || err.code?.startsWith('ERR_PARSE_ARGS');
    return usage ? 2 : 1;
  }
  const stop = async () => {
    await Promise.all(agents.map((a) => a.stop()));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return -1;
}

/** The state folder of one host: --state-dir as given (DIR/HOST with --hosts), else state/HOST under --certs. */
function stateDirOf(given: string | undefined, certs: string, host: string, many: boolean): string {
  if (given === undefined) return join(certs, 'state', host);
  if (given === '') throw new UsageError('--state-dir needs a folder');
  return many ? join(given, host) : given;
}
