/**
 * Colours shared by the ECharts options and the stylesheet. Each reads the stylesheet's CSS variable of the same
 * meaning (`renderer/styles.css`: dark by default, light when the operating system asks for it), so charts follow the
 * theme; without a document (unit tests, workers) the dark values below apply. A theme change reloads the console
 * (main.ts): charts keep the colours of the theme they were built in.
 */
const DARK = {
  bg: ['--bg', '#0d1117'],
  panel: ['--panel', '#161b22'],
  text: ['--text', '#d6dde5'],
  muted: ['--muted', '#8b97a6'],
  axis: ['--line', '#3a4452'],
  grid: ['--panel-2', '#222a35'],
  site: ['--info', '#9ecbff'],
  warn: ['--warn', '#d9b42b'],
  warnHigh: ['--warn-high', '#e3871f'],
  crit: ['--crit', '#e5484d'],
} as const;

type Key = keyof typeof DARK;

function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined' || typeof getComputedStyle === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

const cache = new Map<Key, string>();
/** Forget the colours read (after a theme change). */
export function resetTheme(): void {
  cache.clear();
}
const read = (k: Key): string => {
  let v = cache.get(k);
  if (v === undefined) cache.set(k, (v = cssVar(DARK[k][0], DARK[k][1])));
  return v;
};

export const THEME = {
  font: 'Inter, "Segoe UI", system-ui, -apple-system, sans-serif',
  get bg() {
    return read('bg');
  },
  get panel() {
    return read('panel');
  },
  get text() {
    return read('text');
  },
  get muted() {
    return read('muted');
  },
  get axis() {
    return read('axis');
  },
  get grid() {
    return read('grid');
  },
  get site() {
    return read('site');
  },
  get warn() {
    return read('warn');
  },
  get warnHigh() {
    return read('warnHigh');
  },
  get crit() {
    return read('crit');
  },
  /** Light pastels on the dark theme, mid tones on the light one. */
  get series(): readonly string[] {
    return isLight() ? LIGHT_SERIES : DARK_SERIES;
  },
};

const DARK_SERIES = ['#7ee0c3', '#b69cff', '#ffb86b', '#6cc5ff', '#ff8fb1', '#c8e06c', '#ffd86b', '#8fd3ff'] as const;
const LIGHT_SERIES = ['#1f9e7a', '#7a5cf0', '#d9781c', '#1f86c9', '#d4487a', '#6f9418', '#b88a00', '#2f9fd4'] as const;

/** The light theme is on when the page's background is light. */
function isLight(): boolean {
  const bg = read('bg');
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(bg);
  if (!m) return false;
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h!, 16));
  return 0.299 * r! + 0.587 * g! + 0.114 * b! > 140;
}

/** The look every axis tooltip shares (panel, muted border); a fresh object each time, ECharts may keep it. */
export function axisTooltip(): { trigger: 'axis'; backgroundColor: string; borderColor: string; textStyle: { color: string; fontSize: number } } {
  return { trigger: 'axis', backgroundColor: THEME.panel, borderColor: THEME.axis, textStyle: { color: THEME.text, fontSize: 12 } };
}
