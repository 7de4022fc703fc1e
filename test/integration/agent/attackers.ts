import { once } from 'node:events';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/**
 * Sockets that try to starve a host agent's control port, for the tests of issue 11: raw TCP that never speaks, a TLS
 * ClientHello then silence, and a ClientHello trickled a byte at a time (which resets any idle timer). A swarm keeps
 * `n` of them open from the client's side: each one the agent closes is re-opened after `reconnectMs`.
 */
export type AttackKind = 'idle' | 'hello-stall' | 'trickle';
export const ATTACK_KINDS: readonly AttackKind[] = ['idle', 'hello-stall', 'trickle'];

/** The bytes of a real ClientHello (captured from Node's TLS client against a silent TCP server). */
export async function captureClientHello(servername = 'gpu-x'): Promise<Buffer> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = once(server, 'connection').then(async (args) => {
    const s = args[0] as Socket;
    const [chunk] = (await once(s, 'data')) as [Buffer];
    s.destroy();
    return chunk;
  });
  const c = tlsConnect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

export interface SwarmStats {
  /** Connections opened so far. */
  opened: number;
  /** Sockets closed by the agent (not by the swarm). */
  closedByAgent: number;
  /** Open right now, and the most at once (client side). */
  live: number;
  maxLive: number;
  errors: number;
}

export interface SwarmOptions {
  port: number;
  n: number;
  /** Source addresses (127.x.y.z all reach loopback on Linux); socket i uses addresses[i % length]. */
  addresses: readonly string[];
  hello: Buffer;
  kinds?: readonly AttackKind[];
  /** Re-open a socket this long after the agent closed it; null = never. */
  reconnectMs?: number | null;
  trickleMs?: number;
}

export class Swarm {
  readonly stats: SwarmStats = { opened: 0, closedByAgent: 0, live: 0, maxLive: 0, errors: 0 };
  /** When each socket the agent closed had been opened, and when it closed (ms since epoch). */
  readonly closures: { kind: AttackKind; openedMs: number; closedMs: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = true;

  constructor(private readonly o: SwarmOptions) {
    const kinds = o.kinds ?? ATTACK_KINDS;
    for (let i = 0; i < o.n; i++) this.open(kinds[i % kinds.length]!, o.addresses[i % o.addresses.length]!);
  }

  private later(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private open(kind: AttackKind, localAddress: string): void {
    if (!this.running) return;
    const openedMs = Date.now();
    const s = netConnect({ host: '127.0.0.1', port: this.o.port, localAddress });
    this.stats.opened++;
    this.sockets.add(s);
    s.on('error', () => this.stats.errors++);
    s.resume(); // read (and ignore) whatever the agent sends, so its writes never block
    let trickle: NodeJS.Timeout | null = null;
    let connected = false;
    s.once('connect', () => {
      connected = true;
      this.stats.live++;
      this.stats.maxLive = Math.max(this.stats.maxLive, this.stats.live);
      if (kind === 'hello-stall') s.write(this.o.hello);
      if (kind === 'trickle') {
        let i = 0;
        trickle = setInterval(() => {
          // Never the whole hello: stay in the handshake for good.
          if (i < this.o.hello.length - 1 && !s.destroyed) s.write(this.o.hello.subarray(i, ++i));
        }, this.o.trickleMs ?? 200);
      }
    });
    s.once('close', () => {
      if (trickle) clearInterval(trickle);
      this.sockets.delete(s);
      if (connected) this.stats.live--;
      if (!this.running) return;
      this.stats.closedByAgent++;
      this.closures.push({ kind, openedMs, closedMs: Date.now() });
      if (this.o.reconnectMs !== null && this.o.reconnectMs !== undefined) this.later(() => this.open(kind, localAddress), this.o.reconnectMs);
    });
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}

/** `count` loopback source addresses other than 127.0.0.1 (the console's): 127.0.1.1, 127.0.1.2, … */
export function loopbackSources(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}
