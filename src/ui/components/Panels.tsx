import { type ReactNode, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { InstantSample, QueryData, RangeSeries } from "../api/query.js";
import { instantQuery, rangeQuery } from "../api/query.js";
import type { Panel } from "../dashboards/model.js";
import { forceLayout } from "../lib/forceLayout.js";
import { formatValue, parseSampleValue } from "../lib/format.js";
import { bucketsToHeatmap, type HeatmapGrid } from "../lib/heatmap.js";
import { formatLegend } from "../lib/legend.js";
import { cssColor, seriesColor, thresholdColor } from "../lib/palette.js";
import { alignSeries } from "../lib/seriesData.js";
import { interpolate } from "../lib/templating.js";
import type { TimeRange } from "../lib/time.js";
import { stepFor } from "../lib/time.js";
import { RELAY_PANEL_TYPES, renderRelayPanel, useRelayPanelData } from "./RelayPanels.js";
import { TimeSeriesChart } from "./TimeSeriesChart.js";

/** What a panel needs from its dashboard. */
export interface PanelContext {
  range: TimeRange;
  vars: Readonly<Record<string, readonly string[]>>;
  /** Variables inserted unescaped (neither multi nor include All). */
  rawVars?: ReadonlySet<string>;
  /** Changes to re-run the queries (auto-refresh). */
  refreshTick: number;
  onZoom?: (startMs: number, endMs: number) => void;
}

type PanelData =
  | { state: "loading" }
  | { state: "error"; error: string }
  | { state: "done"; results: { legend?: string; data: QueryData }[] };

const RANGE_TYPES = new Set(["timeseries", "heatmap"]);

/**
 * The scrape interval `$__rate_interval` assumes: Prometheus's default (1m), which is also the
 * step of the demo's history, so rates over history have at least two samples.
 */
const ASSUMED_SCRAPE_INTERVAL_S = 60;

function isInstant(panel: Panel, i: number): boolean {
  const q = panel.queries[i]!;
  return q.instant ?? !RANGE_TYPES.has(panel.type);
}

/** Runs a panel's queries for the context's range and variables. */
function usePanelData(panel: Panel, ctx: PanelContext, widthPx: number): PanelData {
  const [data, setData] = useState<PanelData>({ state: "loading" });
  const key = JSON.stringify([
    panel.queries,
    panel.type,
    ctx.range,
    ctx.vars,
    ctx.refreshTick,
    Math.round(widthPx / 100),
  ]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key captures every input
  useEffect(() => {
    if (widthPx === 0) return;
    if (panel.queries.length === 0 || RELAY_PANEL_TYPES.has(panel.type)) {
      setData({ state: "done", results: [] });
      return;
    }
    const ac = new AbortController();
    const step = stepFor(ctx.range, widthPx);
    const rangeS = (ctx.range.end - ctx.range.start) / 1000;
    const start = ctx.range.start / 1000;
    const end = ctx.range.end / 1000;
    Promise.all(
      panel.queries.map(async (q, i) => {
        const expr = interpolate(
          q.expr,
          ctx.vars,
          { intervalS: step, rangeS, scrapeIntervalS: ASSUMED_SCRAPE_INTERVAL_S },
          ctx.rawVars,
        );
        const r = isInstant(panel, i)
          ? await instantQuery(expr, end, ac.signal)
          : await rangeQuery(expr, start, end, step, ac.signal);
        if (!r.ok) throw new Error(`${q.refId ?? `query ${i + 1}`}: ${r.error}`);
        return { legend: q.legend, data: r.data };
      }),
    ).then(
      (results) => setData({ state: "done", results }),
      (err: Error) => {
        if (err.name !== "AbortError") setData({ state: "error", error: err.message });
      },
    );
    return () => ac.abort();
  }, [key]);
  return data;
}

function instantRows(
  results: { legend?: string; data: QueryData }[],
): { name: string; value: number; metric: Record<string, string> }[] {
  const rows: { name: string; value: number; metric: Record<string, string> }[] = [];
  for (const r of results) {
    const d = r.data;
    if (d.resultType === "vector") {
      for (const s of d.result as InstantSample[]) {
        const v = s.value
          ? parseSampleValue(s.value[1])
          : s.histogram
            ? parseSampleValue(s.histogram[1].count)
            : Number.NaN;
        rows.push({ name: formatLegend(r.legend, s.metric), value: v, metric: s.metric });
      }
    } else if (d.resultType === "scalar") {
      rows.push({ name: r.legend ?? "scalar", value: parseSampleValue(d.result[1]), metric: {} });
    } else if (d.resultType === "matrix") {
      for (const s of d.result as RangeSeries[]) {
        const last = s.values?.[s.values.length - 1];
        rows.push({
          name: formatLegend(r.legend, s.metric),
          value: last ? parseSampleValue(last[1]) : Number.NaN,
          metric: s.metric,
        });
      }
    }
  }
  return rows;
}

function matrices(
  results: { legend?: string; data: QueryData }[],
): { legend?: string; series: RangeSeries[] }[] {
  return results.map((r) => ({
    legend: r.legend,
    series: r.data.resultType === "matrix" ? (r.data.result as RangeSeries[]) : [],
  }));
}

/** A dashboard panel: its frame, its queries and the renderer for its type. */
export function PanelView(props: { panel: Panel; ctx: PanelContext }): ReactNode {
  const { panel, ctx } = props;
  const body = useRef<HTMLDivElement>(null);
  // measured before the first paint, so the queries run once with the panel's real width
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    setWidth(body.current?.clientWidth || 600);
  }, []);
  const promql = usePanelData(panel, ctx, width);
  const relay = useRelayPanelData(panel, ctx.refreshTick);
  const small = panel.grid.h <= 4;
  let content: ReactNode;
  let state: string;
  const data = relay ?? promql;
  if (panel.type === "text") {
    content = (
      <p className="muted" style={{ whiteSpace: "pre-wrap" }}>
        {panel.text}
      </p>
    );
    state = "data";
  } else if (data.state === "loading") {
    content = <div className="panel-state">Loading…</div>;
    state = "loading";
  } else if (data.state === "error") {
    content = (
      <div className="panel-state error" role="alert">
        {data.error}
      </div>
    );
    state = "error";
  } else if (relay?.state === "done") {
    const rendered = renderRelayPanel(panel, relay.v);
    content = rendered ?? <div className="panel-state">No data</div>;
    state = rendered ? "data" : "empty";
  } else if (promql.state === "done") {
    const rendered = renderPanel(panel, promql.results, ctx);
    content = rendered ?? <div className="panel-state">No data</div>;
    state = rendered ? "data" : "empty";
  } else {
    content = <div className="panel-state">Loading…</div>;
    state = "loading";
  }
  return (
    <section
      className={`panel${small ? " small" : ""}`}
      style={{
        gridColumn: `${panel.grid.x + 1} / span ${panel.grid.w}`,
        gridRow: `${panel.grid.y + 1} / span ${panel.grid.h}`,
      }}
      aria-label={panel.title}
      data-panel-type={panel.type}
      data-state={state}
      tabIndex={-1}
    >
      <div className="panel-head">
        <h3 className="panel-title" title={panel.description ?? panel.title}>
          {panel.title}
        </h3>
      </div>
      <div className="panel-body" ref={body}>
        {content}
      </div>
    </section>
  );
}

