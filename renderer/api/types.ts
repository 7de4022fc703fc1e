import type { HeadroomApi } from '../../shared/contract.js';

/** Connection to the engine as the status bar shows it. IPC is always `open`. */
export type ConnectionState = 'connecting' | 'open' | 'disconnected' | 'unauthorized';

export interface ConnectionInfo {
  state: ConnectionState;
  /** When disconnected: ms until the next attempt. */
  retryInMs?: number;
  /** Human-readable reason of the last failure. */
  reason?: string;
}

/** The renderer's one api client: the contract plus what the UI needs to show the link's health. */
export interface ApiClient extends HeadroomApi {
  readonly transport: 'ipc' | 'websocket';
  readonly connection: ConnectionInfo;
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  /** Called after every (re)connection so stores can resynchronise. */
  onConnected(listener: () => void): () => void;
  close(): void;
}

/** What Electron's preload exposes through contextBridge (allowlisted by the preload). */
export interface PreloadBridge {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (payload: unknown) => void): () => void;
}
