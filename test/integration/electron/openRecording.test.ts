import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeOptions } from '../../../main/app/runtime.js';
import type { TickRecord } from '../../../main/core/ports.js';
import { writeRecording } from '../../../main/store/recording.js';
import { beginRun, endRun } from '../../../main/store/runs.js';
import { TelemetryWriter } from '../../../main/store/telemetry.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { defaultTopology, tempDir } from '../../helpers.js';

/**
 * Opening recordings on the desktop (electron mocked, main/electron/main.ts real): File → Open recording…, a dropped
 * file (will-navigate to its file:// URL), macOS' open-file and a file in argv all start a second instance in
 * recording mode (child_process.spawn mocked) after checking the file; a bad file says why and starts nothing.
 * The instance started with `--recording F` (or an associated F in argv) plays F read-only.
 */
type Listener = (...a: unknown[]) => unknown;
type MenuItem = { label?: string; role?: string; accelerator?: string; click?: () => void; submenu?: MenuItem[] };
type Child = { command: string; args: string[]; options: Record<string, unknown>; unrefed: boolean; listeners: Map<string, Listener> };

const fake = vi.hoisted(() => {
  const state = {
    ready: null as null | (() => void),
    readyPromise: Promise.resolve(),
    userData: '',
    isPackaged: false,
    appListeners: new Map<string, Listener[]>(),
    paths: new Map<string, string>(),
    windows: [] as Array<{ options: Record<string, unknown>; loaded: string | null; listeners: Map<string, Listener> }>,
    menu: null as unknown,
    openDialog: [] as unknown[][],
    openResult: { canceled: true, filePaths: [] as string[] },
    errorBoxes: [] as Array<[string, string]>,
    exited: null as number | null,
    quits: 0,
    spawned: [] as Child[],
    spawnThrows: null as Error | null,
    runtimeOptions: [] as unknown[],
    ipc: new Map<string, Listener>(),
    webContents: { mainFrame: { url: 'app://headroom/index.html' }, send() {} },
  };
  return {
    state,
    reset(userData: string) {
      state.userData = userData;
      state.isPackaged = false;
      state.appListeners.clear();
      state.paths.clear();
      state.windows.length = 0;
      state.menu = null;
      state.openDialog.length = 0;
      state.openResult = { canceled: true, filePaths: [] };
      state.errorBoxes.length = 0;
      state.exited = null;
      state.quits = 0;
      state.spawned.length = 0;
      state.spawnThrows = null;
      state.runtimeOptions.length = 0;
      state.ipc.clear();
      state.readyPromise = new Promise<void>((r) => (state.ready = r));
    },
    emit(ev: string, ...a: unknown[]) {
      for (const fn of state.appListeners.get(ev) ?? []) fn(...a);
    },
  };
});

vi.mock('electron', () => {
  const s = fake.state;
  class BrowserWindow {
    webContents = s.webContents;
    record: (typeof s.windows)[number];
    constructor(options: Record<string, unknown>) {
      this.record = { options, loaded: null, listeners: new Map() };
      s.windows.push(this.record);
    }
    on(ev: string, fn: Listener) {
      this.record.listeners.set(ev, fn);
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
      whenReady: () => s.readyPromise,
      on: (ev: string, fn: Listener) => s.appListeners.set(ev, [...(s.appListeners.get(ev) ?? []), fn]),
      getPath: (name: string) => (name === 'temp' ? join(s.userData, 'tmp') : s.userData),
      setPath: (name: string, path: string) => s.paths.set(name, path),
      getAppPath: () => '/repo/headroom',
      get isPackaged() {
        return s.isPackaged;
      },
      quit: () => s.quits++,
      exit: (code: number) => (s.exited = code),
    },
    BrowserWindow,
    Menu: {
      buildFromTemplate: (template: unknown) => ({ template }),
      setApplicationMenu: (menu: unknown) => (s.menu = menu),
    },
    dialog: {
      showErrorBox: (title: string, content: string) => s.errorBoxes.push([title, content]),
      showOpenDialog: async (...a: unknown[]) => {
        s.openDialog.push(a);
        return s.openResult;
      },
    },
    ipcMain: { handle: (ch: string, fn: Listener) => s.ipc.set(ch, fn) },
    Notification: class {
      static isSupported() {
        return false;
      }
      show() {}
    },
    protocol: { registerSchemesAsPrivileged: () => {}, handle: () => {} },
    safeStorage: { isEncryptionAvailable: () => false },
    session: { defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} } },
  };
});

vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  return {
    ...real,
    spawn: (command: string, args: string[], options: Record<string, unknown>) => {
      if (fake.state.spawnThrows) throw fake.state.spawnThrows;
      const child: Child = { command, args, options, unrefed: false, listeners: new Map() };
      fake.state.spawned.push(child);
      return {
        on(ev: string, fn: Listener) {
          child.listeners.set(ev, fn);
          return this;
        },
        unref() {
          child.unrefed = true;
        },
      };
    },
  };
});

