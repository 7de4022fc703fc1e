/** A one-line terminal progress bar on stderr; silent when stderr is not a TTY. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  const t0 = performance.now();
  if (!stream.isTTY) return () => {};
  return (done, total) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const fill = Math.round(frac * width);
    const wallS = (performance.now() - t0) / 1000;
    const speed = wallS > 0 ? Math.round(done / wallS) : 0;
    stream.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${Math.round(done)}/${total} s  ${speed.toLocaleString('en-US')}× real time `);
    if (frac >= 1) stream.write('\n');
  };
}
