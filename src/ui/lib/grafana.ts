/**
 * Import from and export to Grafana's dashboard JSON model (schema 39). Import keeps what this UI
 * can draw — timeseries/graph, stat/singlestat, gauge, bargauge, table, heatmap, nodeGraph and text
 * panels with their Prometheus targets (`expr`, `legendFormat`, `instant`), unit, decimals, min,
 * max and thresholds, and `label_values(...)`, custom and constant variables — and lists what it
 * left out. Export writes a dashboard Grafana opens with a Prometheus data source input.
 */
import type {
  Dashboard,
  Panel,
  PanelQuery,
  PanelType,
  ThresholdStep,
  Variable,
} from "../dashboards/model.js";
import { slugify } from "../dashboards/model.js";
import { normalizeColor, TO_GRAFANA_COLOR } from "./palette.js";
import { parseLabelValuesQuery } from "./templating.js";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Grafana panel types and ours. */
const FROM_GRAFANA: Readonly<Record<string, PanelType>> = {
  timeseries: "timeseries",
  graph: "timeseries",
  stat: "stat",
  singlestat: "stat",
  gauge: "gauge",
  bargauge: "bar",
  barchart: "bar",
  table: "table",
  "table-old": "table",
  heatmap: "heatmap",
  nodeGraph: "nodegraph",
  text: "text",
  alertlist: "alertlist",
};

const TO_GRAFANA: Readonly<Record<PanelType, string>> = {
  timeseries: "timeseries",
  stat: "stat",
  gauge: "gauge",
  bar: "bargauge",
  table: "table",
  heatmap: "heatmap",
  nodegraph: "nodeGraph",
  text: "text",
  alertlist: "alertlist",
  alerthistory: "text",
  forecast: "text",
  channelhealth: "text",
  recommendations: "text",
};

/** What the panels that read Relay's API show, for the text panel an export puts in their place. */
const RELAY_ONLY: Readonly<Partial<Record<PanelType, string>>> = {
  alerthistory: "alert state history (/api/relay/v1/alerts/history)",
  forecast: "capacity forecasts (/api/relay/v1/capacity)",
  channelhealth: "community health per channel (/api/relay/v1/community/health)",
  recommendations: "recommendations (/api/relay/v1/community/health)",
};

/** The outcome of an import: the dashboard and what could not be carried over. */
export interface GrafanaImport {
  dashboard: Dashboard;
  warnings: string[];
}

/** True when `v` looks like a Grafana dashboard (or an export wrapping one under `dashboard`). */
export function isGrafanaDashboard(v: unknown): boolean {
  if (!isObj(v)) return false;
  const d = isObj(v.dashboard) ? v.dashboard : v;
  return (
    Array.isArray(d.panels) && ("schemaVersion" in d || "templating" in d || "__inputs" in v || "rows" in d)
  );
}

function thresholdsFrom(p: Json, defaults: Json): ThresholdStep[] | undefined {
  const t = defaults.thresholds;
  if (isObj(t) && Array.isArray(t.steps)) {
    const steps = t.steps
      .filter(isObj)
      .map((s) => ({ value: num(s.value) ?? null, color: normalizeColor(str(s.color) ?? "neutral") }));
    return steps.length > 0 ? steps : undefined;
  }
  // singlestat: thresholds "80,90" with colors [ok, warn, crit]
  if (typeof p.thresholds === "string" && p.thresholds.trim() !== "") {
    const colors = arr(p.colors).map((c) => normalizeColor(String(c)));
    const values = p.thresholds.split(",").map((x) => Number(x.trim()));
    return [
      { value: null, color: colors[0] ?? "ok" },
      ...values.map((v, i) => ({ value: v, color: colors[i + 1] ?? (i === 0 ? "warning" : "critical") })),
    ];
  }
  return undefined;
}

