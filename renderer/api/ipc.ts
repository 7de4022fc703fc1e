/**
 * Transport for the Electron window: the preload's `window.headroom` bridge. The engine answers in the main process:
 * its own runtime (the link is always open) or, as a controller's client, the main process's WebSocket, whose state
 * comes as `desktop:link` events and is the connection the console shows.
 */
import type { EventChannel, EventTypes, RequestChannel, RequestPayload, ResponseOf } from '../../shared/contract.js';
import type { DesktopLink } from '../../shared/desktop.js';
import type { ApiClient, ConnectionInfo, PreloadBridge } from './types.js';

export class IpcApi implements ApiClient {
  readonly transport = 'ipc' as const;
  connection: ConnectionInfo = { state: 'open' };
  private readonly connectionListeners = new Set<(i: ConnectionInfo) => void>();
  private readonly connectedListeners = new Set<() => void>();

  constructor(private readonly bridge: PreloadBridge) {
    bridge.on('desktop:link', (p) => this.link(p as DesktopLink));
  }

  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<ResponseOf<C>> {
    return this.bridge.invoke(channel, payload) as Promise<ResponseOf<C>>;
  }

  on<E extends EventChannel>(channel: E, listener: (payload: EventTypes[E]) => void): () => void {
    return this.bridge.on(channel, listener as (p: unknown) => void);
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.connection);
    return () => this.connectionListeners.delete(listener);
  }

  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    if (this.connection.state === 'open') queueMicrotask(listener);
    return () => this.connectedListeners.delete(listener);
  }

  close(): void {}

  private link(l: DesktopLink): void {
    const was = this.connection.state;
    this.connection = { state: l.state, retryInMs: l.retryInMs, reason: l.reason };
    for (const f of this.connectionListeners) f(this.connection);
    // Back after a drop: the stores resynchronise, as over a browser's WebSocket.
    if (l.state === 'open' && was !== 'open') for (const f of this.connectedListeners) f();
  }
}
