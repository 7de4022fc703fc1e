/** Wires the api client's events and (re)connections to the stores. */
import type { ApiClient } from '../api/index.js';
import { useAlertsStore } from './alerts.js';
import { useAuditStore } from './audit.js';
import { useControlStore } from './control.js';
import { useControllerStore } from './controller.js';
import { useIdentityStore } from './identity.js';
import { useLiveStore } from './live.js';
import { useStatusStore } from './status.js';
import { useTopologyStore } from './topology.js';

export function startSession(client: ApiClient): () => void {
  const topo = useTopologyStore();
  const live = useLiveStore();
  const status = useStatusStore();
  const alerts = useAlertsStore();
  const control = useControlStore();
  const identity = useIdentityStore();
  const audit = useAuditStore();
  const controller = useControllerStore();
  status.transport = client.transport;

  const offs = [
    client.on('fleet:snapshot', (s) => live.apply(s)),
    client.on('alerts:changed', (a) => alerts.set(a)),
    client.on('status:changed', (s) => status.set(s)),
    client.on('control:changed', (c) => control.set(c)),
    client.on('controller:changed', (s) => controller.set(s)),
    client.on('audit:appended', (r) => {
      audit.append(r);
      // Another operator's silence changes the list here too.
      if (r.kind === 'silence' || r.kind === 'unsilence') void alerts.refreshSilences();
    }),
    client.onConnection((info) => (status.connection = info)),
    client.onConnected(() => void resync(client)),
  ];

  async function resync(c: ApiClient): Promise<void> {
    // A controller set's standby answers only who leads: ask that first, and load nothing else from a standby.
    const led = await c.invoke('controller:status', {}).then(
      (s) => s,
      (e) => {
        console.warn('controller status failed', e);
        return null;
      },
    );
    controller.set(led);
    if (led && led.role !== 'leader') {
      controller.standbyFace = true;
      return;
    }
    live.expectRestart();
    try {
      // Topology first: the snapshot's arrays are indexed by it.
      topo.set(await c.invoke('fleet:topology', {}));
      const [snap, st, list] = await Promise.all([
        c.invoke('fleet:snapshot', {}),
        c.invoke('status:get', {}),
        c.invoke('alerts:list', { includeResolved: false }),
      ]);
      if (snap) live.apply(snap);
      status.set(st);
      alerts.set(list);
    } catch (e) {
      console.warn('resync failed', e);
    }
    // The control plane resynchronises on its own: the floor must show even if it does not answer.
    await Promise.all([
      c.invoke('session:whoami', {}).then(identity.set, (e) => console.warn('whoami failed', e)),
      c.invoke('control:summary', {}).then(control.set, (e) => console.warn('control summary failed', e)),
      alerts.refreshSilences(),
      audit.cursor === null && audit.page.length ? audit.load(null) : Promise.resolve(),
    ]);
  }

  return () => offs.forEach((off) => off());
}