// The live console's runtime is a stand-in (electron.test.ts runs the real one); a recording's is the real one.
vi.mock('../../../main/app/runtime.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../main/app/runtime.js')>();
  return {
    ...real,
    createRuntime: async (o: RuntimeOptions) => {
      fake.state.runtimeOptions.push(o);
      if (o.recording) return real.createRuntime(o);
      return { handlers: {}, bus: { on() {} }, runner: { start() {} }, engine: { nowMs: 0 }, roles: undefined, auditRefusal() {}, close: async () => {} };
    },
  };
});

const tmp = tempDir();
let rec = '';
const bad: Record<string, string> = {};

/** A real recording: a few ticks of the default site, saved by the store as `headroom incident save` does. */
function makeRecording(out: string): void {
  const topology = defaultTopology();
  const db = openTelemetryDb(tmp.file('telemetry.db'));
  const run = beginRun(db, { kind: 'sim', label: 'sim default', topology, meta: {}, startedWallMs: 1 });
  const w = new TelemetryWriter(db, run, { rows: topology.rows.length, racks: topology.racks.length });
  const n = topology.gpuCount;
  const f = (len: number, v: number) => new Float64Array(len).fill(v);
  const tick = (tMs: number): TickRecord => ({
    tMs,
    powerW: f(n, 500),
    tempC: f(n, 60),
    clockMHz: f(n, 1980),
    limitW: f(n, 700),
    util: f(n, 0.5),
    flags: new Uint32Array(n),
    rackW: f(topology.racks.length, 2000),
    rackMaxTempC: f(topology.racks.length, 60),
    rowW: f(topology.rows.length, 80_000),
    rowMaxTempC: f(topology.rows.length, 60),
    siteW: 320_000,
  });
  w.write(Array.from({ length: 5 }, (_, i) => tick(1_700_000_000_000 + i * 1000)));
  w.flush();
  endRun(db, run, 2);
  writeRecording({ telemetry: db, run, out, meta: { site: 'test' } });
  db.close();
}

beforeAll(() => {
  rec = tmp.file('outage 0512.headroom');
  makeRecording(rec);
  bad.notSqlite = tmp.file('notes.headroom');
  writeFileSync(bad.notSqlite, 'these are my notes, not a recording\n'.repeat(200));
  bad.otherApp = tmp.file('other.headroom');
  const other = new Database(bad.otherApp);
  other.exec('CREATE TABLE t (x)');
  other.close();
  bad.newer = tmp.file('newer.headroom');
  copyFileSync(rec, bad.newer);
  const newer = new Database(bad.newer);
  newer.pragma('user_version = 99');
  newer.close();
  bad.damaged = tmp.file('damaged.headroom');
  const bytes = readFileSync(rec);
  // Keep the header (it still says "HRD1", schema 1) and scribble over every page after the first.
  for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
  writeFileSync(bad.damaged, bytes);
  bad.missing = tmp.file('gone.headroom');
}, 60_000);
afterAll(() => tmp.cleanup());

/** Load main.ts afresh with this argv (the recording is read from it at load), then let the app become ready. */
async function launch(argv: string[], beforeReady: () => void = () => {}): Promise<void> {
  vi.resetModules();
  fake.reset(tmp.dir);
  const saved = process.argv;
  process.argv = [process.execPath, ...argv];
  try {
    await import('../../../main/electron/main.js');
  } finally {
    process.argv = saved;
  }
  beforeReady();
  fake.state.ready!();
  for (let i = 0; i < 400 && !fake.state.windows[0]?.loaded && fake.state.exited === null; i++) await new Promise((r) => setTimeout(r, 10));
}

/** Quit the loaded instance (its before-quit handler closes the runtime, then quits). */
async function quit(): Promise<void> {
  const quits = fake.state.quits;
  fake.emit('before-quit', { preventDefault() {} });
  for (let i = 0; i < 200 && fake.state.quits === quits; i++) await new Promise((r) => setTimeout(r, 10));
}

/** The handlers hardenContents puts on a web contents. */
function contents(): Map<string, Listener> {
  const handlers = new Map<string, Listener>();
  fake.emit('web-contents-created', {}, { on: (ev: string, fn: Listener) => handlers.set(ev, fn), setWindowOpenHandler() {} });
  return handlers;
}

function navigate(url: string): boolean {
  const e = { prevented: false, preventDefault() {
    this.prevented = true;
  } };
  contents().get('will-navigate')!(e, url);
  return e.prevented;
}

