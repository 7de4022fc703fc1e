/**
 * The desktop's own channels (shared/desktop.ts) through the preload's bridge: the first screen's choice and the
 * main process's link to a controller. Outside Electron there is no bridge, and these say so (null, or a refusal).
 */
import type { DesktopRequests, DesktopChannel, DesktopState } from '../../shared/desktop.js';
import type { PreloadBridge } from './types.js';

function bridge(): PreloadBridge | null {
  const b = typeof window !== 'undefined' ? window.headroom : undefined;
  return b && typeof b.invoke === 'function' ? b : null;
}

/** Whether this page runs in the desktop app (its preload bridge is there). */
export function inDesktop(): boolean {
  return bridge() !== null;
}

export async function desktopInvoke<C extends DesktopChannel>(channel: C, payload: DesktopRequests[C]['payload']): Promise<DesktopRequests[C]['response']> {
  const b = bridge();
  if (!b) throw new Error(`${channel}: only in the desktop app`);
  return (await b.invoke(channel, payload)) as DesktopRequests[C]['response'];
}

/** The desktop's state at start; null in a browser (or from a desktop without the first screen). */
export async function desktopState(): Promise<DesktopState | null> {
  if (!bridge()) return null;
  try {
    return await desktopInvoke('desktop:state', {});
  } catch {
    return null;
  }
}
