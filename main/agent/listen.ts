import type { Server } from 'node:net';

/** Where the agent listens. */
export interface Listen {
  host: string;
  port: number;
}

/** Listen, with the usual failures (port in use, not allowed) named in the message. */
export function listenOn(server: Server, l: Listen): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'EADDRINUSE' ? `${l.host}:${l.port} is already in use` : e.code === 'EACCES' ? `not allowed to listen on ${l.host}:${l.port}` : e.message));
    });
    // A deep accept queue: under a connection flood a console's SYN waits its turn instead of being dropped (and
    // retried by its kernel only a second later). The kernel caps it at net.core.somaxconn.
    server.listen({ port: l.port, host: l.host, backlog: 4096 }, () => resolve());
  });
}

export function closeServer(s: Server | null): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => s.close(() => resolve()));
}

/** Parse HOST:PORT (IPv6 in brackets). */
export function parseListen(text: string, what: string): Listen {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`${what} must be HOST:PORT (e.g. 127.0.0.1:9400), got "${text}"`);
  return { host: m[1] ?? m[2]!, port };
}