function panelFrom(p: Json, index: number, warnings: string[]): Panel | undefined {
  const gtype = str(p.type) ?? "";
  const title = str(p.title) ?? "";
  const type = FROM_GRAFANA[gtype];
  if (!type) {
    warnings.push(
      `panel "${title || index}": type ${JSON.stringify(gtype)} is not supported and was left out`,
    );
    return undefined;
  }
  const fc = isObj(p.fieldConfig) ? p.fieldConfig : {};
  const defaults = isObj(fc.defaults) ? fc.defaults : {};
  const custom = isObj(defaults.custom) ? defaults.custom : {};
  const queries: PanelQuery[] = [];
  for (const t of arr(p.targets).filter(isObj)) {
    if (t.hide === true) continue;
    const expr = str(t.expr);
    if (expr === undefined || expr.trim() === "") continue;
    const q: PanelQuery = { expr };
    const legend = str(t.legendFormat);
    if (legend && legend !== "__auto") q.legend = legend;
    if (t.instant === true || t.format === "table") q.instant = true;
    const refId = str(t.refId);
    if (refId) q.refId = refId;
    queries.push(q);
  }
  const g = isObj(p.gridPos) ? p.gridPos : {};
  const panel: Panel = {
    id: String(p.id ?? index + 1),
    type,
    title,
    grid: { x: num(g.x) ?? 0, y: num(g.y) ?? index * 8, w: num(g.w) ?? 12, h: num(g.h) ?? 8 },
    queries,
  };
  const description = str(p.description);
  if (description) panel.description = description;
  const yaxes = arr(p.yaxes).filter(isObj);
  const unit = str(defaults.unit) ?? str(yaxes[0]?.format) ?? str(p.format);
  if (unit) panel.unit = unit;
  const decimals = num(defaults.decimals) ?? num(p.decimals);
  if (decimals !== undefined) panel.decimals = decimals;
  const min = num(defaults.min);
  const max = num(defaults.max);
  if (min !== undefined) panel.min = min;
  if (max !== undefined) panel.max = max;
  const thresholds = thresholdsFrom(p, defaults);
  if (thresholds) panel.thresholds = thresholds;
  const stacking = isObj(custom.stacking) ? str(custom.stacking.mode) : undefined;
  if ((stacking && stacking !== "none") || p.stack === true) panel.stack = true;
  if (type === "text") {
    const opts = isObj(p.options) ? p.options : {};
    panel.text = str(opts.content) ?? str(p.content) ?? "";
  }
  if (type !== "text" && type !== "alertlist" && queries.length === 0) {
    warnings.push(`panel "${title || index}": no Prometheus query; it will show no data`);
  }
  return panel;
}

function variableFrom(v: Json, warnings: string[]): Variable | undefined {
  const name = str(v.name) ?? "";
  const type = str(v.type) ?? "query";
  const current = isObj(v.current) ? v.current.value : undefined;
  const currentValues = (
    typeof current === "string" ? [current] : Array.isArray(current) ? current.map(String) : []
  ).filter((x) => x !== "");
  const base = (): Variable => {
    const out: Variable = { name, query: "" };
    const label = str(v.label);
    if (label) out.label = label;
    if (v.multi === true) out.multi = true;
    if (v.includeAll === true) out.includeAll = true;
    if (currentValues.length > 0) out.current = currentValues;
    return out;
  };
  switch (type) {
    case "query": {
      const q = isObj(v.query) ? str(v.query.query) : str(v.query);
      const text = q ?? str(v.definition) ?? "";
      if (!parseLabelValuesQuery(text)) {
        warnings.push(
          `variable $${name}: only label_values(...) queries are supported, got ${JSON.stringify(text)}`,
        );
        return undefined;
      }
      return { ...base(), query: text };
    }
    case "custom": {
      const opts = arr(v.options)
        .filter(isObj)
        .map((o) => str(o.value))
        .filter((x): x is string => x !== undefined && x !== "$__all");
      const values =
        opts.length > 0
          ? opts
          : (str(v.query) ?? "")
              .split(/(?<!\\),/)
              .map((x) => x.trim().replace(/\\,/g, ","))
              .filter((x) => x !== "");
      return { ...base(), values };
    }
    case "constant":
      return { ...base(), values: [str(v.query) ?? ""], hide: true, current: [str(v.query) ?? ""] };
    case "datasource":
      return undefined;
    default:
      warnings.push(`variable $${name}: type ${JSON.stringify(type)} is not supported`);
      return undefined;
  }
}

