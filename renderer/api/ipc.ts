/** Transport for the Electron window: the preload's `window.headroom` bridge. */
import type { EventChannel, EventTypes, RequestChannel, RequestPayload, ResponseOf } from '../../shared/contract.js';
import type { ApiClient, ConnectionInfo, PreloadBridge } from './types.js';

export class IpcApi implements ApiClient {
  readonly transport = 'ipc' as const;
  readonly connection: ConnectionInfo = { state: 'open' };

  constructor(private readonly bridge: PreloadBridge) {}

  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<ResponseOf<C>> {
    return this.bridge.invoke(channel, payload) as Promise<ResponseOf<C>>;
  }

  on<E extends EventChannel>(channel: E, listener: (payload: EventTypes[E]) => void): () => void {
    return this.bridge.on(channel, listener as (p: unknown) => void);
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    listener(this.connection);
    return () => {};
  }

  onConnected(listener: () => void): () => void {
    queueMicrotask(listener);
    return () => {};
  }

  close(): void {}
}
