import { captureClientHello, loopbackSources, Swarm } from './attackers.js';

/**
 * A swarm in its own process (an attacker is never inside the agent's process): `node --import tsx swarmMain.ts PORT N
 * SOURCES RECONNECT_MS SERVERNAME`. Prints its stats as one JSON line every 100 ms; stops when stdin closes.
 */
const [port, n, sources, reconnectMs] = process.argv.slice(2, 6).map(Number);
const hello = await captureClientHello(process.argv[6] ?? 'gpu-x');
const swarm = new Swarm({ port: port!, n: n!, addresses: loopbackSources(sources!), hello, reconnectMs: reconnectMs! });
const timer = setInterval(() => process.stdout.write(JSON.stringify(swarm.stats) + '\n'), 100);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  swarm.stop();
  process.exit(0);
});
