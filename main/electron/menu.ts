import type { MenuItemConstructorOptions } from 'electron';

/**
 * The application menu: Electron's default menu (app menu on macOS, Edit, View, Window) with a File menu that opens
 * recordings. Data only; main.ts builds it with Menu.buildFromTemplate.
 */
export function menuTemplate(platform: NodeJS.Platform, actions: { openRecording: () => void; startScreen?: () => void }): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: 'File',
      submenu: [
        { id: 'open-recording', label: 'Open recording…', accelerator: 'CmdOrCtrl+O', click: () => actions.openRecording() },
        // Back to the first screen (local simulator or a controller); a controller's control is not affected.
        ...(actions.startScreen ? [{ id: 'start-screen', label: 'Start screen…', click: () => actions.startScreen?.() }] : []),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
}
