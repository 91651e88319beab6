import type { Range, TimeIntervalSpec } from "./config.js";

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

interface WallClock {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

function wallClock(t: number, location: string | undefined): WallClock {
  const zone = location === undefined || location === "UTC" ? "UTC" : location === "Local" ? "" : location;
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone === "" ? undefined : zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      weekday: "short",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(zone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(t))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAY[parts.weekday!] ?? 0,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

const inRanges = (rs: readonly Range[] | undefined, v: number): boolean =>
  rs === undefined || rs.length === 0 || rs.some((r) => v >= r.begin && v <= r.end);

/**
 * True when `t` (ms) falls inside the recurring window, with Alertmanager's semantics: every
 * field given must match (times are half-open `[start, end)`, other ranges inclusive), negative
 * days of month count from the end of the month, and the clock is read in `location` (UTC
 * by default).
 */
export function intervalContains(spec: TimeIntervalSpec, t: number): boolean {
  const c = wallClock(t, spec.location);
  if (spec.times && spec.times.length > 0 && !spec.times.some((r) => c.minute >= r.begin && c.minute < r.end))
    return false;
  if (!inRanges(spec.weekdays, c.weekday)) return false;
  if (spec.days_of_month && spec.days_of_month.length > 0) {
    const daysInMonth = new Date(Date.UTC(c.year, c.month, 0)).getUTCDate();
    const abs = (d: number) => (d < 0 ? daysInMonth + d + 1 : d);
    const ok = spec.days_of_month.some((r) => {
      const begin = Math.max(1, abs(r.begin));
      const end = Math.min(daysInMonth, abs(r.end));
      return c.day >= begin && c.day <= end;
    });
    if (!ok) return false;
  }
  if (!inRanges(spec.months, c.month)) return false;
  return inRanges(spec.years, c.year);
}

/** True when `t` falls inside any of the windows of a named time interval. */
export function anyIntervalContains(specs: readonly TimeIntervalSpec[], t: number): boolean {
  return specs.some((s) => intervalContains(s, t));
}
