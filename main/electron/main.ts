// Electron main process: a thin face over the engine. The ONLY module tree that imports 'electron'.
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, protocol, safeStorage, session, type OpenDialogOptions, type WebContents } from 'electron';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_EVENT } from '../../shared/channels.js';
import type { DesktopChannel } from '../../shared/desktop.js';
import { recordingPlant } from '../app/plants.js';
import { createRuntime, type Runtime } from '../app/runtime.js';
import { DesktopSession } from './desktop.js';
import { CSP } from '../server/csp.js';
import { registerIpc } from './ipc.js';
import { menuTemplate } from './menu.js';
import { oneLine, RECORDING_EXT, recordingFromArgv, recordingFromUrl, recordingInstanceArgs, recordingTitle } from './openRecording.js';
import { localProfile, profileFleet } from './profile.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, createSecureWindow, isTrustedSenderUrl } from './security.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const rendererDir = resolve(here, '../../renderer');
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | null = null;
let desk: DesktopSession | null = null;

/**
 * The recording this instance plays (read-only), or null for the live console: `--recording FILE` (the instance that
 * File → Open, a drop or macOS' open-file starts) or a .headroom path in argv (Windows' and Linux' file association).
 */
let recording: string | null = null;
/** Set once start() has chosen live or recording: a later macOS open-file starts another instance instead. */
let started = false;
const CANNOT_OPEN = 'Cannot open recording';

function playRecordingHere(file: string): void {
  recording = resolve(file);
  // A second Chromium on the same session folder fights over its locks (local storage, caches): a recording
  // instance keeps its session data apart, in a temporary folder removed when it quits.
  const sessionDir = join(app.getPath('temp'), `headroom-recording-${process.pid}`);
  app.setPath('sessionData', sessionDir);
  app.on('quit', () => {
    try {
      rmSync(sessionDir, { recursive: true, force: true });
    } catch {
      // Best effort: a temporary folder.
    }
  });
}

const fromArgv = recordingFromArgv(process.argv);
if (fromArgv) playRecordingHere(fromArgv);

/**
 * Open a recording the one way, whatever asked (File → Open, a drop, macOS' open-file): check it here, then start a
 * second instance of the app on it while this window keeps running. A bad file (not a recording, damaged, a newer
 * schema) is said in an error box, and this instance carries on.
 */
function openRecordingInstance(file: string): void {
  const path = resolve(file);
  try {
    // The checks the recording instance's runtime makes (openRecording: header, schema, quick_check; a run with frames).
    recordingPlant(path).db.close();
  } catch (e) {
    dialog.showErrorBox(CANNOT_OPEN, oneLine(e));
    return;
  }
  try {
    // An AppImage runs from a mount that goes when this instance quits: start the AppImage itself, not its inside.
    const command = process.env.APPIMAGE || process.execPath;
    const child = spawn(command, recordingInstanceArgs(path, app.isPackaged ? null : app.getAppPath()), { detached: true, stdio: 'ignore' });
    // Without a listener, a failed start (ENOENT, EACCES) would be an uncaught error in this process.
    child.on('error', (e) => dialog.showErrorBox(CANNOT_OPEN, oneLine(e)));
    child.unref();
  } catch (e) {
    dialog.showErrorBox(CANNOT_OPEN, oneLine(e));
  }
}

async function chooseRecording(): Promise<void> {
  const options: OpenDialogOptions = { title: 'Open recording', filters: [{ name: 'Headroom recording', extensions: [RECORDING_EXT.slice(1)] }], properties: ['openFile'] };
  const r = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const file = r.canceled ? undefined : r.filePaths[0];
  if (file) openRecordingInstance(file);
}

// macOS passes a file opened from the Finder (double-click, the Dock, "Open With") as an event, not in argv: the first
// one before start is this instance's recording, any other opens another instance. Registered early: it comes before
// ready when the file launched the app.
app.on('open-file', (e, path) => {
  e.preventDefault();
  if (started || recording) openRecordingInstance(path);
  else playRecordingHere(path);
});

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
    if (isTrustedSenderUrl(url)) return;
    e.preventDefault();
    // A .headroom file dropped on the window (navigateOnDragDrop) arrives as its file:// URL: open it, never load it.
    const file = recordingFromUrl(url);
    if (file) openRecordingInstance(file);
  });
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** The desktop's own channels: the first screen's choice, and back to it. */
function desktopRequest(channel: DesktopChannel, payload: unknown): Promise<unknown> {
  const d = desk!;
  if (channel === 'desktop:state') return Promise.resolve(d.state());
  if (channel === 'desktop:leave') return recording ? Promise.reject(new Error('a recording plays in its own window')) : d.leave();
  return d.start(payload);
}

