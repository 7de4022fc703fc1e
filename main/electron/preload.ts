// Preload of the sandboxed renderer: exposes exactly `window.headroom.invoke` and `window.headroom.on` for the
// contract's channels. ipcRenderer itself never reaches the page. Bundled to CommonJS (sandboxed preloads
// cannot be ES modules).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, IPC_EVENT, IPC_INVOKE, REQUEST_CHANNELS } from '../../shared/channels.js';
import { DESKTOP_EVENT_CHANNELS, DESKTOP_REQUEST_CHANNELS } from '../../shared/desktop.js';

// The contract's channels and the desktop's own (the first screen's choice, the link to a controller).
const requests: readonly string[] = [...REQUEST_CHANNELS, ...DESKTOP_REQUEST_CHANNELS];
const events: readonly string[] = [...EVENT_CHANNELS, ...DESKTOP_EVENT_CHANNELS];

contextBridge.exposeInMainWorld('headroom', {
  invoke(channel: unknown, payload: unknown): Promise<unknown> {
    if (typeof channel !== 'string' || !requests.includes(channel)) return Promise.reject(new Error(`channel not allowed: ${String(channel)}`));
    return ipcRenderer.invoke(IPC_INVOKE, channel, payload);
  },
  on(channel: unknown, listener: unknown): () => void {
    if (typeof channel !== 'string' || !events.includes(channel) || typeof listener !== 'function') {
      throw new Error(`event channel not allowed: ${String(channel)}`);
    }
    const wrapped = (_e: IpcRendererEvent, ch: string, payload: unknown) => {
      if (ch === channel) (listener as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
});
