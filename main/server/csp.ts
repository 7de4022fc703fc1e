/** One Content-Security-Policy for the Electron window and the headless server: no inline script, no remote origins.
 * style-src allows inline styles because ECharts positions its tooltips with them. The Electron window talks over IPC:
 * it connects nowhere but to itself. */
const BASE = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
const TAIL = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export const CSP = `${BASE}; connect-src 'self'; ${TAIL}`;

/**
 * The headless server's policy for a page served to `host` (the request's Host, already checked): the page may
 * connect to its own origin and to exactly this server's WebSocket, nothing else.
 */
export function cspFor(secure: boolean, host: string): string {
  return `${BASE}; connect-src 'self' ${secure ? 'wss' : 'ws'}://${host}; ${TAIL}`;
}
