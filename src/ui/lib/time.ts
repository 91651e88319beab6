/**
 * Time ranges as the UI writes them: Grafana-style relative expressions (`now`, `now-6h`,
 * `now-7d/d` is not supported) or absolute milliseconds, and Prometheus durations (`5m`, `1h30m`).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Parses a Prometheus duration such as `90s`, `1h30m`, `2d`; undefined when it is not one. */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === "") return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === t.length && pos > 0 ? total : undefined;
}

/** Prints milliseconds as the shortest Prometheus duration (`1h30m`, `15s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms <= 0 || !Number.isFinite(ms)) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [u, size] of [
    ["y", UNIT_MS.y!],
    ["w", UNIT_MS.w!],
    ["d", UNIT_MS.d!],
    ["h", UNIT_MS.h!],
    ["m", UNIT_MS.m!],
    ["s", UNIT_MS.s!],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${u}`;
      rest -= n * size;
    }
  }
  return out;
}

/**
 * Resolves a time expression to milliseconds: `now`, `now-<duration>`, `now+<duration>`, digits
 * (milliseconds, or seconds when fewer than 12 digits), or an ISO date. Undefined when invalid.
 */
export function parseTimeExpr(expr: string, now: number): number | undefined {
  const s = expr.trim();
  if (s === "now") return now;
  const rel = /^now([+-])(.+)$/.exec(s);
  if (rel) {
    const d = parseDuration(rel[2]!);
    return d === undefined ? undefined : rel[1] === "-" ? now - d : now + d;
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return s.split(".")[0]!.length < 12 ? n * 1000 : n;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** A resolved time range in milliseconds. */
export interface TimeRange {
  start: number;
  end: number;
}

/** Resolves `from`/`to` expressions, falling back to the last hour when they are invalid or reversed. */
export function resolveRange(from: string, to: string, now: number): TimeRange {
  const end = parseTimeExpr(to, now) ?? now;
  const start = parseTimeExpr(from, now) ?? end - 3_600_000;
  return start < end ? { start, end } : { start: end - 3_600_000, end };
}

const NICE_STEPS_S = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];

/**
 * The query_range step (seconds) for a range drawn `widthPx` wide: about one point per pixel
 * pair, rounded up to a tidy interval, never below `minStepS` and never above 11 000 points.
 */
export function stepFor(range: TimeRange, widthPx: number, minStepS = 1): number {
  const seconds = (range.end - range.start) / 1000;
  const raw = Math.max(seconds / Math.max(50, widthPx / 2), seconds / 11_000, minStepS);
  return NICE_STEPS_S.find((s) => s >= raw) ?? Math.ceil(raw / 86400) * 86400;
}

/** Relative ranges offered by the picker. */
export const QUICK_RANGES: readonly { from: string; label: string }[] = [
  { from: "now-5m", label: "Last 5 minutes" },
  { from: "now-15m", label: "Last 15 minutes" },
  { from: "now-1h", label: "Last 1 hour" },
  { from: "now-3h", label: "Last 3 hours" },
  { from: "now-6h", label: "Last 6 hours" },
  { from: "now-12h", label: "Last 12 hours" },
  { from: "now-24h", label: "Last 24 hours" },
  { from: "now-2d", label: "Last 2 days" },
  { from: "now-7d", label: "Last 7 days" },
  { from: "now-30d", label: "Last 30 days" },
];

/** Auto-refresh intervals offered by the picker ("" is off). */
export const REFRESH_INTERVALS: readonly string[] = ["", "5s", "10s", "30s", "1m", "5m", "15m"];
