import type { ReactNode } from "react";
import { analysis, capacity, communityHealth, type Recommendation } from "../api/relay.js";
import { ApiView, useApi } from "../components/common.js";
import { TimeSeriesChart } from "../components/TimeSeriesChart.js";
import { formatValue } from "../lib/format.js";
import { thresholdColor } from "../lib/palette.js";

const SCORE_STEPS = [
  { value: null, color: "critical" },
  { value: 50, color: "warning" },
  { value: 70, color: "ok" },
];

function Score(props: { value: number; label: string }): ReactNode {
  return (
    <div className="card">
      <div className="muted">{props.label}</div>
      <div className="score" style={{ color: thresholdColor(SCORE_STEPS, props.value) }}>
        {Number.isFinite(props.value) ? props.value.toFixed(0) : "–"}
        <span className="muted" style={{ fontSize: 16 }}>
          {" "}
          / 100
        </span>
      </div>
    </div>
  );
}

function Recommendations(props: { items: readonly Recommendation[] | undefined }): ReactNode {
  if (!props.items || props.items.length === 0) return <p className="muted">No recommendations.</p>;
  return (
    <ul>
      {props.items.map((r) => (
        <li key={r.title}>
          {r.priority && (
            <span
              className={`badge ${r.priority === "high" ? "critical" : r.priority === "medium" ? "warning" : "ok"}`}
            >
              {r.priority}
            </span>
          )}{" "}
          <strong>{r.title}</strong>
          {r.detail && <div className="muted">{r.detail}</div>}
        </li>
      ))}
    </ul>
  );
}

/** The performance analyzer's score, findings and recommendations. */
export function AnalysisPage(): ReactNode {
  const [v] = useApi(analysis, []);
  return (
    <div>
      <h1>Analysis</h1>
      <ApiView value={v} what="Performance analysis">
        {(d) => (
          <>
            <div className="cards">
              <Score value={d.score} label="Performance score" />
            </div>
            <h2>Findings</h2>
            {d.findings.length === 0 ? (
              <p className="muted">No findings.</p>
            ) : (
              <table className="data">
                <tbody>
                  {d.findings.map((f) => (
                    <tr key={f.title}>
                      <td>
                        <span className={`badge ${f.severity === "info" ? "ok" : f.severity}`}>
                          {f.severity}
                        </span>
                      </td>
                      <td>
                        <strong>{f.title}</strong>
                        {f.detail && <div className="muted">{f.detail}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <h2>Recommendations</h2>
            <Recommendations items={d.recommendations} />
          </>
        )}
      </ApiView>
    </div>
  );
}

/** Capacity forecasts with their threshold and breach time. */
export function CapacityPage(): ReactNode {
  const [v] = useApi(capacity, []);
  return (
    <div>
      <h1>Capacity</h1>
      <ApiView value={v} what="Capacity planning">
        {(d) =>
          d.forecasts.length === 0 ? (
            <p className="muted">No forecasts.</p>
          ) : (
            <div className="cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(340px, 1fr))" }}>
              {d.forecasts.map((f) => {
                const pts = f.forecast ?? [];
                const data = {
                  times: Float64Array.from(pts.map((p) => p[0])),
                  columns: [pts.map((p) => p[1])],
                  names: [`${f.resource} forecast`],
                  metrics: [{}],
                };
                const breach = f.breachAt ? Date.parse(f.breachAt) / 1000 : undefined;
                return (
                  <section key={f.resource} className="card">
                    <h2 style={{ marginTop: 0 }}>{f.resource}</h2>
                    <p>
                      Now {formatValue(f.current, f.unit)} · threshold {formatValue(f.threshold, f.unit)} ·{" "}
                      {f.breachAt ? (
                        <strong style={{ color: "var(--critical)" }}>
                          breach {new Date(f.breachAt).toLocaleString()}
                        </strong>
                      ) : (
                        "no breach within the horizon"
                      )}
                    </p>
                    {pts.length > 0 && (
                      <div style={{ height: 200 }}>
                        <TimeSeriesChart
                          data={data}
                          unit={f.unit}
                          thresholds={[{ value: f.threshold, color: "critical" }]}
                          markers={breach ? [{ time: breach, color: "critical", label: "breach" }] : []}
                        />
                      </div>
                    )}
                    {f.recommendation && <p className="muted">{f.recommendation}</p>}
                  </section>
                );
              })}
            </div>
          )
        }
      </ApiView>
    </div>
  );
}

/** Community health: overall and per-channel scores, components and recommendations. */
export function CommunityPage(): ReactNode {
  const [v] = useApi(communityHealth, []);
  return (
    <div>
      <h1>Community</h1>
      <ApiView value={v} what="Community health">
        {(d) => (
          <>
            <div className="cards">
              <Score value={d.score} label="Community health" />
              {Object.entries(d.components ?? {}).map(([k, x]) => (
                <Score key={k} value={x} label={k} />
              ))}
            </div>
            <h2>Channels</h2>
            <table className="data">
              <thead>
                <tr>
                  <th>Channel</th>
                  <th className="num">Score</th>
                  <th>Trend</th>
                  <th>Components</th>
                </tr>
              </thead>
              <tbody>
                {d.channels.map((c) => (
                  <tr key={c.channel}>
                    <td>{c.channel}</td>
                    <td className="num" style={{ color: thresholdColor(SCORE_STEPS, c.score) }}>
                      {c.score.toFixed(0)}
                    </td>
                    <td>{c.trend === "up" ? "▲ up" : c.trend === "down" ? "▼ down" : "– flat"}</td>
                    <td className="labels">
                      {Object.entries(c.components ?? {}).map(([k, x]) => (
                        <code key={k}>
                          {k} {x.toFixed(0)}
                        </code>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Recommendations</h2>
            <Recommendations items={d.recommendations} />
          </>
        )}
      </ApiView>
    </div>
  );
}
