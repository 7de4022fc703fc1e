/** One Content-Security-Policy for the Electron window and the headless server: no inline script, no remote origins.
 * style-src allows inline styles because ECharts positions its tooltips with them. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