function renderPanel(
  panel: Panel,
  results: { legend?: string; data: QueryData }[],
  ctx: PanelContext,
): ReactNode | null {
  switch (panel.type) {
    case "timeseries": {
      const hasPoints = matrices(results).some((m) => m.series.some((x) => (x.values ?? []).length > 0));
      return hasPoints ? <TimeSeriesPanel panel={panel} results={results} ctx={ctx} /> : null;
    }
    case "heatmap": {
      const grid = bucketsToHeatmap(matrices(results).flatMap((m) => m.series));
      return grid.times.length === 0 ? null : <Heatmap grid={grid} unit={panel.unit} />;
    }
    case "nodegraph":
      return <NodeGraph panel={panel} results={results} />;
    default: {
      const rows = instantRows(results);
      if (rows.length === 0) return null;
      if (panel.type === "stat") return <Stat panel={panel} rows={rows} />;
      if (panel.type === "gauge") return <Gauges panel={panel} rows={rows} />;
      if (panel.type === "bar") return <Bars panel={panel} rows={rows} />;
      return <Table panel={panel} rows={rows} />;
    }
  }
}

function TimeSeriesPanel(props: {
  panel: Panel;
  results: { legend?: string; data: QueryData }[];
  ctx: PanelContext;
}): ReactNode | null {
  const { panel, results, ctx } = props;
  const data = useMemo(() => alignSeries(matrices(results)), [results]);
  const thresholds = useMemo(
    () =>
      (panel.thresholds ?? [])
        .filter((t) => t.value !== null)
        .map((t) => ({ value: t.value as number, color: t.color })),
    [panel.thresholds],
  );
  const range = useMemo(() => ({ start: ctx.range.start / 1000, end: ctx.range.end / 1000 }), [ctx.range]);
  if (data.columns.length === 0 || data.columns.every((c) => c.every((v) => v === null))) return null;
  return (
    <TimeSeriesChart
      data={data}
      unit={panel.unit}
      decimals={panel.decimals}
      min={panel.min}
      max={panel.max}
      stack={panel.stack}
      thresholds={thresholds}
      range={range}
      onZoom={ctx.onZoom ? (s, e) => ctx.onZoom!(s * 1000, e * 1000) : undefined}
    />
  );
}

