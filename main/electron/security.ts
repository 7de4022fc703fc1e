import type { BrowserWindow as BrowserWindowType } from 'electron';

/** The renderer is served from this origin by a custom protocol, never from file:// or the network. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'headroom';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * The one way Headroom opens a window, with the Electron security checklist's settings written out literally here
 * (so that reviewers and electronegativity see them at the construction site). Tests assert these exact values.
 */
export function createSecureWindow(BrowserWindow: typeof BrowserWindowType, preloadPath: string, title = 'Headroom'): BrowserWindowType {
  return new BrowserWindow({
    width: 1600,
    height: 1000,
    backgroundColor: '#0f1419',
    show: false,
    title,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      // A dropped file or link navigates, and so passes through will-navigate (main.ts), which blocks every
      // navigation away from the app and opens a dropped .headroom recording in a second instance instead.
      navigateOnDragDrop: true,
      spellcheck: false,
      // Middle-click (auxclick) can open links outside the navigation handlers.
      disableBlinkFeatures: 'Auxclick',
    },
  });
}

/** Only our own top frame, loaded from the app protocol, may call the engine. */
export function isTrustedSenderUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}
