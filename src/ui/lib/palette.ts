/**
 * Colours: the Okabe–Ito palette, distinguishable with the common forms of colour blindness, for
 * series; and semantic threshold colours drawn from it.
 */

/** Okabe–Ito, reordered so that neighbouring series contrast most; black/grey left out for themes. */
export const SERIES_COLORS: readonly string[] = [
  "#0072B2", // blue
  "#E69F00", // orange
  "#009E73", // bluish green
  "#CC79A7", // reddish purple
  "#56B4E9", // sky blue
  "#D55E00", // vermillion
  "#F0E442", // yellow
  "#999999", // grey
];

/** The colour of the `i`-th series. */
export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length]!;
}

/** Semantic colours for thresholds and states. */
export const SEMANTIC_COLORS: Readonly<Record<string, string>> = {
  ok: "#009E73",
  info: "#56B4E9",
  warning: "#E69F00",
  critical: "#D55E00",
  neutral: "#999999",
};

/** Grafana colour names mapped to our semantic ones when importing. */
const GRAFANA_NAMES: Readonly<Record<string, string>> = {
  green: "ok",
  "dark-green": "ok",
  "semi-dark-green": "ok",
  "light-green": "ok",
  blue: "info",
  "dark-blue": "info",
  "light-blue": "info",
  yellow: "warning",
  "dark-yellow": "warning",
  orange: "warning",
  "dark-orange": "warning",
  "light-orange": "warning",
  red: "critical",
  "dark-red": "critical",
  "semi-dark-red": "critical",
  "light-red": "critical",
  text: "neutral",
  transparent: "neutral",
};

/** Our semantic names mapped to the Grafana names an export uses. */
export const TO_GRAFANA_COLOR: Readonly<Record<string, string>> = {
  ok: "green",
  info: "blue",
  warning: "orange",
  critical: "red",
  neutral: "text",
};

/** Normalises a colour from any source: Grafana names become semantic names, others are kept. */
export function normalizeColor(c: string): string {
  const k = c.trim().toLowerCase();
  if (k in SEMANTIC_COLORS) return k;
  return GRAFANA_NAMES[k] ?? c;
}

/** The CSS colour for a semantic name or CSS colour. */
export function cssColor(c: string): string {
  return SEMANTIC_COLORS[c] ?? c;
}

/** A threshold step (mirrors the dashboard model without importing it). */
export interface Step {
  value: number | null;
  color: string;
}

/** The colour of the highest step whose value is at or below `v`; the base step when none. */
export function thresholdColor(steps: readonly Step[] | undefined, v: number): string | undefined {
  if (!steps || steps.length === 0 || Number.isNaN(v)) return undefined;
  let color: string | undefined;
  for (const s of steps) if (s.value === null || v >= s.value) color = s.color;
  return color === undefined ? undefined : cssColor(color);
}
