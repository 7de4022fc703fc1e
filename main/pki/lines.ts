import type { Duplex } from 'node:stream';

/**
 * Newline-delimited messages on a stream, with a hard cap on line length: a peer that sends a longer line is cut off
 * (onOversize) instead of growing our memory. Chunks are joined only while a line is incomplete.
 */
export function readLines(stream: Duplex, maxBytes: number, onLine: (line: string) => void, onOversize: () => void): void {
  let parts: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (size + piece.length > maxBytes) return oversize();
      const line = size === 0 ? piece.toString('utf8') : Buffer.concat([...parts, piece]).toString('utf8');
      parts = [];
      size = 0;
      start = nl + 1;
      if (line.length > 0) onLine(line);
      if (stream.destroyed) return;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (size + rest.length > maxBytes) return oversize();
      parts.push(Buffer.from(rest));
      size += rest.length;
    }
  });
  function oversize(): void {
    parts = [];
    size = 0;
    onOversize();
  }
}

/** Write one JSON message as a line; false when the peer is too far behind (the caller may drop readings). */
export function writeLine(stream: Duplex, message: unknown, maxBuffered = 4 * 1024 * 1024): boolean {
  if (stream.destroyed || !stream.writable) return false;
  if (stream.writableLength > maxBuffered) return false;
  stream.write(JSON.stringify(message) + '\n');
  return true;
}
