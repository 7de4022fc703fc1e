/**
 * What the desktop runs, chosen on its first screen (issue 17): its own runtime (the simulator, or the real fleet of
 * profile.json) or a client of a controller through a RemoteBridge. Both answer the window's contract requests; only
 * the local runtime ever acts by itself. No 'electron' here (main.ts passes what it needs), so it is tested with a
 * real server and no Electron.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { eventChannels, isEventChannel, isRequestChannel, parseRequest, type RequestChannel } from '../../shared/contract.js';
import type { Actor } from '../../shared/domain/control.js';
import type { DesktopLink, DesktopState } from '../../shared/desktop.js';
import type { Runtime } from '../app/runtime.js';
import { dispatch, type DispatchResult } from '../engine/dispatch.js';
import { lastStart, saveStart } from './profile.js';
import { RemoteBridge } from './remoteBridge.js';

/** The first screen's payload, validated here (renderer input is untrusted). */
export const DesktopChoiceSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('local') }).strict(),
  z
    .object({
      mode: z.literal('controller'),
      url: z.string().min(1).max(2000),
      token: z.string().min(1).max(512).optional(),
      caFile: z.string().min(1).max(4096).optional(),
    })
    .strict(),
]);

/** Sealing of a remembered token by the operating system's keychain (Electron's safeStorage); null: not remembered. */
export interface TokenSeal {
  seal(token: string): string;
  open(sealed: string): string;
}

export interface DesktopDeps {
  /** The profile folder (profile.json). */
  userData: string;
  /** Starts this desktop's own runtime (what the desktop did at start before the first screen). */
  createLocal: () => Promise<Runtime>;
  /** Pushes an event to the window (contract events and `desktop:link`). */
  send: (channel: string, payload: unknown) => void;
  /** Reloads the window (the controller changed face). */
  reload: () => void;
  /** This instance plays a recording (read-only; the choice is not remembered). */
  recording?: boolean;
  /** Called with each local runtime once it runs (desktop notifications). */
  onLocalRuntime?: (rt: Runtime) => void;
  /** Who sits at this desk, for the local runtime (a controller decides by the token instead). */
  actor: () => Actor;
  seal?: TokenSeal | null;
  log?: (msg: string) => void;
  /** Long requests (the planner's sweep), as the browser's client allows them. */
  timeoutFor?: (channel: RequestChannel) => number | undefined;
}

interface Remote {
  bridge: RemoteBridge;
  url: string;
  token: string;
  caFile: string | null;
}

