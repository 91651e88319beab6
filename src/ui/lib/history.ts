/** Query history: newest first, no duplicates, bounded; stored as JSON by the caller. */

/** Most entries kept. */
export const HISTORY_LIMIT = 50;

/** Adds `expr` to the front of `history` (moving it if present); blank queries are ignored. */
export function addToHistory(history: readonly string[], expr: string, limit = HISTORY_LIMIT): string[] {
  const e = expr.trim();
  if (e === "") return [...history];
  return [e, ...history.filter((h) => h !== e)].slice(0, limit);
}

/** Reads a stored history, tolerating anything that is not an array of strings. */
export function parseHistory(stored: string | null): string[] {
  if (!stored) return [];
  try {
    const v = JSON.parse(stored) as unknown;
    return Array.isArray(v)
      ? v.filter((x): x is string => typeof x === "string").slice(0, HISTORY_LIMIT)
      : [];
  } catch {
    return [];
  }
}
