/**
 * Dashboard panels that read Relay's own API rather than PromQL: the alert list and history
 * (`/api/v1/alerts`, `/api/relay/v1/alerts/history`), capacity forecasts (`/api/relay/v1/capacity`),
 * channel health and recommendations (`/api/relay/v1/community/health`,
 * `/api/relay/v1/analysis/performance`).
 */
import { type ReactNode, useEffect, useMemo, useState } from "react";
import { type AlertData, type AlertHistoryEntry, alertHistory, alerts } from "../api/alerts.js";
import type { ApiResult } from "../api/client.js";
import {
  type AnalysisData,
  analysis,
  type CapacityData,
  type CommunityHealthData,
  capacity,
  communityHealth,
  forecastName,
} from "../api/relay.js";
import type { Panel, PanelType } from "../dashboards/model.js";
import { formatValue } from "../lib/format.js";
import { thresholdColor } from "../lib/palette.js";
import { ago, Labels } from "./common.js";
import { Link } from "./nav.js";
import { TimeSeriesChart } from "./TimeSeriesChart.js";

/** Panel types drawn from Relay's API (their `queries` are empty). */
export const RELAY_PANEL_TYPES: ReadonlySet<PanelType> = new Set([
  "alertlist",
  "alerthistory",
  "forecast",
  "channelhealth",
  "recommendations",
]);

type Fetched =
  | { kind: "alerts"; data: AlertData[] }
  | { kind: "history"; data: AlertHistoryEntry[] }
  | { kind: "capacity"; data: CapacityData }
  | { kind: "community"; data: CommunityHealthData }
  | { kind: "analysis"; data: AnalysisData };

/** The state of a Relay-API panel, like a PromQL panel's. */
export type RelayPanelData =
  | { state: "loading" }
  | { state: "error"; error: string }
  | { state: "done"; v: Fetched };

/** One request per endpoint and refresh, shared by the panels that read it. */
const shared = new Map<string, { at: number; p: Promise<ApiResult<unknown>> }>();

function once<T>(key: string, tick: number, fn: () => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
  const k = `${key}#${tick}`;
  const hit = shared.get(k);
  if (hit && Date.now() - hit.at < 10_000) return hit.p as Promise<ApiResult<T>>;
  const p = fn();
  shared.set(k, { at: Date.now(), p });
  return p;
}

async function fetchFor(panel: Panel, tick: number): Promise<Fetched> {
  const unwrap = <T,>(r: ApiResult<T>): T => {
    if (!r.ok) throw new Error(`${r.errorType}: ${r.error}`);
    return r.data;
  };
  switch (panel.type) {
    case "alertlist":
      return { kind: "alerts", data: unwrap(await once("alerts", tick, alerts)).alerts };
    case "alerthistory":
      return { kind: "history", data: unwrap(await once("history", tick, () => alertHistory(200))) };
    case "forecast":
      return { kind: "capacity", data: unwrap(await once("capacity", tick, capacity)) };
    case "recommendations":
      if (panel.options?.source === "performance") {
        return { kind: "analysis", data: unwrap(await once("analysis", tick, analysis)) };
      }
      return { kind: "community", data: unwrap(await once("community", tick, communityHealth)) };
    default:
      return { kind: "community", data: unwrap(await once("community", tick, communityHealth)) };
  }
}

