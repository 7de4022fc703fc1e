import FFT from 'fft.js';

/**
 * What a utility judges in a site's power (docs/MODEL.md "Grid"; PAPERS.md §3): ramp rate, short-term swing
 * (dynamic range over a window), and the share and RMS of the fluctuation energy in a critical band (e.g. 0.1–20 Hz).
 * Pure: series in, numbers out; the series is evenly sampled at `fs` Hz (MW or any unit — the results keep it).
 *
 * PSD: Welch's method — segments of `segment` samples (a power of two), 50 % overlap, Hann window, each segment's mean
 * removed, one-sided density (unit² / Hz) so that Σ psd · df is the variance. The band share is the band's energy over
 * all bins above DC (≥ df = fs / segment: at 100 Hz and 4,096, 0.024 Hz — slower drift counts as neither).
 */
export interface Psd {
  /** Bin width (Hz); bin k is at k · df. */
  df: number;
  psd: Float64Array;
  segments: number;
}

const plans = new Map<number, { fft: FFT; out: number[]; win: Float64Array; winPower: number; frame: number[] }>();
function plan(n: number) {
  let p = plans.get(n);
  if (!p) {
    const win = new Float64Array(n);
    let winPower = 0;
    for (let i = 0; i < n; i++) {
      win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
      winPower += win[i]! * win[i]!;
    }
    const fft = new FFT(n);
    p = { fft, out: fft.createComplexArray() as number[], win, winPower, frame: new Array<number>(n).fill(0) };
    plans.set(n, p);
  }
  return p;
}

export function welch(x: ArrayLike<number>, fs: number, segment = 4096): Psd {
  if (!(segment >= 16 && (segment & (segment - 1)) === 0)) throw new Error(`welch: segment must be a power of two ≥ 16, got ${segment}`);
  const n = Math.min(segment, 2 ** Math.floor(Math.log2(Math.max(16, x.length))));
  const p = plan(n);
  const bins = n / 2 + 1;
  const psd = new Float64Array(bins);
  const hop = n / 2;
  let segments = 0;
  for (let start = 0; start + n <= x.length; start += hop) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[start + i]!;
    mean /= n;
    for (let i = 0; i < n; i++) p.frame[i] = (x[start + i]! - mean) * p.win[i]!;
    p.fft.realTransform(p.out, p.frame);
    for (let k = 0; k < bins; k++) {
      const re = p.out[2 * k]!;
      const im = p.out[2 * k + 1]!;
      // One-sided: double every bin but DC and Nyquist.
      psd[k]! += ((re * re + im * im) / (fs * p.winPower)) * (k === 0 || k === n / 2 ? 1 : 2);
    }
    segments++;
  }
  if (segments) for (let k = 0; k < bins; k++) psd[k]! /= segments;
  return { df: fs / n, psd, segments };
}

export interface BandStats {
  /** Energy (variance) in [loHz, hiHz] and above DC, unit². */
  band: number;
  total: number;
  sharePct: number;
  /** √band: the band's RMS fluctuation, in the series' unit. */
  rms: number;
}

export function bandStats(p: Psd, loHz: number, hiHz: number): BandStats {
  let band = 0;
  let total = 0;
  for (let k = 1; k < p.psd.length; k++) {
    const e = p.psd[k]! * p.df;
    total += e;
    const f = k * p.df;
    if (f >= loHz && f <= hiHz) band += e;
  }
  return { band, total, sharePct: total > 0 ? (band / total) * 100 : 0, rms: Math.sqrt(band) };
}

/** Steepest change over `windowS` (unit / s): max |x[i + w] − x[i]| / windowS. */
export function maxRamp(x: ArrayLike<number>, fs: number, windowS = 1): number {
  const w = Math.max(1, Math.round(windowS * fs));
  let worst = 0;
  for (let i = 0; i + w < x.length; i++) {
    const d = Math.abs(x[i + w]! - x[i]!);
    if (d > worst) worst = d;
  }
  return worst / (w / fs);
}

/**
 * Swing within windows of `windowS` (max − min): the worst over every sliding window (the utility's dynamic range,
 * O(n) with monotonic queues) and the median over consecutive windows (the typical swing). A series shorter than one
 * window is one window.
 */
export function swings(x: ArrayLike<number>, fs: number, windowS: number): { worst: number; median: number } {
  const n = x.length;
  const w = Math.max(2, Math.min(n, Math.round(windowS * fs)));
  const maxQ = new Int32Array(n);
  const minQ = new Int32Array(n);
  let mh = 0;
  let mt = 0;
  let nh = 0;
  let nt = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    while (mt > mh && x[maxQ[mt - 1]!]! <= v) mt--;
    maxQ[mt++] = i;
    while (nt > nh && x[minQ[nt - 1]!]! >= v) nt--;
    minQ[nt++] = i;
    if (maxQ[mh]! <= i - w) mh++;
    if (minQ[nh]! <= i - w) nh++;
    if (i >= w - 1) worst = Math.max(worst, x[maxQ[mh]!]! - x[minQ[nh]!]!);
  }
  const per: number[] = [];
  for (let s = 0; s + w <= n; s += w) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = s; i < s + w; i++) {
      const v = x[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    per.push(hi - lo);
  }
  per.sort((a, b) => a - b);
  return { worst, median: per.length ? per[Math.floor(per.length / 2)]! : 0 };
}