/** Converts a Grafana dashboard (or an export wrapping it under `dashboard`) into ours. */
export function fromGrafana(input: unknown): GrafanaImport {
  if (!isObj(input)) throw new Error("a Grafana dashboard is a JSON object");
  const d = isObj(input.dashboard) ? input.dashboard : input;
  if (!Array.isArray(d.panels) && !Array.isArray(d.rows)) {
    throw new Error("not a Grafana dashboard: it has no panels");
  }
  const warnings: string[] = [];
  const flat: Json[] = [];
  for (const p of arr(d.panels).filter(isObj)) {
    if (p.type === "row") flat.push(...arr(p.panels).filter(isObj));
    else flat.push(p);
  }
  // schema < 16: rows[].panels with span (12 columns) and height
  let rowY = 0;
  for (const r of arr(d.rows).filter(isObj)) {
    let x = 0;
    const h = Math.max(4, Math.round((Number.parseInt(String(r.height ?? "250"), 10) || 250) / 30));
    for (const p of arr(r.panels).filter(isObj)) {
      const w = Math.round(((num(p.span) ?? 12) / 12) * 24);
      if (x + w > 24) {
        x = 0;
        rowY += h;
      }
      flat.push({ ...p, gridPos: { x, y: rowY, w, h } });
      x += w;
    }
    rowY += h;
  }
  const seen = new Set<string>();
  const panels: Panel[] = [];
  flat.forEach((p, i) => {
    const panel = panelFrom(p, i, warnings);
    if (!panel) return;
    while (seen.has(panel.id)) panel.id = `${panel.id}-${i}`;
    seen.add(panel.id);
    panels.push(panel);
  });
  const templating = isObj(d.templating) ? d.templating : {};
  const variables = arr(templating.list)
    .filter(isObj)
    .map((v) => variableFrom(v, warnings))
    .filter((v): v is Variable => v !== undefined);
  const title = str(d.title) ?? "Imported dashboard";
  const uid = str(d.uid);
  const dashboard: Dashboard = {
    uid: uid && /^[A-Za-z0-9_-]{1,64}$/.test(uid) ? uid : slugify(title),
    title,
    panels,
    variables,
  };
  const tags = arr(d.tags).filter((t): t is string => typeof t === "string");
  if (tags.length > 0) dashboard.tags = tags;
  const description = str(d.description);
  if (description) dashboard.description = description;
  if (isObj(d.time) && str(d.time.from) && str(d.time.to)) {
    dashboard.time = { from: str(d.time.from)!, to: str(d.time.to)! };
  }
  const refresh = str(d.refresh);
  if (refresh) dashboard.refresh = refresh;
  return { dashboard, warnings };
}

/** Grafana replaces `${DS_PROMETHEUS}` with the data source chosen for the `__inputs` entry on import. */
const DATASOURCE = { type: "prometheus", uid: "$" + "{DS_PROMETHEUS}" };

function thresholdsTo(steps: readonly ThresholdStep[]): Json {
  return {
    mode: "absolute",
    steps: steps.map((x) => ({ color: TO_GRAFANA_COLOR[x.color] ?? x.color, value: x.value })),
  };
}