type Row = { name: string; value: number; metric: Record<string, string> };

const rowKey = (r: Row) => `${r.name}\u0000${JSON.stringify(r.metric)}`;

function Stat(props: { panel: Panel; rows: Row[] }): ReactNode {
  const { panel } = props;
  const rows = props.rows.slice(0, 12);
  return (
    <div className="stat">
      {rows.map((r) => (
        <div className="stat-item" key={rowKey(r)}>
          <div
            className="stat-value"
            style={{ color: thresholdColor(panel.thresholds, r.value) ?? "var(--fg)" }}
          >
            {formatValue(r.value, panel.unit, panel.decimals)}
          </div>
          {rows.length > 1 && <div className="stat-label">{r.name}</div>}
        </div>
      ))}
    </div>
  );
}

function Gauges(props: { panel: Panel; rows: Row[] }): ReactNode {
  const { panel } = props;
  const rows = props.rows.slice(0, 6);
  const min = panel.min ?? 0;
  const max =
    panel.max ??
    (panel.unit === "percent"
      ? 100
      : panel.unit === "percentunit"
        ? 1
        : Math.max(...rows.map((r) => r.value), 1));
  return (
    <div className="stat">
      {rows.map((r) => {
        const frac = Math.max(0, Math.min(1, (r.value - min) / (max - min || 1)));
        const color = thresholdColor(panel.thresholds, r.value) ?? seriesColor(0);
        const a = Math.PI * (1 - frac);
        const x = 50 + 40 * Math.cos(a);
        const y = 50 - 40 * Math.sin(a);
        return (
          <div
            className="stat-item"
            key={rowKey(r)}
            style={{ width: `${Math.max(30, 100 / rows.length - 4)}%`, maxWidth: 180 }}
          >
            <svg
              viewBox="0 0 100 58"
              role="img"
              aria-label={`${r.name}: ${formatValue(r.value, panel.unit, panel.decimals)}`}
            >
              <path d="M 10 50 A 40 40 0 0 1 90 50" fill="none" stroke="var(--bg-2)" strokeWidth="10" />
              {frac > 0 && (
                <path
                  d={`M 10 50 A 40 40 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`}
                  fill="none"
                  stroke={color}
                  strokeWidth="10"
                />
              )}
              <text x="50" y="48" textAnchor="middle" fontSize="15" fontWeight="700" fill="var(--fg)">
                {formatValue(r.value, panel.unit, panel.decimals)}
              </text>
            </svg>
            {rows.length > 1 && <div className="stat-label">{r.name}</div>}
          </div>
        );
      })}
    </div>
  );
}

