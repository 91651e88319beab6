/** Thrown when a duration string is malformed. */
export class InvalidDurationError extends Error {
  override name = "InvalidDurationError";
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ["y", 365 * 24 * 3600_000],
  ["w", 7 * 24 * 3600_000],
  ["d", 24 * 3600_000],
  ["h", 3600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/**
 * Parses a Prometheus duration (`1h30m`, `15s`, `500ms`, `2w`) into milliseconds. Units must
 * appear in descending order, each at most once; `0` alone is allowed.
 * @example parseDuration("1m30s") // 90000
 */
export function parseDuration(s: string): number {
  if (s === "0") return 0;
  const m = DURATION_RE.exec(s);
  if (s === "" || !m) {
    throw new InvalidDurationError(`not a valid duration string: ${JSON.stringify(s)}`);
  }
  let ms = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const g = m[i + 1];
    if (g !== undefined) ms += Number(g) * UNITS[i]![1];
  }
  if (!Number.isSafeInteger(ms))
    throw new InvalidDurationError(`duration out of range: ${JSON.stringify(s)}`);
  return ms;
}

/** True when `s` is a valid duration string. */
export function isDuration(s: string): boolean {
  return s === "0" || (s !== "" && DURATION_RE.test(s));
}

/**
 * Formats milliseconds the way Prometheus prints durations (`1h30m`, `0s`).
 * @example formatDuration(5400000) // "1h30m"
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let out = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
