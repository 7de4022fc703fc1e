import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * DNS rebinding and cross-site WebSocket hijacking: a page on evil.example whose name resolves to 127.0.0.1 reaches
 * the console with `Host: evil.example`; a page elsewhere opening our WebSocket sends its own `Origin`. Only the
 * names this server is known by are accepted as Host, and an Origin, when present, must be the server's own.
 */
export interface OriginGuard {
  /** Null when the request may proceed, else why it is refused (403). */
  check(req: IncomingMessage): string | null;
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = ['0.0.0.0', '::', ''];

/** The host name of a Host header (`name:port`, `[v6]:port`, or a bare name), lower-case; null if unparseable. */
export function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || (end + 1 < h.length && !/^:\d{1,5}$/.test(h.slice(end + 1)))) return null;
    return h.slice(1, end);
  }
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]! : null;
}

/**
 * The names accepted in Host: loopback, the address bound (--host) and any extra names (--allow-host, for a DNS name
 * or a proxy in front). Bound to every interface (0.0.0.0 / ::), the machine's own addresses and name count as bound.
 */
export function allowedHostNames(bound: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>([...LOOPBACK, ...extra.map((e) => e.toLowerCase().replace(/^\[|\]$/g, ''))]);
  const b = bound.toLowerCase().replace(/^\[|\]$/g, '');
  if (WILDCARD.includes(b)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  } else names.add(b);
  return names;
}

export function originGuard(o: { bound: string; secure: boolean; extraHosts?: readonly string[] }): OriginGuard {
  const names = allowedHostNames(o.bound, o.extraHosts);
  const scheme = o.secure ? 'https' : 'http';
  return {
    check(req) {
      const host = req.headers.host;
      if (!host) return 'missing Host header';
      const name = hostName(host);
      if (name === null || !names.has(name)) return `Host ${JSON.stringify(host.slice(0, 100))} is not a name of this console (start it with --allow-host NAME to add one)`;
      const origin = req.headers.origin;
      if (origin !== undefined && origin.toLowerCase() !== `${scheme}://${host.trim().toLowerCase()}`) {
        return `Origin ${JSON.stringify(origin.slice(0, 100))} is not this console's (${scheme}://${host})`;
      }
      return null;
    },
  };
}