/** Loads what a Relay-API panel shows; `undefined` for PromQL panels. */
export function useRelayPanelData(panel: Panel, refreshTick: number): RelayPanelData | undefined {
  const relay = RELAY_PANEL_TYPES.has(panel.type);
  const [data, setData] = useState<RelayPanelData>({ state: "loading" });
  const key = JSON.stringify([panel.type, panel.options ?? {}, refreshTick]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key captures the inputs
  useEffect(() => {
    if (!relay) return;
    let live = true;
    fetchFor(panel, refreshTick).then(
      (v) => live && setData({ state: "done", v }),
      (e: Error) => live && setData({ state: "error", error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [key, relay]);
  return relay ? data : undefined;
}

const SCORE_STEPS = [
  { value: null, color: "critical" },
  { value: 50, color: "warning" },
  { value: 70, color: "ok" },
];

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Renders a loaded Relay-API panel; null means "No data". */
export function renderRelayPanel(panel: Panel, v: Fetched): ReactNode | null {
  switch (v.kind) {
    case "alerts":
      return <AlertList panel={panel} alerts={v.data} />;
    case "history":
      return <AlertHistory entries={v.data} />;
    case "capacity":
      return <Forecast panel={panel} data={v.data} />;
    case "analysis":
      return <PerformanceRecommendations data={v.data} />;
    case "community":
      return panel.type === "channelhealth" ? (
        <ChannelHealthTable data={v.data} />
      ) : (
        <CommunityRecommendations data={v.data} />
      );
  }
}

function AlertList(props: { panel: Panel; alerts: AlertData[] }): ReactNode {
  const states = Array.isArray(props.panel.options?.states)
    ? (props.panel.options.states as string[])
    : ["firing", "pending"];
  const list = props.alerts
    .filter((a) => states.includes(a.state))
    .sort((a, b) => (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1));
  if (list.length === 0) return <p className="panel-state">No {states.join(" or ")} alerts.</p>;
  return (
    <div className="panel-scroll">
      <table className="data">
        <tbody>
          {list.map((a) => (
            <tr key={JSON.stringify(a.labels)}>
              <td>
                <span className={`badge ${a.state}`}>{a.state}</span>
              </td>
              <td>
                <strong>{a.labels.alertname}</strong> <Labels labels={a.labels} skip={["alertname"]} />
                {a.annotations.summary && <div className="muted">{a.annotations.summary}</div>}
              </td>
              <td className="num">{ago(a.activeAt)}</td>
              <td>
                <Link href={`/silences?${matcherQuery(a.labels)}`}>Silence</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function matcherQuery(labels: Readonly<Record<string, string>>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(labels)) sp.append("matcher", `${k}=${v}`);
  return sp.toString();
}

function AlertHistory(props: { entries: AlertHistoryEntry[] }): ReactNode {
  if (props.entries.length === 0) return <p className="panel-state">No alert has changed state yet.</p>;
  return (
    <div className="panel-scroll">
      <table className="data">
        <tbody>
          {props.entries.slice(0, 100).map((e) => (
            <tr key={`${e.time}\u0000${JSON.stringify(e.labels)}\u0000${e.state}`}>
              <td className="num">{new Date(e.time).toLocaleString()}</td>
              <td>
                <span className="muted">{e.from} →</span>{" "}
                <span className={`badge ${e.state}`}>{e.state}</span>
              </td>
              <td>
                <strong>{e.alertname}</strong> <Labels labels={e.labels} skip={["alertname"]} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Forecast(props: { panel: Panel; data: CapacityData }): ReactNode | null {
  const resource = str(props.panel.options?.resource);
  const list = useMemo(
    () => props.data.resources.filter((r) => !resource || r.resource === resource),
    [props.data, resource],
  );
  const chart = useMemo(() => {
    if (list.length === 0) return undefined;
    const times = list[0]!.forecast.timestamps;
    const threshold = list[0]!.threshold;
    const columns = list.map((f) => times.map((_, i) => f.forecast.points[i] ?? null));
    const peak = Math.max(threshold, ...list.flatMap((f) => f.forecast.points));
    const markers = list
      .filter((f) => f.breaches.length > 0)
      .map((f) => ({
        time: f.breaches[0]!.start / 1000,
        color: "critical",
        label: `breach ${forecastName(f)}`,
      }));
    return {
      data: {
        times: Float64Array.from(times, (t) => t / 1000),
        columns,
        names: list.map(forecastName),
        metrics: list.map((f) => f.labels),
      },
      threshold,
      max: Math.min(100, Math.ceil((peak * 1.1) / 10) * 10),
      markers,
    };
  }, [list]);
  if (!chart) return null;
  const breaching = list.filter((f) => f.breaches.length > 0);
  return (
    <div className="forecast">
      <p className="forecast-summary">
        Threshold {formatValue(chart.threshold, "percent")} ·{" "}
        {breaching.length === 0 ? (
          <span>no breach forecast within {Math.round(props.data.horizonMs / 86_400_000)} days</span>
        ) : (
          <strong className="critical-text">{breachText(breaching)}</strong>
        )}
      </p>
      <div className="forecast-chart">
        <TimeSeriesChart
          data={chart.data}
          unit="percent"
          min={0}
          max={chart.max}
          thresholds={[{ value: chart.threshold, color: "critical" }]}
          markers={chart.markers}
        />
      </div>
    </div>
  );
}

function breachText(breaching: readonly CapacityData["resources"][number][]): string {
  const first = [...breaching].sort(
    (a, b) => (a.timeToFirstBreachMs ?? 0) - (b.timeToFirstBreachMs ?? 0),
  )[0]!;
  const more = breaching.length > 1 ? ` (${breaching.length} instances breach)` : "";
  return `first breach: ${forecastName(first)} in ${formatDays(first.timeToFirstBreachMs)}${more}`;
}

function formatDays(ms: number | null): string {
  if (ms === null) return "never";
  if (ms <= 0) return "now";
  const d = ms / 86_400_000;
  return d < 1 ? `${Math.round(d * 24)} h` : `${d.toFixed(1)} d`;
}

function ChannelHealthTable(props: { data: CommunityHealthData }): ReactNode | null {
  // lowest scores first (they need attention); channels suppressed by k-anonymity last
  const rows = [...props.data.channels].sort((a, b) => (a.score ?? 1000) - (b.score ?? 1000));
  if (rows.length === 0) return null;
  const names = Object.keys(props.data.weights);
  return (
    <div className="panel-scroll">
      <table className="data">
        <thead>
          <tr>
            <th>Channel</th>
            <th className="num">Score</th>
            <th>7-day trend</th>
            {names.map((n) => (
              <th key={n} className="num">
                {n}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.channel}>
              <td>{c.channel}</td>
              <td
                className="num"
                style={{ color: c.score === null ? undefined : thresholdColor(SCORE_STEPS, c.score) }}
              >
                {c.score === null ? (c.suppressed ? "suppressed" : "–") : c.score.toFixed(0)}
              </td>
              <td
                title={c.trend.direction === "unknown" ? "not enough history for a 7-day trend" : undefined}
              >
                {trendText(c.trend)}
              </td>
              {names.map((n) => {
                const x = c.components[n]?.normalized;
                return (
                  <td key={n} className="num">
                    {x === null || x === undefined ? "–" : (x * 100).toFixed(0)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function trendText(t: CommunityHealthData["channels"][number]["trend"]): string {
  const ch = t.change === null ? "" : ` ${t.change > 0 ? "+" : ""}${t.change.toFixed(1)}`;
  switch (t.direction) {
    case "up":
      return `▲ up${ch}`;
    case "down":
      return `▼ down${ch}`;
    case "flat":
      return `– flat${ch}`;
    default:
      return "–";
  }
}

function CommunityRecommendations(props: { data: CommunityHealthData }): ReactNode | null {
  const items = props.data.channels.flatMap((c) =>
    c.recommendations.map((r) => ({ channel: c.channel, score: c.score, ...r })),
  );
  if (props.data.channels.length === 0) return null;
  if (items.length === 0) return <p className="panel-state">Every channel meets its targets.</p>;
  items.sort((a, b) => a.normalized - b.normalized);
  return (
    <ul className="panel-scroll recs">
      {items.slice(0, 40).map((r) => (
        <li key={`${r.channel}\u0000${r.component}`}>
          <span
            className={`badge ${r.normalized < 0.25 ? "critical" : r.normalized < 0.5 ? "warning" : "ok"}`}
          >
            {r.component}
          </span>{" "}
          <strong>{r.channel}</strong> <span className="muted">{r.action}</span>
        </li>
      ))}
    </ul>
  );
}

function PerformanceRecommendations(props: { data: AnalysisData }): ReactNode {
  const items = props.data.recommendations;
  if (items.length === 0) return <p className="panel-state">No findings: score {props.data.score}.</p>;
  return (
    <ul className="panel-scroll recs">
      {items.map((r) => (
        <li key={r.type}>
          <span
            className={`badge ${r.severity === "CRITICAL" ? "critical" : r.severity === "WARNING" ? "warning" : "ok"}`}
          >
            {r.severity.toLowerCase()}
          </span>{" "}
          <strong>{r.type}</strong> ×{r.count} <span className="muted">{r.recommendation}</span>
        </li>
      ))}
    </ul>
  );
}
