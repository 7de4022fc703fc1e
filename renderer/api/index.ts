/** Picks the transport once at start: Electron's preload bridge when present, else the server's WebSocket. */
import { IpcApi } from './ipc.js';
import { WsApi } from './ws.js';
import type { ApiClient, PreloadBridge } from './types.js';

export type { ApiClient, ConnectionInfo, ConnectionState } from './types.js';

declare global {
  interface Window {
    headroom?: PreloadBridge;
  }
}

/** Token from the page URL (`?token=…`), as printed by `headroom serve`. */
export function pageToken(loc: Location = window.location): string | null {
  return new URLSearchParams(loc.search).get('token');
}

/** `ws(s)://host/api/ws?token=…` for the page's own origin. */
export function wsUrl(loc: Location, token: string): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/api/ws?token=${encodeURIComponent(token)}`;
}

export function createApi(): ApiClient {
  if (window.headroom && typeof window.headroom.invoke === 'function') return new IpcApi(window.headroom);
  const token = pageToken() ?? '';
  const url = wsUrl(window.location, token);
  return new WsApi({
    url,
    // Browsers hide the HTTP status of a refused WebSocket handshake; a plain GET of the same URL reveals a 401.
    probeUnauthorized: async () => {
      if (!token) return true;
      const res = await fetch(`/api/ws?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
      return res.status === 401 || res.status === 403;
    },
  });
}

let current: ApiClient | null = null;

export function setApi(api: ApiClient): void {
  current = api;
}

/** The api client installed at start (stores call it for actions). */
export function api(): ApiClient {
  if (!current) throw new Error('api client not installed');
  return current;
}
