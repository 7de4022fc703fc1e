// A worker thread of flooding WebSocket clients (own event loop, so the server's process measures only the server).
// workerData: { url, clients, channel, payload, ms, reconnect }. Posts { sent, answered, refused, closed } at the end.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, clients, channel, payload, ms, reconnect } = workerData;
const frame = JSON.stringify({ id: 1, channel, payload });
const totals = { sent: 0, answered: 0, refused: 0, limited: 0, closed: 0, errors: {} };
const endAt = Date.now() + ms;
const sockets = new Set();

function open() {
  if (Date.now() >= endAt) return;
  const ws = new WebSocket(url);
  sockets.add(ws);
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.kind !== 'response') return;
    totals.answered++;
    if (!m.ok) {
      totals.refused++;
      if (/^rate limit|^too many unanswered/.test(m.error)) totals.limited++;
      const key = m.error.slice(0, 60);
      totals.errors[key] = (totals.errors[key] || 0) + 1;
    }
  });
  ws.on('open', () => {
    const pump = () => {
      if (ws.readyState !== WebSocket.OPEN || Date.now() >= endAt) return;
      // As fast as the client's own socket takes them: only its send buffer holds it back.
      for (let n = 0; n < 2000 && ws.bufferedAmount < 256 * 1024; n++) {
        ws.send(frame);
        totals.sent++;
      }
      setImmediate(pump);
    };
    pump();
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    sockets.delete(ws);
    totals.closed++;
    if (reconnect) setTimeout(open, 50);
  });
}

for (let i = 0; i < clients; i++) open();
setTimeout(() => {
  for (const ws of sockets) ws.terminate();
  parentPort.postMessage(totals);
}, ms);
