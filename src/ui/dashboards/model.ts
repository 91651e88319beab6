/**
 * The dashboard model: a dashboard is plain JSON, stored by the server (`/api/relay/v1/dashboards`,
 * which validates it with the same rules), shared as a file, and converted to and from Grafana's model by
 * `lib/grafana.ts`.
 *
 * Layout uses a 24-column grid like Grafana's: `grid.x` and `grid.w` are columns, `grid.y` and
 * `grid.h` are rows of 30 px. Times are Grafana-style strings (`now-6h`, `now`, or milliseconds).
 */

/**
 * The panel kinds the UI renders. The first eight draw PromQL queries; `alertlist` and
 * `alerthistory` read the alerts API, `forecast` the capacity planner (`options.resource`: cpu,
 * memory, storage or network), `channelhealth` and `recommendations` community health
 * (`recommendations` with `options.source: "performance"` reads the performance analyzer).
 */
export const PANEL_TYPES = [
  "timeseries",
  "stat",
  "gauge",
  "bar",
  "table",
  "heatmap",
  "nodegraph",
  "text",
  "alertlist",
  "alerthistory",
  "forecast",
  "channelhealth",
  "recommendations",
] as const;

/** One of {@link PANEL_TYPES}. */
export type PanelType = (typeof PANEL_TYPES)[number];

/** Units the value formatter knows (a subset of Grafana's unit ids, with the same names). */
export const UNITS = [
  "short",
  "none",
  "percent",
  "percentunit",
  "bytes",
  "decbytes",
  "Bps",
  "binBps",
  "bps",
  "s",
  "ms",
  "reqps",
  "ops",
  "hertz",
  "celsius",
] as const;

/** One of {@link UNITS}; unknown unit ids are kept and shown as a suffix. */
export type Unit = (typeof UNITS)[number] | (string & {});

/** One PromQL query of a panel. */
export interface PanelQuery {
  /** PromQL; `$var`, `${var}` and `$__rate_interval`, `$__interval`, `$__range` are substituted. */
  expr: string;
  /** Series name template, e.g. `{{instance}} {{mode}}`; empty means the series' labels. */
  legend?: string;
  /** Evaluate once at the end of the range (stat, gauge, bar, table default to instant). */
  instant?: boolean;
  /** Grafana's refId, kept for round trips. */
  refId?: string;
}

/**
 * A threshold step: from `value` upwards the colour applies; the first step's value is null
 * (minus infinity). Colours are semantic names (ok, info, warning, critical) mapped to the
 * colour-blind-safe palette, or CSS colours.
 */
export interface ThresholdStep {
  value: number | null;
  color: string;
}

/** A panel of a dashboard. */
export interface Panel {
  /** Unique within the dashboard. */
  id: string;
  type: PanelType;
  title: string;
  description?: string;
  grid: { x: number; y: number; w: number; h: number };
  queries: PanelQuery[];
  unit?: Unit;
  decimals?: number;
  min?: number;
  max?: number;
  thresholds?: ThresholdStep[];
  /** Time series: stack the series; bar: horizontal bars. */
  stack?: boolean;
  /** Node graph: the label naming a node, and the label naming the peer an edge leads to. */
  nodeLabel?: string;
  edgeLabel?: string;
  /** Text panel: Markdown-free plain text. */
  text?: string;
  /** Options of the panels that read Relay's API (see {@link PANEL_TYPES}). */
  options?: Record<string, unknown>;
}

/** A template variable whose values come from label values (`label_values(metric, label)`). */
export interface Variable {
  /** Referenced as `$name` in queries. */
  name: string;
  label?: string;
  /**
   * `label_values(label)` or `label_values(selector, label)`, as in Grafana's Prometheus data
   * source; "" when the variable has fixed {@link Variable.values}.
   */
  query: string;
  /** Fixed values (Grafana's custom and constant variables) used instead of a query. */
  values?: string[];
  /** Not shown in the variable bar (Grafana's constants). */
  hide?: boolean;
  multi?: boolean;
  includeAll?: boolean;
  /** Default selection; empty means the first value (or All when included). */
  current?: string[];
}

