/**
 * The desktop as a controller's client (issue 17), with `electron` mocked: the first screen's channels, then the main
 * process bridging the window's IPC to a real `headroom serve` over a real WebSocket (plain and wss with a CA file),
 * events pushed through, a wrong token refused on the first screen, the choice remembered (the token sealed), and
 * closing the desktop leaving the controller untouched.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers.js';
import { startHeadroom, type RunningServer } from '../../e2e/support/server.js';

const fake = vi.hoisted(() => {
  const mainFrame = { url: 'app://headroom/index.html' };
  const webContents = {
    mainFrame,
    sent: [] as unknown[][],
    reloads: 0,
    send(...a: unknown[]) {
      this.sent.push(a);
    },
    reload() {
      this.reloads++;
    },
  };
  return { userData: '', loaded: null as string | null, ipc: new Map<string, (...a: unknown[]) => unknown>(), appListeners: new Map<string, (...a: unknown[]) => void>(), webContents, mainFrame };
});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = fake.webContents;
    once() {}
    on() {}
    show() {}
    isDestroyed() {
      return false;
    }
    async loadURL(url: string) {
      fake.loaded = url;
    }
  }
  return {
    app: { whenReady: () => Promise.resolve(), on: (ev: string, fn: (...a: unknown[]) => void) => fake.appListeners.set(ev, fn), getPath: () => fake.userData, quit: () => {}, exit: () => {} },
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
    protocol: { registerSchemesAsPrivileged: () => {}, handle: () => {} },
    session: { defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} } },
    // A stand-in keychain: reversible, and visibly not the token itself.
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(`sealed:${[...s].reverse().join('')}`),
      decryptString: (b: Buffer) => [...b.toString().replace(/^sealed:/, '')].reverse().join(''),
    },
  };
});

const tmp = tempDir();
let server: RunningServer;
let tlsServer: RunningServer;
let ca: string;

beforeAll(async () => {
  fake.userData = tmp.dir;
  const [key, cert] = [join(tmp.dir, 'tls.key'), join(tmp.dir, 'tls.crt')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  ca = cert;
  [server, tlsServer] = await Promise.all([startHeadroom({ speed: 10 }), startHeadroom({ speed: 10, extraArgs: ['--tls-cert', cert, '--tls-key', key] })]);
  await import('../../../main/electron/main.js');
  for (let i = 0; i < 200 && !fake.loaded; i++) await new Promise((r) => setTimeout(r, 25));
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.stop(), tlsServer?.stop()]);
  tmp.cleanup();
});

const invoke = (channel: unknown, payload: unknown) => Promise.resolve().then(() => fake.ipc.get('headroom:invoke')!({ sender: fake.webContents, senderFrame: fake.mainFrame }, channel, payload));
const sentOn = (channel: string) => fake.webContents.sent.filter((m) => m[0] === 'headroom:event' && m[1] === channel);
async function until(ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the desktop as a controller client (electron mocked, real server)', () => {
  it('starts on the first screen: nothing runs, contract requests are refused until a choice is made', async () => {
    expect(fake.loaded).toBe('app://headroom/index.html');
    await expect(invoke('desktop:state', {})).resolves.toEqual({ phase: 'choose', mode: null, last: null, error: null });
    await expect(invoke('fleet:topology', {})).rejects.toThrow(/choose a local simulator or a controller/);
    await expect(invoke('desktop:start', { mode: 'controller', url: 'file:///etc/passwd', token: 'x' })).rejects.toThrow(/http:\/\/ or https:\/\//);
    await expect(invoke('desktop:start', { mode: 'remote-shell' })).rejects.toThrow(/desktop:start: mode/);
  });

  it('a wrong token or a closed port is said on the first screen, and nothing is remembered', async () => {
    await expect(invoke('desktop:start', { mode: 'controller', url: server.origin, token: 'wrong-token' })).rejects.toThrow(/missing or wrong token/);
    const st = (await invoke('desktop:state', {})) as { phase: string; error: string };
    expect(st.phase).toBe('choose');
    expect(st.error).toMatch(/missing or wrong token/);
    await expect(invoke('desktop:start', { mode: 'controller', url: 'http://127.0.0.1:9', token: 't' })).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(JSON.parse(readFileSync(join(tmp.dir, 'profile.json'), 'utf8')).start).toBeUndefined();
  });

  it("bridges the window's requests and the controller's events over its WebSocket; the choice is remembered with the token sealed", async () => {
    const st = await invoke('desktop:start', { mode: 'controller', url: server.urls.operator });
    expect(st).toMatchObject({ phase: 'running', mode: 'controller', last: { mode: 'controller', url: server.origin, hasToken: true } });
    const topo = (await invoke('fleet:topology', {})) as { gpuCount: number };
    expect(topo.gpuCount).toBe(1280);
    // The controller judges the role by the token: the operator token's identity, not the desk's profile.
    await expect(invoke('session:whoami', {})).resolves.toMatchObject({ role: 'operator' });
    await expect(invoke('policy:set', { config: await invoke('policy:get', {}), reason: 'from an operator desk' })).rejects.toThrow(/policy:set: not allowed for role operator/);
    // Payloads are checked here too, before they leave the desk.
    await expect(invoke('sim:control', { action: 'speed', speed: 'warp' })).rejects.toThrow(/sim:control: speed/);
    await expect(invoke('shell:exec', {})).rejects.toThrow(/unknown channel/);
    await until(() => sentOn('fleet:snapshot').length > 0 && sentOn('status:changed').length > 0);
    expect(sentOn('desktop:link').at(-1)?.[2]).toMatchObject({ state: 'open', url: server.origin });
    const profile = JSON.parse(readFileSync(join(tmp.dir, 'profile.json'), 'utf8'));
    expect(profile.start).toMatchObject({ mode: 'controller', url: server.origin });
    expect(JSON.stringify(profile)).not.toContain(server.tokens.operator);
    expect(profile.start.tokenSealed).toBeTruthy();
  });

  it('acts through the controller: an override set from the desk is the controller’s, audited there', async () => {
    const racks = ((await invoke('fleet:topology', {})) as { racks: Array<{ id: string }> }).racks;
    await invoke('override:set', { target: { kind: 'racks', ids: [racks[0]!.id] }, action: { kind: 'powerCap', watts: 500 }, reason: 'from the desk', expiresInS: 600 });
    const summary = await server.invoke('control:summary', {});
    expect(summary.overrides.map((o) => o.reason)).toContain('from the desk');
  });

  it('wss with the CA file given; then the remembered token serves a start without one', async () => {
    await expect(invoke('desktop:start', { mode: 'controller', url: tlsServer.origin, token: tlsServer.token })).rejects.toThrow(/cannot reach|certificate/);
    const st = await invoke('desktop:start', { mode: 'controller', url: tlsServer.origin, token: tlsServer.token, caFile: ca });
    expect(st).toMatchObject({ phase: 'running', mode: 'controller', last: { url: tlsServer.origin, caFile: ca } });
    await expect(invoke('session:whoami', {})).resolves.toMatchObject({ role: 'admin' });
    await invoke('desktop:leave', {});
    // Back on the first screen, the address, the CA and a sealed token are offered again.
    await expect(invoke('desktop:state', {})).resolves.toMatchObject({ phase: 'choose', last: { mode: 'controller', url: tlsServer.origin, caFile: ca, hasToken: true } });
    await expect(invoke('desktop:start', { mode: 'controller', url: tlsServer.origin, caFile: ca })).resolves.toMatchObject({ phase: 'running' });
    await expect(invoke('session:whoami', {})).resolves.toMatchObject({ role: 'admin' });
  });

  it('closing the desktop closes only its link: the controller runs on, its overrides in force', async () => {
    const before = await tlsServerStatus();
    fake.appListeners.get('before-quit')!({ preventDefault() {} });
    await new Promise((r) => setTimeout(r, 300));
    const after = await tlsServerStatus();
    expect(after.paused).toBe(false);
    expect(after.simTimeMs).toBeGreaterThan(before.simTimeMs);
    expect((await server.invoke('control:summary', {})).overrides.map((o) => o.reason)).toContain('from the desk');
  });
});

/** The TLS server's status over its own API (the test trusts its CA). */
async function tlsServerStatus(): Promise<{ paused: boolean; simTimeMs: number }> {
  const { request } = await import('node:https');
  return new Promise((ok, fail) => {
    const req = request(`${tlsServer.origin}/api/invoke/status:get`, { method: 'POST', ca: readFileSync(ca), headers: { authorization: `Bearer ${tlsServer.token}`, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => ok(JSON.parse(body) as { paused: boolean; simTimeMs: number }));
    });
    req.on('error', fail);
    req.end('{}');
  });
}
