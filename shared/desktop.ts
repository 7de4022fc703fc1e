/**
 * The desktop app's own IPC channels (never served by `headroom serve`): the first screen's choice between a local
 * simulator and a controller, and the state of the main process's link to that controller. Zod-free: the sandboxed
 * preload allowlists the names, the renderer reads the types; main/electron/desktopChoice.ts validates the payloads.
 */

/** What the desktop runs: its own simulator (or real fleet from profile.json), or a client of a controller. */
export type DesktopChoice =
  | { mode: 'local' }
  | {
      mode: 'controller';
      /** The controller's console address: http(s)://host:port (a `?token=` in it is taken as the token). */
      url: string;
      /** The access token; omitted: the one remembered (or in use) for this desktop. */
      token?: string;
      /** For https: a PEM CA certificate file that signed the controller's certificate (else the system's CAs). */
      caFile?: string;
    };

/** The first screen's starting point: the last choice (its token never comes back to the page). */
export interface DesktopState {
  /** `choose`: the first screen; `running`: the console (local, a controller's client, or a recording). */
  phase: 'choose' | 'running';
  mode: 'local' | 'controller' | 'recording' | null;
  /** The controller in use or last used, and whether a token is remembered for it. */
  last: { mode: 'local' | 'controller'; url: string | null; caFile: string | null; hasToken: boolean } | null;
  /** Why the last attempt failed ("cannot reach …", "token refused"), shown on the first screen. */
  error: string | null;
}

/** The main process's link to a controller (only while a client of one), mirrored by the renderer's connection state. */
export interface DesktopLink {
  state: 'connecting' | 'open' | 'disconnected' | 'unauthorized';
  retryInMs?: number;
  reason?: string;
  /** The controller's address this desktop talks to. */
  url: string;
}

export interface DesktopRequests {
  'desktop:state': { payload: Record<string, never>; response: DesktopState };
  /** Start (or switch to) a choice; the window reloads into the console once it is up. */
  'desktop:start': { payload: DesktopChoice; response: DesktopState };
  /** Back to the first screen (the local runtime or the link closed; control elsewhere is unaffected). */
  'desktop:leave': { payload: Record<string, never>; response: DesktopState };
}
export type DesktopChannel = keyof DesktopRequests;

export const DESKTOP_REQUEST_CHANNELS = ['desktop:state', 'desktop:start', 'desktop:leave'] as const satisfies readonly DesktopChannel[];
export const DESKTOP_EVENT_CHANNELS = ['desktop:link'] as const;

// Compile-time check: the plain list names every desktop request, and nothing else.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const desktopListMatches: Same<(typeof DESKTOP_REQUEST_CHANNELS)[number], DesktopChannel> = true;
void desktopListMatches;
