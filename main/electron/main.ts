// Electron main process: a thin face over the engine. The ONLY module tree that imports 'electron'.
import { app, BrowserWindow, dialog, ipcMain, Notification, protocol, session, type WebContents } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_EVENT } from '../../shared/channels.js';
import { eventChannels } from '../../shared/contract.js';
import { createRuntime, type Runtime } from '../app/runtime.js';
import { CSP } from '../server/csp.js';
import { registerIpc } from './ipc.js';
import { localProfile, profileFleet } from './profile.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, createSecureWindow, isTrustedSenderUrl } from './security.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererDir = resolve(here, '../../renderer');
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | null = null;
let runtime: Runtime | null = null;

function serveApp(request: Request): Response {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '') || 'index.html';
  const file = resolve(rendererDir, rel);
  if (!file.startsWith(rendererDir + sep) || !existsSync(file)) return new Response('not found', { status: 404 });
  return new Response(readFileSync(file), {
    headers: { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' },
  });
}

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (e, url) => {
    if (!isTrustedSenderUrl(url)) e.preventDefault();
  });
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

async function start(): Promise<void> {
  protocol.handle(APP_SCHEME, serveApp);
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  const fleet = profileFleet(app.getPath('userData'));
  runtime = await createRuntime({
    scenario: process.env.HEADROOM_SCENARIO ?? 'default',
    db: join(app.getPath('userData'), 'telemetry.db'),
    fleet: fleet ?? undefined,
    command: 'Headroom desktop app',
  });
  const actor = localProfile(app.getPath('userData'));
  registerIpc(ipcMain, runtime.handlers, () => win?.webContents ?? null, () => actor, { onRefused: runtime.auditRefusal, roles: runtime.roles });

  win = createSecureWindow(BrowserWindow, join(here, 'preload.cjs'));
  win.once('ready-to-show', () => win?.show());
  for (const channel of eventChannels) {
    runtime.bus.on(channel, (payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, channel, payload);
    });
  }
  runtime.bus.on('alerts:changed', (alerts) => {
    for (const a of alerts) {
      // Silenced or inhibited alerts (decorated by AlertHandling) stay quiet on the desktop too.
      const muted = a.silencedBy !== null || a.inhibitedBy !== null;
      if (a.severity === 'critical' && a.state === 'firing' && !muted && a.firingSinceMs === runtime?.engine.nowMs && Notification.isSupported()) {
        new Notification({ title: `Headroom: ${a.rule}`, body: a.summary }).show();
      }
    }
  });
  runtime.runner.start();
  await win.loadURL(`${APP_ORIGIN}/index.html`);
}

app.on('window-all-closed', () => app.quit());
// Flush the store (partial rollups, WAL) before the process goes away.
let closing = false;
app.on('before-quit', (e) => {
  if (!runtime || closing) return;
  closing = true;
  e.preventDefault();
  void runtime.close().finally(() => app.quit());
});
app.whenReady().then(start).catch((e: unknown) => {
  console.error('Headroom could not start:', e);
  // A second Headroom on the same data folder (LockError) or a bad store: say so on the desktop, not only on stderr.
  dialog.showErrorBox('Headroom could not start', e instanceof Error ? e.message : String(e));
  app.exit(1);
});