function openItem(): MenuItem {
  const template = (fake.state.menu as { template: MenuItem[] }).template;
  const item = template.find((m) => m.label === 'File')?.submenu?.find((i) => i.label === 'Open recording…');
  expect(item).toBeDefined();
  return item!;
}

async function openFromMenu(result: { canceled: boolean; filePaths: string[] }): Promise<void> {
  fake.state.openResult = result;
  openItem().click!();
  // The dialog answers at once; what follows it runs before the next timer.
  await new Promise((r) => setTimeout(r, 0));
}

const liveArgv = ['/repo/headroom'];
const secondInstance = (file: string) => ({ command: process.execPath, args: ['/repo/headroom', '--recording', file], options: { detached: true, stdio: 'ignore' }, unrefed: true });

describe('the live console opens recordings in a second instance', () => {
  beforeEach(async () => {
    await launch(liveArgv);
    expect(fake.state.windows).toHaveLength(1);
    // The first screen's choice: this desk's own simulator.
    const wc = fake.state.webContents;
    await fake.state.ipc.get('headroom:invoke')!({ sender: wc, senderFrame: wc.mainFrame }, 'desktop:start', { mode: 'local' });
  });

  it('starts live: the data folder, no recording, the plain title and its own session', () => {
    expect(fake.state.runtimeOptions).toHaveLength(1);
    const o = fake.state.runtimeOptions[0] as RuntimeOptions;
    expect(o.recording).toBeUndefined();
    expect(o.db).toBe(join(tmp.dir, 'telemetry.db'));
    expect(fake.state.windows[0]!.options.title).toBe('Headroom');
    expect(fake.state.paths.has('sessionData')).toBe(false);
  });

  it('has File → Open recording… (CmdOrCtrl+O): a file dialog for *.headroom, whose file starts a second instance', async () => {
    expect(openItem().accelerator).toBe('CmdOrCtrl+O');
    await openFromMenu({ canceled: false, filePaths: [rec] });
    const [, options] = fake.state.openDialog[0] as [unknown, { filters: Array<{ extensions: string[] }>; properties: string[] }];
    expect(options.filters).toEqual([{ name: 'Headroom recording', extensions: ['headroom'] }]);
    expect(options.properties).toContain('openFile');
    expect(fake.state.spawned).toMatchObject([secondInstance(rec)]);
    expect(fake.state.errorBoxes).toEqual([]);
  });

  it('does nothing when the dialog is cancelled', async () => {
    await openFromMenu({ canceled: true, filePaths: [] });
    expect(fake.state.openDialog).toHaveLength(1);
    expect(fake.state.spawned).toEqual([]);
    expect(fake.state.errorBoxes).toEqual([]);
  });

  it('opens a dropped .headroom file (will-navigate to its file:// URL): navigation prevented, second instance started', () => {
    expect(navigate(pathToFileURL(rec).href)).toBe(true);
    expect(fake.state.spawned).toMatchObject([secondInstance(rec)]);
    expect(fake.state.errorBoxes).toEqual([]);
  });

  it('keeps blocking every other navigation, and starts nothing', () => {
    for (const url of ['https://evil.example/', 'https://evil.example/y.headroom', pathToFileURL(tmp.file('page.html')).href, `${pathToFileURL(rec).href}?x=1`, 'javascript:alert(1)']) {
      expect(navigate(url), url).toBe(true);
    }
    expect(navigate('app://headroom/index.html#/alerts')).toBe(false);
    expect(fake.state.spawned).toEqual([]);
    expect(fake.state.errorBoxes).toEqual([]);
  });

  it('says why a bad file cannot be opened (one line, naming it), starts nothing and keeps running', async () => {
    const expected: Record<string, RegExp> = {
      notSqlite: /^notes\.headroom: not a Headroom recording/,
      otherApp: /^other\.headroom: not a Headroom recording \(application_id 0\)$/,
      newer: /^newer\.headroom: recording schema 99 is newer than this Headroom reads/,
      damaged: /^damaged\.headroom: damaged \(/,
      missing: /^gone\.headroom: cannot open/,
    };
    for (const [kind, file] of Object.entries(bad)) {
      fake.state.errorBoxes.length = 0;
      expect(navigate(pathToFileURL(file).href), kind).toBe(true);
      expect(fake.state.errorBoxes, kind).toHaveLength(1);
      const [title, message] = fake.state.errorBoxes[0]!;
      expect(title).toBe('Cannot open recording');
      expect(message, kind).toMatch(expected[kind]!);
      expect(message).not.toContain('\n');
    }
    // The same through the menu.
    fake.state.errorBoxes.length = 0;
    await openFromMenu({ canceled: false, filePaths: [bad.newer!] });
    expect(fake.state.errorBoxes).toEqual([['Cannot open recording', expect.stringMatching(/^newer\.headroom: recording schema 99/)]]);
    expect(fake.state.spawned).toEqual([]);
    expect(fake.state.exited).toBeNull();
    expect(fake.state.quits).toBe(0);
    // And still opens a good one afterwards.
    navigate(pathToFileURL(rec).href);
    expect(fake.state.spawned).toHaveLength(1);
  });

  it('opens a file macOS hands over (open-file) after start in a second instance', () => {
    const e = { prevented: false, preventDefault() {
      this.prevented = true;
    } };
    fake.emit('open-file', e, rec);
    expect(e.prevented).toBe(true);
    expect(fake.state.spawned).toMatchObject([secondInstance(rec)]);
    // This instance stays live.
    expect(fake.state.runtimeOptions).toHaveLength(1);
  });

  it('packaged, passes no app path; a second instance that fails to start says so instead of crashing', () => {
    fake.state.isPackaged = true;
    navigate(pathToFileURL(rec).href);
    expect(fake.state.spawned[0]!.args).toEqual(['--recording', rec]);
    const onError = fake.state.spawned[0]!.listeners.get('error');
    expect(onError).toBeDefined();
    onError!(new Error('spawn /opt/Headroom/headroom EACCES'));
    expect(fake.state.errorBoxes).toEqual([['Cannot open recording', 'spawn /opt/Headroom/headroom EACCES']]);
    fake.state.errorBoxes.length = 0;
    fake.state.spawnThrows = new Error('spawn EAGAIN');
    expect(() => navigate(pathToFileURL(rec).href)).not.toThrow();
    expect(fake.state.errorBoxes).toEqual([['Cannot open recording', 'spawn EAGAIN']]);
  });

  it('from an AppImage, starts the AppImage (its mount goes when this instance quits)', () => {
    vi.stubEnv('APPIMAGE', '/home/ana/Apps/Headroom.AppImage');
    try {
      navigate(pathToFileURL(rec).href);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(fake.state.spawned).toMatchObject([{ command: '/home/ana/Apps/Headroom.AppImage', args: ['/repo/headroom', '--recording', rec] }]);
  });
});

describe('the instance started on a recording', () => {
  it('reads --recording F from argv: plays F read-only (no data folder), titled with its name, in its own session', async () => {
    await launch(['/repo/headroom', '--recording', rec]);
    try {
      expect(fake.state.errorBoxes).toEqual([]);
      expect(fake.state.runtimeOptions).toEqual([expect.objectContaining({ recording: rec, db: null })]);
      const win = fake.state.windows[0]!;
      expect(win.options.title).toBe(`Headroom — recording ${basename(rec)}`);
      expect(win.loaded).toBe('app://headroom/index.html');
      // The page's <title> does not replace the recording's name.
      const titleEvent = { prevented: false, preventDefault() {
        this.prevented = true;
      } };
      win.listeners.get('page-title-updated')!(titleEvent, 'Headroom');
      expect(titleEvent.prevented).toBe(true);
      expect(fake.state.paths.get('sessionData')).toBe(join(tmp.dir, 'tmp', `headroom-recording-${process.pid}`));
      // The real runtime plays the file: the engine answers over IPC with the recording's site.
      const wc = fake.state.webContents;
      const topo = (await fake.state.ipc.get('headroom:invoke')!({ sender: wc, senderFrame: wc.mainFrame }, 'fleet:topology', {})) as { gpuCount: number };
      expect(topo.gpuCount).toBe(1280);
      // The menu is there too: a recording window opens others the same way.
      expect(openItem().accelerator).toBe('CmdOrCtrl+O');
    } finally {
      await quit();
    }
  });

  it('treats a .headroom path among argv (file association on Windows and Linux) like --recording', async () => {
    await launch(['/repo/headroom', rec]);
    try {
      expect(fake.state.runtimeOptions).toEqual([expect.objectContaining({ recording: rec, db: null })]);
      expect(fake.state.windows[0]!.options.title).toBe(`Headroom — recording ${basename(rec)}`);
    } finally {
      await quit();
    }
  });

  it('takes the file macOS hands over (open-file) before it is ready as its recording', async () => {
    await launch(liveArgv, () => fake.emit('open-file', { preventDefault() {} }, rec));
    try {
      expect(fake.state.spawned).toEqual([]);
      expect(fake.state.runtimeOptions).toEqual([expect.objectContaining({ recording: rec, db: null })]);
    } finally {
      await quit();
    }
  });

  it('a bad recording at startup: the same error box, then it quits (no window)', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await launch(['/repo/headroom', '--recording', bad.newer!]);
    } finally {
      stderr.mockRestore();
    }
    expect(fake.state.errorBoxes).toEqual([['Cannot open recording', expect.stringMatching(/^newer\.headroom: recording schema 99 is newer/)]]);
    expect(fake.state.exited).toBe(1);
    expect(fake.state.windows).toEqual([]);
  });
});
