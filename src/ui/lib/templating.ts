/**
 * Template variables: parsing `label_values(...)` queries and substituting variables into PromQL
 * the way Grafana's Prometheus data source does (`$v`, `${v}`, `[[v]]`; several values become a
 * regex alternation `(a|b)`; All becomes `.*`; interval variables are built in).
 */

/** A parsed `label_values(label)` or `label_values(selector, label)`. */
export interface LabelValuesQuery {
  label: string;
  /** The series selector restricting the values, or "" for all series. */
  selector: string;
}

/** Parses a variable query; undefined when it is not `label_values(...)`. */
export function parseLabelValuesQuery(q: string): LabelValuesQuery | undefined {
  const m = /^\s*label_values\s*\(\s*(.*?)\s*\)\s*$/s.exec(q);
  if (!m) return undefined;
  const inner = m[1]!;
  const last = /^(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)$/s.exec(inner);
  if (!last) return undefined;
  return { selector: last[1] ?? "", label: last[2]! };
}

/** The value used for "All". */
export const ALL = "$__all";

/** Escapes a label value for use inside a `=~` regex. */
export function regexEscape(v: string): string {
  return v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Escapes text for the inside of a double-quoted PromQL string (backslashes and double quotes). */
export function stringEscape(v: string): string {
  return v.replace(/[\\"]/g, "\\$&");
}

/**
 * The text a variable's selection becomes inside a query: a regex of the values, written for the
 * inside of a double-quoted PromQL string, so `127.0.0.1` becomes `127\\.0\\.0\\.1` in the query
 * text, which PromQL reads as the regex `127\.0\.0\.1` (as Grafana's Prometheus data source does).
 */
export function variableText(selected: readonly string[]): string {
  if (selected.length === 0 || selected.includes(ALL)) return ".*";
  const one = (v: string) => stringEscape(regexEscape(v));
  if (selected.length === 1) return one(selected[0]!);
  return `(${selected.map(one).join("|")})`;
}

/** Built-in interval values, in seconds, for the range being drawn. */
export interface IntervalVars {
  /** The query step. */
  intervalS: number;
  /** The whole range. */
  rangeS: number;
  /** Scrape interval assumed for `$__rate_interval` (Grafana's default 15 s). */
  scrapeIntervalS?: number;
}

/**
 * Substitutes variables into `expr`. Unknown variables are left as they are (so PromQL's own `$`
 * never appears broken). Variables named in `raw` (single-value ones, as Grafana does for
 * variables that are neither multi nor include All) are inserted as they are, unescaped. `$__rate_interval` is max(4 × scrape interval, step + scrape interval).
 */
export function interpolate(
  expr: string,
  vars: Readonly<Record<string, readonly string[]>>,
  iv?: IntervalVars,
  raw?: ReadonlySet<string>,
): string {
  const builtin: Record<string, string> = {};
  if (iv) {
    const scrape = iv.scrapeIntervalS ?? 15;
    builtin.__interval = `${Math.max(1, Math.round(iv.intervalS))}s`;
    builtin.__rate_interval = `${Math.max(4 * scrape, Math.round(iv.intervalS) + scrape)}s`;
    builtin.__range = `${Math.max(1, Math.round(iv.rangeS))}s`;
    builtin.__range_s = String(Math.round(iv.rangeS));
  }
  const lookup = (name: string): string | undefined => {
    if (name in builtin) return builtin[name];
    const sel = vars[name];
    if (sel === undefined) return undefined;
    return raw?.has(name) && sel.length === 1 && sel[0] !== ALL ? sel[0] : variableText(sel);
  };
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g,
    (whole, a: string | undefined, b: string | undefined, c: string | undefined) =>
      lookup((a ?? b ?? c)!) ?? whole,
  );
}
