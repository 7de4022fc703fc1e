/**
 * Saving a file from the page: a temporary `<a download>` on an object URL, clicked once. The browser saves it to
 * its downloads folder (Electron asks where). The URL is revoked a little later, once the download has its bytes.
 */

/** How long an object URL outlives its click (a revoke right after the click can cut a download short). */
const REVOKE_AFTER_MS = 10_000;

/** Saves `blob` as `fileName`. */
export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}

/** Saves `text` as `fileName` with the media type `mime` (e.g. 'text/html;charset=utf-8'). */
export function downloadText(fileName: string, text: string, mime: string): void {
  downloadBlob(fileName, new Blob([text], { type: mime }));
}

/** A `data:` URL (what `chart.getDataURL()` returns) as a Blob of its bytes and media type. */
export function dataUrlBlob(dataUrl: string): Blob {
  const comma = dataUrl.indexOf(',');
  const head = dataUrl.slice(0, comma);
  const body = dataUrl.slice(comma + 1);
  if (!head.startsWith('data:') || comma < 0) throw new Error('not a data: URL');
  const mime = head.slice(5).split(';')[0] || 'application/octet-stream';
  if (!head.endsWith(';base64')) return new Blob([decodeURIComponent(body)], { type: mime });
  const bin = atob(body);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: mime });
}