export class DesktopSession {
  runtime: Runtime | null = null;
  private remote: Remote | null = null;
  private error: string | null = null;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: DesktopDeps) {}

  state(): DesktopState {
    const last = lastStart(this.d.userData);
    const lastView: DesktopState['last'] = this.remote
      ? { mode: 'controller', url: this.remote.url, caFile: this.remote.caFile, hasToken: true }
      : last
        ? last.mode === 'local'
          ? { mode: 'local', url: null, caFile: null, hasToken: false }
          : { mode: 'controller', url: last.url, caFile: last.caFile ?? null, hasToken: !!last.tokenSealed && !!this.d.seal }
        : null;
    const mode = this.remote ? 'controller' : this.runtime ? (this.d.recording ? 'recording' : 'local') : null;
    return { phase: mode ? 'running' : 'choose', mode, last: lastView, error: this.error };
  }

  /** Starts the choice (one at a time), after closing what ran before; remembered in profile.json. */
  start(payload: unknown): Promise<DesktopState> {
    const next = this.busy.then(() => this.startNow(payload));
    this.busy = next.catch(() => {});
    return next;
  }

  /** Back to the first screen: the local runtime stops (its store flushed) or the link closes. */
  leave(): Promise<DesktopState> {
    const next = this.busy.then(async () => {
      await this.stopCurrent();
      this.error = null;
      return this.state();
    });
    this.busy = next.catch(() => {});
    return next;
  }

  /** A contract request from the window: the local runtime's dispatch, or validated and sent to the controller. */
  async invoke(channel: unknown, payload: unknown): Promise<DispatchResult> {
    if (this.runtime) return dispatch(this.runtime.handlers, channel, payload, this.d.actor(), { onRefused: this.runtime.auditRefusal, roles: this.runtime.roles });
    const remote = this.remote;
    if (!remote) return { ok: false, error: 'nothing runs yet: choose a local simulator or a controller' };
    // Same checks as the local face (channel and payload); the role is the controller's to judge, by the token.
    if (!isRequestChannel(channel)) return { ok: false, error: `unknown channel ${JSON.stringify(channel)}` };
    const parsed = parseRequest(channel, payload);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    try {
      return { ok: true, result: await remote.bridge.invoke(channel, parsed.value) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  /** Quitting: flush the local store, or close the link (the controller keeps control). */
  close(): Promise<void> {
    return this.stopCurrent();
  }

  private async startNow(payload: unknown): Promise<DesktopState> {
    const r = DesktopChoiceSchema.safeParse(payload);
    if (!r.success) throw new Error(`desktop:start: ${r.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ')}`);
    const choice = r.data;
    if (this.d.recording && choice.mode !== 'local') throw new Error('a recording plays in its own window: start another Headroom to connect to a controller');
    const previous = this.remote;
    await this.stopCurrent();
    this.error = null;
    try {
      if (choice.mode === 'local') {
        const rt = await this.d.createLocal();
        this.runtime = rt;
        for (const channel of eventChannels) {
          rt.bus.on(channel, (p) => {
            if (this.runtime === rt) this.d.send(channel, p);
          });
        }
        this.d.onLocalRuntime?.(rt);
        rt.runner.start();
        if (!this.d.recording) saveStart(this.d.userData, { mode: 'local' }, this.d.log);
      } else {
        await this.connect(choice, previous);
      }
    } catch (e) {
      this.error = (e as Error).message;
      throw e;
    }
    return this.state();
  }

  private async connect(choice: { url: string; token?: string; caFile?: string }, previous: Remote | null): Promise<void> {
    let u: URL;
    try {
      u = new URL(choice.url.trim());
    } catch {
      throw new Error(`${choice.url}: not an address (http://host:port or https://host:port)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${choice.url}: a controller's address starts with http:// or https://`);
    const url = u.origin;
    const last = lastStart(this.d.userData);
    // The token: as given, else in the address, else the one in use (switching within a set), else the remembered one.
    let token = choice.token ?? u.searchParams.get('token') ?? previous?.token ?? null;
    if (!token && last?.mode === 'controller' && last.tokenSealed && this.d.seal) {
      try {
        token = this.d.seal.open(last.tokenSealed);
      } catch {
        token = null;
      }
    }
    if (!token) throw new Error('a token is needed: the one `headroom serve` printed (the end of its ?token=… address)');
    const caFile = choice.caFile ?? (previous && !choice.token ? previous.caFile : null) ?? null;
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (e) {
        throw new Error(`cannot read the CA certificate ${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const remote: Remote = { url, token, caFile, bridge: null as unknown as RemoteBridge };
    remote.bridge = new RemoteBridge({
      url,
      token,
      ca,
      timeoutFor: this.d.timeoutFor,
      onEvent: (channel, p) => {
        if (this.remote === remote && isEventChannel(channel)) this.d.send(channel, p);
      },
      onLink: (l: DesktopLink) => {
        // From the first attempt on (the window learns the link is open as it loads the console).
        if (this.remote === remote || this.remote === null) this.d.send('desktop:link', l);
      },
      onReload: () => {
        if (this.remote === remote) this.d.reload();
      },
    });
    try {
      await remote.bridge.opened();
    } catch (e) {
      remote.bridge.close();
      throw e;
    }
    this.remote = remote;
    const sealed = this.d.seal ? safe(() => this.d.seal!.seal(token)) : undefined;
    saveStart(this.d.userData, { mode: 'controller', url, ...(caFile ? { caFile } : {}), ...(sealed ? { tokenSealed: sealed } : {}) }, this.d.log);
  }

  private async stopCurrent(): Promise<void> {
    const rt = this.runtime;
    const remote = this.remote;
    this.runtime = null;
    this.remote = null;
    remote?.bridge.close();
    if (rt) await rt.close();
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
