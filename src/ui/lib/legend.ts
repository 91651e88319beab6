/** Series names: Grafana-style legend templates and Prometheus-style label sets. */

/** `{__name__="up", job="x"}` printed as `up{job="x"}`. */
export function formatSeriesName(metric: Readonly<Record<string, string>>): string {
  const name = metric.__name__ ?? "";
  const pairs = Object.keys(metric)
    .filter((k) => k !== "__name__")
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`);
  if (pairs.length === 0) return name === "" ? "{}" : name;
  return `${name}{${pairs.join(", ")}}`;
}

/**
 * Applies a legend template: `{{label}}` (spaces allowed inside the braces) becomes the label's
 * value, missing labels become "". An empty template gives {@link formatSeriesName}.
 */
export function formatLegend(template: string | undefined, metric: Readonly<Record<string, string>>): string {
  if (!template || template === "__auto") return formatSeriesName(metric);
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, k: string) => metric[k] ?? "");
}
