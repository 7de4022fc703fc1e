// How the desktop app finds the recording it was asked to open: pure decisions on strings (argv, URLs, file names),
// no I/O, so that they are unit-tested without Electron. main.ts validates the file and starts the instance.
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An incident recording's file extension (electron-builder.yml associates it with Headroom). */
export const RECORDING_EXT = '.headroom';
/** The switch that starts the app on a recording instead of the live console. */
export const RECORDING_SWITCH = '--recording';

/** Whether a path names a recording by its extension (any case: Windows file names are case-insensitive). */
export function isRecordingPath(path: string): boolean {
  return extname(path).toLowerCase() === RECORDING_EXT;
}

/**
 * A file:// URL of a recording (a file dropped on the window makes Chromium navigate to it; a Linux desktop entry may
 * pass one in argv) → its path; anything else (other schemes, a remote host, a query or fragment, other files) → null.
 */
export function recordingFromUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'file:' || u.search !== '' || u.hash !== '') return null;
  let path: string;
  try {
    // Refuses a host other than localhost (outside Windows' UNC paths) and encoded separators.
    path = fileURLToPath(u);
  } catch {
    return null;
  }
  return isRecordingPath(path) ? path : null;
}

/**
 * The recording this process was started on, from its argv (argv[0] is the executable and is skipped):
 * `--recording FILE` or `--recording=FILE` (how the app starts its second instance) wins; else the first argument
 * that is a `.headroom` path or file:// URL (how Windows, Linux and a shell pass an associated file). Switches
 * (`-x`, `--x`) are never taken for files. Null: the live console.
 */
export function recordingFromArgv(argv: readonly string[]): string | null {
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === RECORDING_SWITCH) {
      const value = args[i + 1];
      return value && !value.startsWith('-') ? value : null;
    }
    if (a.startsWith(`${RECORDING_SWITCH}=`)) return a.slice(RECORDING_SWITCH.length + 1) || null;
  }
  for (const a of args) {
    if (a.startsWith('-')) continue;
    // A URL (a scheme of two letters or more; one letter is a Windows drive) counts only as a file:// URL.
    if (/^[a-z][a-z0-9+.-]+:/i.test(a)) {
      const path = recordingFromUrl(a);
      if (path) return path;
    } else if (isRecordingPath(a)) return a;
  }
  return null;
}

/**
 * The arguments of the instance that plays a recording: the app's path when it runs unpackaged (`electron <app>`),
 * then the switch. A packaged app loads its own asar and takes no app path (null).
 */
export function recordingInstanceArgs(file: string, appPath: string | null): string[] {
  return [...(appPath === null ? [] : [appPath]), RECORDING_SWITCH, file];
}

/** The window title of an instance playing a recording. */
export function recordingTitle(file: string): string {
  return `Headroom — recording ${basename(file)}`;
}

/** An error as the one line an error box shows. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.trim() || 'unknown error';
}