async function start(): Promise<void> {
  started = true;
  const menuActions = {
    openRecording: () => void chooseRecording().catch((e: unknown) => dialog.showErrorBox(CANNOT_OPEN, oneLine(e))),
    startScreen: recording ? undefined : () => void desk?.leave().then(() => win?.webContents.reload()),
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, menuActions)));
  protocol.handle(APP_SCHEME, serveApp);
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));

  const userData = app.getPath('userData');
  const actor = localProfile(userData);
  desk = new DesktopSession({
    userData,
    recording: !!recording,
    createLocal: () =>
      recording
        ? // Read-only playback: no data folder, no lock, nothing written (the live console may run beside it).
          createRuntime({ scenario: 'default', recording, db: null, command: 'Headroom desktop app (recording)' })
        : createRuntime({
            scenario: process.env.HEADROOM_SCENARIO ?? 'default',
            db: join(userData, 'telemetry.db'),
            fleet: profileFleet(userData) ?? undefined,
            command: 'Headroom desktop app',
          }),
    send: (channel, payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, channel, payload);
    },
    reload: () => {
      if (win && !win.isDestroyed()) win.webContents.reload();
    },
    actor: () => actor,
    // A remembered token is sealed by the OS keychain; without one, the token is asked for again at each start.
    seal: !recording && safeStorage.isEncryptionAvailable() ? { seal: (t) => safeStorage.encryptString(t).toString('base64'), open: (s) => safeStorage.decryptString(Buffer.from(s, 'base64')) } : null,
    timeoutFor: (channel) => (channel === 'planner:sweep' ? 15 * 60_000 : undefined),
    onLocalRuntime: notifyCritical,
  });
  registerIpc(ipcMain, { invoke: (c, p) => desk!.invoke(c, p), desktop: desktopRequest }, () => win?.webContents ?? null);
  // A recording plays at once; the live console starts on the first screen (a local simulator or a controller).
  if (recording) await desk.start({ mode: 'local' });

  win = createSecureWindow(BrowserWindow, join(here, 'preload.cjs'), recording ? recordingTitle(recording) : 'Headroom');
  // The page's <title> would replace the window's: a recording's window keeps naming its file.
  if (recording) win.on('page-title-updated', (e) => e.preventDefault());
  win.once('ready-to-show', () => win?.show());
  await win.loadURL(`${APP_ORIGIN}/index.html`);
}

/** Critical alerts of this desktop's own runtime as desktop notifications (a controller's client leaves them to the controller's desks). */
function notifyCritical(rt: Runtime): void {
  rt.bus.on('alerts:changed', (alerts) => {
    for (const a of alerts) {
      // Silenced or inhibited alerts (decorated by AlertHandling) stay quiet on the desktop too.
      const muted = a.silencedBy !== null || a.inhibitedBy !== null;
      if (a.severity === 'critical' && a.state === 'firing' && !muted && a.firingSinceMs === rt.engine.nowMs && Notification.isSupported()) {
        new Notification({ title: `Headroom: ${a.rule}`, body: a.summary }).show();
      }
    }
  });
}

app.on('window-all-closed', () => app.quit());
// Flush the store (partial rollups, WAL) before the process goes away.
let closing = false;
app.on('before-quit', (e) => {
  if (!desk || closing) return;
  closing = true;
  e.preventDefault();
  // The local runtime flushes its store; a controller's client only closes its link (control stays where it is).
  void desk.close().finally(() => app.quit());
});
app.whenReady().then(start).catch((e: unknown) => {
  console.error(recording ? `Headroom could not open ${recording}:` : 'Headroom could not start:', e);
  // A second Headroom on the same data folder (LockError) or a bad store: say so on the desktop, not only on stderr.
  // A recording instance whose file fails (not a recording, damaged, newer schema) says so and quits.
  if (recording) dialog.showErrorBox(CANNOT_OPEN, oneLine(e));
  else dialog.showErrorBox('Headroom could not start', e instanceof Error ? e.message : String(e));
  app.exit(1);
});
