import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Handlers } from '../../shared/contract.js';
import { IPC_INVOKE } from '../../shared/channels.js';
import { dispatch, type DispatchOptions } from '../engine/dispatch.js';
import type { Actor } from '../../shared/domain/control.js';
import { isTrustedSenderUrl } from './security.js';

/**
 * Register the single invoke channel. Every call is checked: the sender must be our window's main frame loaded
 * from app://headroom, and the payload must pass the contract's schema. Refusals are logged and thrown back.
 */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  handlers: Handlers,
  trusted: () => WebContents | null,
  actor: () => Actor,
  opts: DispatchOptions & { log?: (msg: string) => void } = {},
): void {
  const log = opts.log ?? console.warn;
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, channel: unknown, payload: unknown) => {
    const win = trusted();
    const frame = event.senderFrame;
    if (!win || event.sender !== win || !frame || frame !== event.sender.mainFrame || !isTrustedSenderUrl(frame.url)) {
      log(`refused IPC ${String(channel)} from untrusted sender ${frame?.url ?? '(no frame)'}`);
      throw new Error('IPC refused: untrusted sender');
    }
    const r = await dispatch(handlers, channel, payload, actor(), { onRefused: opts.onRefused, roles: opts.roles });
    if (!r.ok) {
      log(`refused IPC: ${r.error}`);
      throw new Error(r.error);
    }
    return r.result;
  });
}