/** A dashboard. */
export interface Dashboard {
  /** Stable id used in URLs (`/d/<uid>`), `[a-z0-9-_]`. */
  uid: string;
  title: string;
  description?: string;
  tags?: string[];
  /** Default time range. */
  time?: { from: string; to: string };
  /** Default auto-refresh interval such as `30s`; empty for off. */
  refresh?: string;
  variables?: Variable[];
  panels: Panel[];
  /** True for the dashboards that ship with the UI (read-only; save a copy to edit). */
  builtin?: boolean;
}

/** A problem found in a dashboard, with the JSON path where it is. */
export class DashboardError extends Error {
  override name = "DashboardError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks that `value` is a dashboard in this model and returns it with defaults filled in (panel
 * ids, grid, queries). Throws a {@link DashboardError} naming the first wrong field.
 */
export function validateDashboard(value: unknown): Dashboard {
  if (!isObj(value)) throw new DashboardError("$", "a dashboard is a JSON object");
  if (typeof value.title !== "string" || value.title === "")
    throw new DashboardError("$.title", "must be a non-empty string");
  const uid = typeof value.uid === "string" && value.uid !== "" ? value.uid : slugify(value.title);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(uid))
    throw new DashboardError("$.uid", "must be 1-64 of A-Z a-z 0-9 _ -");
  if (!Array.isArray(value.panels)) throw new DashboardError("$.panels", "must be an array");
  const seen = new Set<string>();
  const panels = value.panels.map((p, i): Panel => {
    const at = `$.panels[${i}]`;
    if (!isObj(p)) throw new DashboardError(at, "a panel is an object");
    if (!PANEL_TYPES.includes(p.type as PanelType)) {
      throw new DashboardError(
        `${at}.type`,
        `must be one of ${PANEL_TYPES.join(", ")}, got ${JSON.stringify(p.type)}`,
      );
    }
    const queries = p.queries ?? [];
    if (!Array.isArray(queries)) throw new DashboardError(`${at}.queries`, "must be an array");
    queries.forEach((q, j) => {
      if (!isObj(q) || typeof q.expr !== "string")
        throw new DashboardError(`${at}.queries[${j}].expr`, "must be a string");
    });
    let id = typeof p.id === "string" || typeof p.id === "number" ? String(p.id) : `p${i + 1}`;
    while (seen.has(id)) id = `${id}-${i + 1}`;
    seen.add(id);
    const g = isObj(p.grid) ? p.grid : {};
    const num = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? v : d);
    if (p.thresholds !== undefined && !Array.isArray(p.thresholds)) {
      throw new DashboardError(`${at}.thresholds`, "must be an array of {value, color}");
    }
    return {
      ...(p as unknown as Panel),
      id,
      title: typeof p.title === "string" ? p.title : "",
      queries: queries as PanelQuery[],
      grid: {
        x: num(g.x, 0),
        y: num(g.y, i * 8),
        w: Math.max(1, Math.min(24, num(g.w, 12))),
        h: Math.max(2, num(g.h, 8)),
      },
    };
  });
  const variables = value.variables ?? [];
  if (!Array.isArray(variables)) throw new DashboardError("$.variables", "must be an array");
  variables.forEach((v, i) => {
    if (!isObj(v) || typeof v.name !== "string" || !/^\w+$/.test(v.name)) {
      throw new DashboardError(`$.variables[${i}].name`, "must be a word (letters, digits, _)");
    }
    if (typeof v.query !== "string")
      throw new DashboardError(`$.variables[${i}].query`, "must be label_values(...)");
  });
  return { ...(value as unknown as Dashboard), uid, panels, variables: variables as Variable[] };
}

/** Lower-case, dash-separated id from a title. */
export function slugify(title: string): string {
  const s = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64);
  return s === "" ? "dashboard" : s;
}
