import { type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatValue } from "../lib/format.js";
import { cssColor, seriesColor } from "../lib/palette.js";
import type { AlignedSeries } from "../lib/seriesData.js";

/** A threshold line drawn across the chart. */
export interface ThresholdLine {
  value: number;
  color: string;
}

/** Props of {@link TimeSeriesChart}. */
export interface TimeSeriesChartProps {
  data: AlignedSeries;
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  stack?: boolean;
  thresholds?: readonly ThresholdLine[];
  /** Vertical lines (seconds) such as a forecast's breach time. */
  markers?: readonly { time: number; color: string; label: string }[];
  /** Range in seconds so empty edges still show the full window. */
  range?: { start: number; end: number };
  /** Called with a selected range (seconds) to zoom. */
  onZoom?: (start: number, end: number) => void;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** Stacks columns (each point adds the previous series' value), leaving gaps as null. */
function stackColumns(cols: (number | null)[][]): (number | null)[][] {
  const out: (number | null)[][] = [];
  let acc: number[] | undefined;
  for (const c of cols) {
    const next = c.map((v, i) => (v === null ? null : v + (acc?.[i] ?? 0)));
    acc = next.map((v, i) => v ?? acc?.[i] ?? 0);
    out.push(next);
  }
  return out;
}

/** A time series chart drawn by uPlot, with legend toggles, tooltip, threshold lines and zoom. */
export function TimeSeriesChart(props: TimeSeriesChartProps): ReactNode {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [tip, setTip] = useState<{
    left: number;
    top: number;
    rows: { name: string; color: string; v: string }[];
    t: number;
  } | null>(null);
  const { data, unit, decimals, thresholds, markers, stack } = props;
  const theme = document.documentElement.dataset.theme;

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt on data, options and theme changes
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const axisStroke = cssVar("--fg-2");
    const grid = cssVar("--grid");
    const cols = stack ? stackColumns(data.columns) : data.columns;
    const fmt = (v: number | null) => (v === null ? "" : formatValue(v, unit, decimals));
    const opts: uPlot.Options = {
      width: Math.max(100, el.clientWidth),
      height: Math.max(60, el.clientHeight),
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: {
        x: { time: true, ...(props.range ? { min: props.range.start, max: props.range.end } : {}) },
        y: {
          range: (_u, dmin, dmax) => {
            let lo = props.min ?? Math.min(dmin, 0);
            let hi = props.max ?? dmax;
            for (const t of thresholds ?? [])
              if (props.max === undefined && t.value > hi && t.value < hi * 3) hi = t.value;
            if (!Number.isFinite(lo)) lo = 0;
            if (!Number.isFinite(hi) || hi <= lo) hi = lo + 1;
            return [lo, props.max ?? hi + (hi - lo) * 0.05];
          },
        },
      },
      axes: [
        { stroke: axisStroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: axisStroke,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 70,
          // whole numbers only when the panel shows no decimals (counts of alerts, silences)
          ...(decimals === 0
            ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] }
            : {}),
          values: (_u, splits) => splits.map((v) => formatValue(v, unit, decimals)),
        },
      ],
      series: [
        {},
        ...data.names.map((name, i) => ({
          label: name,
          stroke: seriesColor(i),
          width: 1.5,
          fill: stack ? `${seriesColor(i)}55` : undefined,
          spanGaps: false,
          show: !hidden.has(i),
          value: (_u: uPlot, v: number | null) => fmt(v),
          points: { show: false },
        })),
      ],
      // stacked: each series fills down to the one below it, not to zero over the others
      bands: stack
        ? data.names.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] }))
        : undefined,
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1.5 * devicePixelRatio;
            for (const t of thresholds ?? []) {
              const y = u.valToPos(t.value, "y", true);
              if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
              ctx.strokeStyle = cssColor(t.color);
              ctx.beginPath();
              ctx.moveTo(u.bbox.left, y);
              ctx.lineTo(u.bbox.left + u.bbox.width, y);
              ctx.stroke();
            }
            for (const m of markers ?? []) {
              const x = u.valToPos(m.time, "x", true);
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.strokeStyle = cssColor(m.color);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx;
            if (idx === null || idx === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
              setTip(null);
              return;
            }
            const rows = data.names
              .map((name, i) => ({ name, color: seriesColor(i), v: data.columns[i]![idx], i }))
              .filter((r) => r.v !== null && !hidden.has(r.i))
              .sort((a, b) => (b.v as number) - (a.v as number))
              .slice(0, 12)
              .map((r) => ({ name: r.name, color: r.color, v: fmt(r.v) }));
            setTip({
              left: u.cursor.left + u.bbox.left / devicePixelRatio,
              top: u.cursor.top ?? 0,
              rows,
              t: data.times[idx]!,
            });
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width > 5 && props.onZoom) {
              props.onZoom(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x"));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };
    const aligned: uPlot.AlignedData = [data.times, ...cols] as unknown as uPlot.AlignedData;
    const u = new uPlot(opts, aligned, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientHeight > 0)
        u.setSize({ width: el.clientWidth, height: el.clientHeight });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [
    data,
    unit,
    decimals,
    stack,
    thresholds,
    markers,
    hidden,
    theme,
    props.min,
    props.max,
    props.range?.start,
    props.range?.end,
  ]);

  const seriesKeys = useMemo(() => data.names.map((n, i) => `${i}\u0000${n}`), [data]);
  const toggle = (i: number, solo: boolean) =>
    setHidden((h) => {
      if (solo) {
        const others = data.names.map((_, j) => j).filter((j) => j !== i);
        return h.size === others.length && !h.has(i) ? new Set() : new Set(others);
      }
      const n = new Set(h);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });

  return (
    <div className="chart-wrap">
      <div
        className="chart"
        ref={host}
        role="img"
        aria-label={`Time series chart of ${data.names.length} series`}
      />
      {tip && tip.rows.length > 0 && (
        <div
          className="tooltip"
          style={{
            left: Math.min(tip.left + 12, (host.current?.clientWidth ?? 400) - 200),
            top: tip.top + 8,
          }}
        >
          <div className="muted">{new Date(tip.t * 1000).toLocaleString()}</div>
          {tip.rows.map((r) => (
            <div key={r.name} className="row">
              <span className="swatch" style={{ background: r.color }} />
              <span>{r.name}</span>
              <span className="spacer" />
              <strong>{r.v}</strong>
            </div>
          ))}
        </div>
      )}
      {data.names.length > 0 && (
        <div className="legend">
          {data.names.map((n, i) => (
            <button
              type="button"
              key={seriesKeys[i]}
              aria-pressed={!hidden.has(i)}
              title="Click to hide or show; Shift+click to show only this series"
              onClick={(e) => toggle(i, e.shiftKey)}
            >
              <span className="swatch" style={{ background: seriesColor(i) }} />
              {n}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
