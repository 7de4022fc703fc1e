import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { IPC_INVOKE } from '../../shared/channels.js';
import { DESKTOP_REQUEST_CHANNELS, type DesktopChannel } from '../../shared/desktop.js';
import type { DispatchResult } from '../engine/dispatch.js';
import { isTrustedSenderUrl } from './security.js';

/** What answers the window: the contract (the local runtime or a controller's link) and the desktop's own channels. */
export interface IpcTarget {
  /** A contract request: checked (channel, role, payload) by whoever answers it. */
  invoke(channel: unknown, payload: unknown): Promise<DispatchResult>;
  /** A desktop request (`desktop:state`, `desktop:start`, `desktop:leave`); validates its own payload. */
  desktop(channel: DesktopChannel, payload: unknown): Promise<unknown>;
}

const desktopChannels: readonly string[] = DESKTOP_REQUEST_CHANNELS;

/**
 * Register the single invoke channel. Every call is checked: the sender must be our window's main frame loaded
 * from app://headroom, and the payload must pass the contract's schema. Refusals are logged and thrown back.
 */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, target: IpcTarget, trusted: () => WebContents | null, opts: { log?: (msg: string) => void } = {}): void {
  const log = opts.log ?? console.warn;
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, channel: unknown, payload: unknown) => {
    const win = trusted();
    const frame = event.senderFrame;
    if (!win || event.sender !== win || !frame || frame !== event.sender.mainFrame || !isTrustedSenderUrl(frame.url)) {
      log(`refused IPC ${String(channel)} from untrusted sender ${frame?.url ?? '(no frame)'}`);
      throw new Error('IPC refused: untrusted sender');
    }
    if (typeof channel === 'string' && desktopChannels.includes(channel)) return target.desktop(channel as DesktopChannel, payload);
    const r = await target.invoke(channel, payload);
    if (!r.ok) {
      log(`refused IPC: ${r.error}`);
      throw new Error(r.error);
    }
    return r.result;
  });
}