function Bars(props: { panel: Panel; rows: Row[] }): ReactNode {
  const { panel } = props;
  const rows = [...props.rows].sort((a, b) => b.value - a.value).slice(0, 30);
  const max = panel.max ?? Math.max(...rows.map((r) => (Number.isFinite(r.value) ? r.value : 0)), 0);
  const min = panel.min ?? 0;
  return (
    <div className="bars">
      {rows.map((r, i) => {
        const frac = Math.max(0, Math.min(1, (r.value - min) / (max - min || 1)));
        return (
          <div className="bar-row" key={rowKey(r)}>
            <span className="name" title={r.name}>
              {r.name}
            </span>
            <div className="bar-track">
              <div
                className="bar-fill"
                style={{
                  width: `${(frac * 100).toFixed(1)}%`,
                  background: thresholdColor(panel.thresholds, r.value) ?? seriesColor(i),
                }}
              />
            </div>
            <span>{formatValue(r.value, panel.unit, panel.decimals)}</span>
          </div>
        );
      })}
    </div>
  );
}

function Table(props: { panel: Panel; rows: Row[] }): ReactNode {
  const { panel, rows } = props;
  const labelNames = [...new Set(rows.flatMap((r) => Object.keys(r.metric)))]
    .filter((k) => k !== "__name__")
    .sort();
  return (
    <div style={{ overflow: "auto", height: "100%" }}>
      <table className="data">
        <thead>
          <tr>
            {labelNames.map((l) => (
              <th key={l}>{l}</th>
            ))}
            <th className="num">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, 500).map((r) => (
            <tr key={rowKey(r)}>
              {labelNames.map((l) => (
                <td key={l}>{r.metric[l] ?? ""}</td>
              ))}
              <td className="num" style={{ color: thresholdColor(panel.thresholds, r.value) }}>
                {formatValue(r.value, panel.unit, panel.decimals)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Sequential colour ramp (light to dark blue, readable with colour blindness). */
function heatColor(frac: number): string {
  const l = 92 - frac * 62;
  return `hsl(205 ${Math.round(40 + frac * 60)}% ${l.toFixed(0)}%)`;
}

function Heatmap(props: { grid: HeatmapGrid; unit?: string }): ReactNode {
  const { grid, unit } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const c = canvas.current;
    const w = wrap.current;
    if (!c || !w) return;
    const draw = () => {
      const dpr = devicePixelRatio || 1;
      const W = w.clientWidth;
      const H = w.clientHeight;
      c.width = W * dpr;
      c.height = H * dpr;
      c.style.width = `${W}px`;
      c.style.height = `${H}px`;
      const ctx = c.getContext("2d")!;
      ctx.scale(dpr, dpr);
      ctx.clearRect(0, 0, W, H);
      const left = 64;
      const bottom = 18;
      const nb = grid.bounds.length;
      const nt = grid.times.length;
      const cw = (W - left) / Math.max(1, nt);
      const ch = (H - bottom) / Math.max(1, nb);
      for (let b = 0; b < nb; b++) {
        for (let t = 0; t < nt; t++) {
          const v = grid.counts[b]![t]!;
          if (v <= 0) continue;
          ctx.fillStyle = heatColor(Math.sqrt(v / (grid.max || 1)));
          ctx.fillRect(left + t * cw, H - bottom - (b + 1) * ch, Math.ceil(cw), Math.ceil(ch));
        }
      }
      const fg = getComputedStyle(document.documentElement).getPropertyValue("--fg-2") || "#888";
      ctx.fillStyle = fg;
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "right";
      const every = Math.max(1, Math.ceil(nb / Math.max(1, Math.floor((H - bottom) / 14))));
      for (let b = 0; b < nb; b += every) {
        const bound = grid.bounds[b]!;
        const label = Number.isFinite(bound) ? formatValue(bound, unit) : "+Inf";
        ctx.fillText(label, left - 4, H - bottom - b * ch - ch / 2 + 4);
      }
      for (const t of [0, Math.floor(nt / 2), nt - 1]) {
        if (t < 0 || t >= nt) continue;
        ctx.textAlign = t === 0 ? "left" : t === nt - 1 ? "right" : "center";
        ctx.fillText(
          new Date(grid.times[t]! * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
          t === 0 ? left : t === nt - 1 ? W : left + t * cw + cw / 2,
          H - 4,
        );
      }
    };
    draw();
    const ro = new ResizeObserver(draw);
    ro.observe(w);
    return () => ro.disconnect();
  }, [grid, unit]);
  return (
    <div ref={wrap} style={{ position: "absolute", inset: 4 }}>
      <canvas ref={canvas} role="img" aria-label={`Heatmap of ${grid.bounds.length} buckets`} />
    </div>
  );
}

function NodeGraph(props: {
  panel: Panel;
  results: { legend?: string; data: QueryData }[];
}): ReactNode | null {
  const { panel, results } = props;
  const nodeLabel = panel.nodeLabel ?? "instance";
  const edgeLabel = panel.edgeLabel ?? "peer";
  const { nodes, edges, values } = useMemo(() => {
    const values = new Map<string, number>();
    const edges: [string, string][] = [];
    for (const r of instantRows(results)) {
      const a = r.metric[nodeLabel];
      if (a === undefined) continue;
      const b = r.metric[edgeLabel];
      if (b !== undefined) {
        if (r.value > 0 && !edges.some(([x, y]) => x === a && y === b)) edges.push([a, b]);
        if (!values.has(b)) values.set(b, Number.NaN);
        if (!values.has(a)) values.set(a, Number.NaN);
      } else {
        values.set(a, r.value);
      }
    }
    return { nodes: [...values.keys()].sort(), edges, values };
  }, [results, nodeLabel, edgeLabel]);
  const W = 600;
  const H = 360;
  const layout = useMemo(
    () => forceLayout(nodes, edges, W, H, nodes.length > 150 ? 80 : 200),
    [nodes, edges],
  );
  if (nodes.length === 0) return null;
  const at = new Map(layout.map((n) => [n.id, n]));
  const r = nodes.length > 60 ? 4 : 7;
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      style={{ width: "100%", height: "100%" }}
      role="img"
      aria-label={`Topology: ${nodes.length} nodes, ${edges.length} links`}
    >
      {edges.map(([a, b]) => {
        const p = at.get(a)!;
        const q = at.get(b)!;
        return (
          <line
            key={`${a}\u0000${b}`}
            x1={p.x}
            y1={p.y}
            x2={q.x}
            y2={q.y}
            stroke="var(--border)"
            strokeWidth="1"
          />
        );
      })}
      {layout.map((n) => {
        const v = values.get(n.id) ?? Number.NaN;
        const fill = thresholdColor(panel.thresholds, v) ?? cssColor("info");
        return (
          <g key={n.id}>
            <title>{`${n.id}${Number.isNaN(v) ? "" : `: ${formatValue(v, panel.unit, panel.decimals)}`}`}</title>
            <circle cx={n.x} cy={n.y} r={r} fill={fill} stroke="var(--panel)" strokeWidth="1.5" />
            {nodes.length <= 40 && (
              <text x={n.x} y={n.y - r - 3} textAnchor="middle" fontSize="10" fill="var(--fg-2)">
                {n.id}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
