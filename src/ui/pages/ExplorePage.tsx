import { type ReactNode, useEffect, useMemo, useState } from "react";
import type { ApiResult } from "../api/client.js";
import { instantQuery, type QueryData, rangeQuery } from "../api/query.js";
import { ErrorNotice } from "../components/common.js";
import { navigate } from "../components/nav.js";
import { PromQLEditor } from "../components/PromQLEditor.js";
import { TimeSeriesChart } from "../components/TimeSeriesChart.js";
import { formatValue, parseSampleValue } from "../lib/format.js";
import { addToHistory, parseHistory } from "../lib/history.js";
import { formatSeriesName } from "../lib/legend.js";
import { alignSeries } from "../lib/seriesData.js";
import { parseDuration, parseTimeExpr, stepFor } from "../lib/time.js";
import { decodeExplorer, type ExplorerState, encodeExplorer } from "../lib/urlState.js";

const HISTORY_KEY = "relay.queryHistory";

/** The Explorer: PromQL editor with completion, graph and table, history and shareable URLs. */
export function ExplorePage(props: { search: string }): ReactNode {
  const state = decodeExplorer(props.search);
  const [draft, setDraft] = useState(state.expr);
  const [history, setHistory] = useState<string[]>(() => parseHistory(localStorage.getItem(HISTORY_KEY)));
  const [result, setResult] = useState<{
    r: ApiResult<QueryData>;
    ms: number;
    at: number;
    range: { start: number; end: number };
  } | null>(null);
  const [running, setRunning] = useState(false);
  const [copied, setCopied] = useState(false);

  const update = (patch: Partial<ExplorerState>) =>
    navigate(`/explore?${encodeExplorer({ ...state, ...patch })}`, true);

  const key = JSON.stringify(state);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key captures state
  useEffect(() => {
    if (state.expr.trim() === "") {
      setResult(null);
      return;
    }
    const ac = new AbortController();
    const now = Date.now();
    const end = state.end ? (parseTimeExpr(state.end, now) ?? now) : now;
    const rangeMs = parseDuration(state.range) ?? 3_600_000;
    const t0 = performance.now();
    setRunning(true);
    const width = Math.min(window.innerWidth, 1600);
    const step = Number(state.step) > 0 ? Number(state.step) : stepFor({ start: end - rangeMs, end }, width);
    const p =
      state.tab === "graph"
        ? rangeQuery(state.expr, (end - rangeMs) / 1000, end / 1000, step, ac.signal)
        : instantQuery(state.expr, end / 1000, ac.signal);
    p.then(
      (r) => {
        setResult({
          r,
          ms: performance.now() - t0,
          at: end,
          range: { start: (end - rangeMs) / 1000, end: end / 1000 },
        });
        setRunning(false);
      },
      () => setRunning(false),
    );
    return () => ac.abort();
  }, [key]);

  const execute = () => {
    const expr = draft.trim();
    const h = addToHistory(history, expr);
    setHistory(h);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(h));
    navigate(`/explore?${encodeExplorer({ ...state, expr })}`, state.expr === expr);
  };

  return (
    <div>
      <h1>Explore</h1>
      <div className="row" style={{ alignItems: "stretch" }}>
        <PromQLEditor value={draft} onChange={setDraft} onExecute={execute} autoFocus />
        <button type="button" className="primary" onClick={execute} disabled={running}>
          {running ? "Running…" : "Execute"}
        </button>
      </div>
      <div className="tabs" role="tablist">
        {(["graph", "table"] as const).map((t) => (
          <button
            type="button"
            role="tab"
            key={t}
            aria-selected={state.tab === t}
            onClick={() => update({ tab: t })}
          >
            {t === "graph" ? "Graph" : "Table"}
          </button>
        ))}
        <span className="spacer" />
        {state.tab === "graph" && (
          <>
            <label className="row">
              <span className="muted">Range</span>
              <input
                aria-label="Range"
                size={5}
                defaultValue={state.range}
                onBlur={(e) => parseDuration(e.target.value) && update({ range: e.target.value })}
              />
            </label>
            <label className="row">
              <span className="muted">Step (s)</span>
              <input
                aria-label="Step"
                size={5}
                placeholder="auto"
                defaultValue={state.step}
                onBlur={(e) => update({ step: e.target.value.trim() })}
              />
            </label>
          </>
        )}
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(location.href).catch(() => {});
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? "Link copied" : "Copy link"}
        </button>
      </div>
      {result && !result.r.ok && <ErrorNotice error={`${result.r.errorType}: ${result.r.error}`} />}
      {result?.r.ok && (
        <>
          <p className="muted" data-testid="query-stats">
            Evaluated in {result.ms.toFixed(0)} ms
            {result.r.warnings.length > 0 ? ` · warnings: ${result.r.warnings.join("; ")}` : ""}
          </p>
          <ResultView data={result.r.data} tab={state.tab} range={result.range} />
        </>
      )}
      <h2>History</h2>
      {history.length === 0 ? (
        <p className="muted">Queries you run appear here.</p>
      ) : (
        <ul className="history">
          {history.map((h) => (
            <li key={h}>
              <button
                type="button"
                onClick={() => setDraft(h)}
                onDoubleClick={() => navigate(`/explore?${encodeExplorer({ ...state, expr: h })}`)}
              >
                {h}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ResultView(props: {
  data: QueryData;
  tab: "graph" | "table";
  range: { start: number; end: number };
}): ReactNode {
  const { data } = props;
  const aligned = useMemo(
    () => (data.resultType === "matrix" ? alignSeries([{ series: data.result }]) : null),
    [data],
  );
  if (props.tab === "graph") {
    if (!aligned)
      return (
        <p className="muted">The expression returned a {data.resultType}; a graph needs a range query.</p>
      );
    if (aligned.columns.length === 0) return <p className="muted">Empty query result.</p>;
    return (
      <div className="card" style={{ height: 420 }} data-testid="explore-graph">
        <TimeSeriesChart data={aligned} range={props.range} />
      </div>
    );
  }
  if (data.resultType === "scalar" || data.resultType === "string") {
    return (
      <pre className="card">
        {data.resultType === "scalar"
          ? formatValue(parseSampleValue(data.result[1]), "none")
          : data.result[1]}
      </pre>
    );
  }
  const rows =
    data.resultType === "vector"
      ? data.result.map((s) => ({ metric: s.metric, value: s.value?.[1] ?? s.histogram?.[1].count ?? "" }))
      : data.result.map((s) => ({
          metric: s.metric,
          value: (s.values ?? []).map((v) => `${v[1]} @${v[0]}`).join("\n"),
        }));
  if (rows.length === 0) return <p className="muted">Empty query result.</p>;
  return (
    <div className="card scroll-x">
      <table className="data" data-testid="explore-table">
        <thead>
          <tr>
            <th>Series</th>
            <th className="num">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, 10_000).map((r) => (
            <tr key={formatSeriesName(r.metric)}>
              <td>
                <code>{formatSeriesName(r.metric)}</code>
              </td>
              <td className="num" style={{ whiteSpace: "pre" }}>
                {r.value}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
