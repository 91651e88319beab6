/**
 * What a page keeps in its URL so that a view can be shared: the Explorer uses Prometheus's
 * `g0.expr`, `g0.tab`, `g0.range_input`, `g0.end_input`, `g0.step_input` parameters; dashboards
 * use Grafana's `from`, `to`, `refresh` and `var-<name>`.
 */

/** The Explorer's state. */
export interface ExplorerState {
  expr: string;
  tab: "graph" | "table";
  /** Duration of the graph range, e.g. `1h`. */
  range: string;
  /** End of the range: "" for now, else a time expression. */
  end: string;
  /** Resolution in seconds as text, "" for automatic. */
  step: string;
}

/** The Explorer's state when the URL says nothing. */
export const DEFAULT_EXPLORER: ExplorerState = { expr: "", tab: "graph", range: "1h", end: "", step: "" };

/** Reads the Explorer's state from a query string (also accepts Prometheus's `g0.tab=0|1`). */
export function decodeExplorer(search: string): ExplorerState {
  const p = new URLSearchParams(search);
  const tab = p.get("g0.tab");
  return {
    expr: p.get("g0.expr") ?? "",
    tab: tab === "table" || tab === "1" ? "table" : "graph",
    range: p.get("g0.range_input") || DEFAULT_EXPLORER.range,
    end: p.get("g0.end_input") ?? "",
    step: p.get("g0.step_input") ?? "",
  };
}

/** Writes the Explorer's state as a query string, leaving defaults out. */
export function encodeExplorer(s: ExplorerState): string {
  const p = new URLSearchParams();
  p.set("g0.expr", s.expr);
  p.set("g0.tab", s.tab);
  if (s.range !== DEFAULT_EXPLORER.range) p.set("g0.range_input", s.range);
  if (s.end !== "") p.set("g0.end_input", s.end);
  if (s.step !== "") p.set("g0.step_input", s.step);
  return p.toString();
}

/** A dashboard view's state. */
export interface DashboardViewState {
  from?: string;
  to?: string;
  refresh?: string;
  /** Selected values per variable name. */
  vars: Record<string, string[]>;
}

/** Reads a dashboard view's state from a query string. */
export function decodeDashboardView(search: string): DashboardViewState {
  const p = new URLSearchParams(search);
  const vars: Record<string, string[]> = {};
  for (const [k, v] of p) {
    if (!k.startsWith("var-")) continue;
    const name = k.slice(4);
    vars[name] = [...(vars[name] ?? []), v];
  }
  const out: DashboardViewState = { vars };
  const from = p.get("from");
  const to = p.get("to");
  const refresh = p.get("refresh");
  if (from !== null) out.from = from;
  if (to !== null) out.to = to;
  if (refresh !== null) out.refresh = refresh;
  return out;
}

/** Writes a dashboard view's state as a query string. */
export function encodeDashboardView(s: DashboardViewState): string {
  const p = new URLSearchParams();
  if (s.from !== undefined) p.set("from", s.from);
  if (s.to !== undefined) p.set("to", s.to);
  if (s.refresh) p.set("refresh", s.refresh);
  for (const [name, values] of Object.entries(s.vars)) for (const v of values) p.append(`var-${name}`, v);
  return p.toString();
}