function panelTo(p: Panel, numericId: number): Json {
  const defaults: Json = {};
  if (p.thresholds && p.thresholds.length > 0) defaults.thresholds = thresholdsTo(p.thresholds);
  if (p.unit) defaults.unit = p.unit;
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.type === "timeseries") {
    defaults.custom = { stacking: { mode: p.stack ? "normal" : "none" }, fillOpacity: p.stack ? 30 : 10 };
    defaults.color = { mode: "palette-classic" };
  } else {
    defaults.color = { mode: "thresholds" };
  }
  const instantByDefault = p.type !== "timeseries" && p.type !== "heatmap";
  const out: Json = {
    id: numericId,
    type: TO_GRAFANA[p.type],
    title: p.title,
    gridPos: { ...p.grid },
    datasource: DATASOURCE,
    targets: p.queries.map((q, i) => {
      const instant = q.instant ?? instantByDefault;
      const t: Json = {
        datasource: DATASOURCE,
        expr: q.expr,
        legendFormat: q.legend ?? "__auto",
        refId: q.refId ?? String.fromCharCode(65 + (i % 26)),
        instant,
        range: !instant,
      };
      if (p.type === "heatmap") t.format = "heatmap";
      if (p.type === "table") t.format = "table";
      return t;
    }),
    fieldConfig: { defaults, overrides: [] },
    options: {},
  };
  if (p.description) out.description = p.description;
  if (p.type === "stat" || p.type === "gauge" || p.type === "bar") {
    out.options = { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } };
  }
  if (p.type === "bar") (out.options as Json).orientation = "horizontal";
  if (p.type === "text") out.options = { mode: "markdown", content: p.text ?? "" };
  const relayOnly = RELAY_ONLY[p.type];
  if (relayOnly) {
    out.options = {
      mode: "markdown",
      content: `This panel shows Relay Monitor's ${relayOnly}; Grafana has no equivalent panel.`,
    };
  }
  if (p.type === "alertlist") {
    out.options = {
      showOptions: "current",
      maxItems: 20,
      sortOrder: 1,
      stateFilter: { firing: true, pending: true },
    };
  }
  if (p.type === "heatmap") out.options = { calculate: false, yAxis: { unit: p.unit ?? "short" } };
  return out;
}

function variableTo(v: Variable): Json {
  const current =
    v.current && v.current.length > 0 ? { text: v.current, value: v.multi ? v.current : v.current[0] } : {};
  if (v.values) {
    if (v.hide) return { name: v.name, type: "constant", query: v.values[0] ?? "", hide: 2 };
    return {
      name: v.name,
      ...(v.label ? { label: v.label } : {}),
      type: "custom",
      query: v.values.map((x) => x.replace(/,/g, "\\,")).join(","),
      options: v.values.map((x) => ({ text: x, value: x, selected: false })),
      multi: v.multi ?? false,
      includeAll: v.includeAll ?? false,
      current,
    };
  }
  return {
    name: v.name,
    ...(v.label ? { label: v.label } : {}),
    type: "query",
    datasource: DATASOURCE,
    definition: v.query,
    query: { query: v.query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    refresh: 2,
    sort: 1,
    multi: v.multi ?? false,
    includeAll: v.includeAll ?? false,
    current,
  };
}

/** Converts our dashboard to Grafana's model, ready to import into Grafana (asks for a Prometheus data source). */
export function toGrafana(d: Dashboard): Json {
  return {
    __inputs: [
      {
        name: "DS_PROMETHEUS",
        label: "Prometheus",
        description: "The Relay Monitor server (or any Prometheus) to query",
        type: "datasource",
        pluginId: "prometheus",
        pluginName: "Prometheus",
      },
    ],
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: "10.0.0" },
      { type: "datasource", id: "prometheus", name: "Prometheus", version: "1.0.0" },
    ],
    id: null,
    uid: d.uid,
    title: d.title,
    description: d.description ?? "",
    tags: d.tags ?? [],
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: d.time ?? { from: "now-1h", to: "now" },
    refresh: d.refresh ?? "",
    timezone: "browser",
    templating: { list: (d.variables ?? []).map(variableTo) },
    annotations: { list: [] },
    panels: d.panels.map((p, i) => panelTo(p, i + 1)),
  };
}
