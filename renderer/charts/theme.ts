/** Colours shared by the ECharts options and the stylesheet (keep in step with `renderer/styles.css`). */
export const THEME = {
  font: 'Inter, "Segoe UI", system-ui, -apple-system, sans-serif',
  bg: '#0d1117',
  panel: '#161b22',
  text: '#d6dde5',
  muted: '#8b97a6',
  axis: '#3a4452',
  grid: '#222a35',
  site: '#9ecbff',
  warn: '#d9b42b',
  warnHigh: '#e3871f',
  crit: '#e5484d',
  series: ['#7ee0c3', '#b69cff', '#ffb86b', '#6cc5ff', '#ff8fb1', '#c8e06c', '#ffd86b', '#8fd3ff'],
} as const;

/** The look every axis tooltip shares (dark panel, muted border); a fresh object each time, ECharts may keep it. */
export function axisTooltip(): { trigger: 'axis'; backgroundColor: string; borderColor: string; textStyle: { color: string; fontSize: number } } {
  return { trigger: 'axis', backgroundColor: THEME.panel, borderColor: THEME.axis, textStyle: { color: THEME.text, fontSize: 12 } };
}
