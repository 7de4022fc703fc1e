import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replace `dir/name` with `text` so that a crash leaves either the old file or the new one, never a torn one, and the
 * new one is on disk when this returns: written to a temporary file (0600), fsynced, renamed over, the folder fsynced.
 * Throws the file system's error (the temporary file removed); the caller says what could not be kept.
 */
export function writeFileDurably(dir: string, name: string, text: string): void {
  const file = join(dir, name);
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
