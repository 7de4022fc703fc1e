/** Picks the transport once at start: Electron's preload bridge when present, else the server's WebSocket. */
import { IpcApi } from './ipc.js';
import { WsApi } from './ws.js';
import type { ApiClient, PreloadBridge } from './types.js';
import type { RequestChannel, RequestPayload, ResponseOf } from '../../shared/contract.js';

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
    timeoutFor: (channel) => SLOW_CHANNELS[channel],
    // A standby controller that now leads serves the whole console: load it (issue 17).
    onServiceRestart: () => window.location.reload(),
    // Browsers hide the HTTP status of a refused WebSocket handshake; a plain GET of the same URL reveals a 401.
    probeUnauthorized: async () => {
      if (!token) return true;
      const res = await fetch(`/api/ws?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
      return res.status === 401 || res.status === 403;
    },
  });
}

/** Requests that legitimately take long: the capacity planner simulates a whole sweep (tens of seconds to minutes). */
export const SLOW_CHANNELS: Partial<Record<RequestChannel, number>> = { 'planner:sweep': 15 * 60_000 };

let current: ApiClient | null = null;

export function setApi(api: ApiClient): void {
  current = api;
}

/** The api client installed at start (stores call it for actions). */
export function api(): ApiClient {
  if (!current) throw new Error('api client not installed');
  return current;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Invokes a request and returns the engine's answer or its refusal as data, for actions whose refusal the operator
 * must read ("override:set: not allowed for role viewer (needs operator)").
 */
export async function attempt<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<Outcome<ResponseOf<C>>> {
  try {
    return { ok: true, value: await api().invoke(channel, payload) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
