import { num, readPem, UsageError } from './usage.js';

/** `serve`'s options for a redundant controller set (the usage text). */
export const CONTROLLER_HELP = `      --controller             join a redundant controller set elected in etcd (with --inventory): the leader steers
                               the fleet, standbys follow its audit chain and operator state and take over when its
                               lease lapses; agents refuse commands from an older leader (docs/RELIABILITY.md)
      --etcd URL[,URL…]        with --controller: the etcd cluster (http://HOST:2379)
      --controller-id NAME     with --controller: this controller's name, unique in the set
      --advertise-url URL      with --controller: where clients reach this controller (default http://HOST:PORT)
      --cluster NAME           with --controller: the set's name in etcd (default "default")
      --etcd-lease-s S         with --controller: the leader's lease (default 5 s): a leader that stops answering is
                               replaced after at most this long
      --etcd-ca FILE           with https:// --etcd: the CA of the etcd servers' certificates (PEM)
      --etcd-cert FILE         with --etcd-ca: this controller's client certificate for etcd (PEM; with --etcd-key)
      --etcd-key FILE          the client certificate's private key (PEM)
      --etcd-audit-keep N      with --controller: audit records the set keeps in etcd (default 100000, ~60 MB); the
                               leader prunes older ones; a controller further behind is seeded from a peer's control.db`;

export interface ControllerArgs {
  id: string;
  endpoints: string[];
  /** Announced to the set; default from --host and --port. */
  url: string | null;
  cluster: string;
  ttlS: number;
  /** Audit records the set keeps in etcd (older ones pruned by the leader). */
  auditKeep?: number;
  /** etcd over TLS (PEM texts): its CA, and this controller's client certificate and key. */
  tls?: { ca: string; cert?: string; key?: string };
}

/** `serve --controller …`, checked before anything starts (one clear line, exit 2). Null without --controller. */
export function controllerArgs(v: {
  controller?: boolean;
  etcd?: string;
  'controller-id'?: string;
  'advertise-url'?: string;
  cluster?: string;
  'etcd-lease-s'?: string;
  'etcd-ca'?: string;
  'etcd-cert'?: string;
  'etcd-key'?: string;
  'etcd-audit-keep'?: string;
  inventory?: string;
  recording?: string;
}): ControllerArgs | null {
  const extra = ['etcd', 'controller-id', 'advertise-url', 'cluster', 'etcd-lease-s', 'etcd-ca', 'etcd-cert', 'etcd-key', 'etcd-audit-keep'] as const;
  if (!v.controller) {
    const given = extra.find((k) => v[k] !== undefined);
    if (given) throw new UsageError(`--${given} belongs to --controller (a redundant control service on etcd)`);
    return null;
  }
  if (!v.inventory) throw new UsageError('--controller steers a real fleet through its agents: it needs --inventory (for a simulated fleet, run agents with --backend sim)');
  if (v.recording) throw new UsageError('--controller controls a live fleet: not with --recording');
  if (!v.etcd) throw new UsageError('--controller needs --etcd URL[,URL…] (the etcd cluster that elects the leader)');
  const endpoints = v.etcd.split(',').map((e) => e.trim());
  for (const e of endpoints) {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      throw new UsageError(`--etcd: "${e}" is not a URL (http://HOST:2379)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--etcd: "${e}" must be http:// or https://`);
  }
  const id = v['controller-id'];
  if (!id || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(id)) throw new UsageError('--controller needs --controller-id NAME (letters, digits, ".", "_", "-"; unique in the set)');
  const cluster = v.cluster ?? 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(cluster)) throw new UsageError(`--cluster must be letters, digits, ".", "_", "-", got "${cluster}"`);
  let url: string | null = null;
  if (v['advertise-url'] !== undefined) {
    try {
      url = new URL(v['advertise-url']).origin;
    } catch {
      throw new UsageError(`--advertise-url: "${v['advertise-url']}" is not a URL`);
    }
  }
  const ttlS = num(v['etcd-lease-s'], 'etcd-lease-s', { int: true, min: 2, max: 60 }) ?? 5;
  if (!v['etcd-cert'] !== !v['etcd-key']) throw new UsageError('--etcd-cert and --etcd-key go together');
  if (v['etcd-cert'] && !v['etcd-ca']) throw new UsageError('--etcd-cert needs --etcd-ca (the CA that signed the etcd servers\' certificates)');
  if (v['etcd-ca'] && endpoints.some((e) => !e.startsWith('https:'))) throw new UsageError('--etcd-ca is for https:// endpoints: every --etcd URL must be https://');
  const tls = v['etcd-ca'] ? { ca: readPem(v['etcd-ca'], 'etcd-ca'), ...(v['etcd-cert'] ? { cert: readPem(v['etcd-cert'], 'etcd-cert'), key: readPem(v['etcd-key']!, 'etcd-key') } : {}) } : undefined;
  const auditKeep = num(v['etcd-audit-keep'], 'etcd-audit-keep', { int: true, min: 1_000, max: 10_000_000 });
  return { id, endpoints, url, cluster, ttlS, ...(tls ? { tls } : {}), ...(auditKeep ? { auditKeep } : {}) };
}
