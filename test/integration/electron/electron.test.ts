import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../helpers.js';

/** A stand-in for the parts of Electron the shell uses, recording what the shell asks of it. */
const fake = vi.hoisted(() => {
  const listeners = new Map<string, (...a: unknown[]) => void>();
  const mainFrame = { url: 'app://headroom/index.html' };
  const webContents = {
    mainFrame,
    sent: [] as unknown[][],
    send(...a: unknown[]) {
      this.sent.push(a);
    },
  };
  return {
    userData: '',
    windows: [] as Array<{ options: Record<string, unknown>; loaded: string | null }>,
    ipc: new Map<string, (...a: unknown[]) => unknown>(),
    appListeners: listeners,
    permissionRequest: null as null | ((wc: unknown, perm: string, cb: (ok: boolean) => void) => void),
    permissionCheck: null as null | (() => boolean),
    protocolHandler: null as null | ((req: Request) => Response),
    privileged: [] as unknown[],
    webContents,
    mainFrame,
  };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = fake.webContents;
    record: { options: Record<string, unknown>; loaded: string | null };
    constructor(options: Record<string, unknown>) {
      this.record = { options, loaded: null };
      fake.windows.push(this.record);
    }
    once() {}
    show() {}
    isDestroyed() {
      return false;
    }
    async loadURL(url: string) {
      this.record.loaded = url;
    }
  }
  return {
    app: {
      whenReady: () => Promise.resolve(),
      on: (ev: string, fn: (...a: unknown[]) => void) => fake.appListeners.set(ev, fn),
      getPath: () => fake.userData,
      quit: () => {},
      exit: () => {},
    },
    BrowserWindow,
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: () => {} },
    dialog: { showErrorBox: () => {} },
    ipcMain: { handle: (ch: string, fn: (...a: unknown[]) => unknown) => fake.ipc.set(ch, fn) },
    Notification: class {
      static isSupported() {
        return false;
      }
      show() {}
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => fake.privileged.push(...s),
      handle: (_scheme: string, fn: (req: Request) => Response) => (fake.protocolHandler = fn),
    },
    safeStorage: { isEncryptionAvailable: () => false },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof fake.permissionRequest) => (fake.permissionRequest = fn),
        setPermissionCheckHandler: (fn: typeof fake.permissionCheck) => (fake.permissionCheck = fn),
      },
    },
  };
});

const tmp = tempDir();
let firstState: unknown;
beforeAll(async () => {
  fake.userData = tmp.dir;
  await import('../../../main/electron/main.js');
  for (let i = 0; i < 200 && !fake.windows[0]?.loaded; i++) await new Promise((r) => setTimeout(r, 25));
  // The first screen's choice: this desk's own simulator (what the desktop did at start before issue 17).
  firstState = await invoke(fake.webContents, fake.mainFrame, 'desktop:state', {});
  await invoke(fake.webContents, fake.mainFrame, 'desktop:start', { mode: 'local' });
});
afterAll(async () => {
  fake.appListeners.get('before-quit')?.({ preventDefault() {} });
  await new Promise((r) => setTimeout(r, 300));
  tmp.cleanup();
});

const invoke = (sender: unknown, frame: unknown, channel: unknown, payload: unknown) =>
  Promise.resolve().then(() => fake.ipc.get('headroom:invoke')!({ sender, senderFrame: frame }, channel, payload));

describe('Electron shell (electron mocked)', () => {
  it('creates one window with the secure options and loads the app protocol, not file://', () => {
    expect(fake.windows).toHaveLength(1);
    const prefs = fake.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    expect(fake.windows[0]!.loaded).toBe('app://headroom/index.html');
    expect(fake.privileged).toEqual([expect.objectContaining({ scheme: 'app' })]);
  });

  it('denies every permission request and check', () => {
    let granted: boolean | null = null;
    fake.permissionRequest!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(fake.permissionCheck!()).toBe(false);
  });

  it('denies navigation away from the app and new windows', () => {
    const handlers = new Map<string, (...a: unknown[]) => void>();
    let openHandler: (() => { action: string }) | null = null;
    const contents = { on: (ev: string, fn: (...a: unknown[]) => void) => handlers.set(ev, fn), setWindowOpenHandler: (fn: () => { action: string }) => (openHandler = fn) };
    fake.appListeners.get('web-contents-created')!({}, contents);
    const nav = { prevented: false, preventDefault() {
      this.prevented = true;
    } };
    handlers.get('will-navigate')!(nav, 'https://evil.example/');
    expect(nav.prevented).toBe(true);
    expect(openHandler!()).toEqual({ action: 'deny' });
    const attach = { prevented: false, preventDefault() {
      this.prevented = true;
    } };
    handlers.get('will-attach-webview')!(attach);
    expect(attach.prevented).toBe(true);
  });

  it('serves the renderer from app://headroom with a CSP header', async () => {
    const res = fake.protocolHandler!(new Request('app://headroom/index.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(fake.protocolHandler!(new Request('app://elsewhere/index.html')).status).toBe(404);
  });

  it('opens on the first screen, and remembers the local simulator once chosen', async () => {
    expect(firstState).toEqual({ phase: 'choose', mode: null, last: null, error: null });
    await expect(invoke(fake.webContents, fake.mainFrame, 'desktop:state', {})).resolves.toEqual({ phase: 'running', mode: 'local', last: { mode: 'local', url: null, caFile: null, hasToken: false }, error: null });
  });

  it('answers a valid IPC call from its own window', async () => {
    const topo = (await invoke(fake.webContents, fake.mainFrame, 'fleet:topology', {})) as { gpuCount: number };
    expect(topo.gpuCount).toBe(1280);
  });

  it('refuses IPC from an unknown sender, another frame or origin, and invalid payloads', async () => {
    const stranger = { mainFrame: { url: 'app://headroom/index.html' } };
    await expect(invoke(stranger, stranger.mainFrame, 'fleet:topology', {})).rejects.toThrow(/untrusted sender/);
    await expect(invoke(fake.webContents, { url: 'app://headroom/index.html' }, 'fleet:topology', {})).rejects.toThrow(/untrusted sender/);
    const remote = { url: 'https://evil.example/' };
    await expect(invoke({ ...fake.webContents, mainFrame: remote }, remote, 'fleet:topology', {})).rejects.toThrow(/untrusted sender/);
    await expect(invoke(fake.webContents, fake.mainFrame, 'sim:control', { action: 'speed', speed: 'warp' })).rejects.toThrow(/sim:control: speed/);
    await expect(invoke(fake.webContents, fake.mainFrame, 'shell:exec', {})).rejects.toThrow(/unknown channel/);
  });

  it('forwards engine events to the window', async () => {
    for (let i = 0; i < 80 && !fake.webContents.sent.some((m) => m[1] === 'fleet:snapshot'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(fake.webContents.sent.some((m) => m[0] === 'headroom:event' && m[1] === 'fleet:snapshot')).toBe(true);
  });
});
