import type { ReactNode } from "react";
import { analysis, capacity, communityHealth, meanScore } from "../api/relay.js";
import { ApiView, useApi } from "../components/common.js";
import { renderRelayPanel } from "../components/RelayPanels.js";
import type { Panel, PanelType } from "../dashboards/model.js";
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

/** A panel description for drawing a Relay-API panel outside a dashboard. */
const pagePanel = (type: PanelType, options: Record<string, unknown> = {}): Panel => ({
  id: type,
  type,
  title: "",
  grid: { x: 0, y: 0, w: 24, h: 8 },
  queries: [],
  options,
});

const SEVERITY_BADGE = { CRITICAL: "critical", WARNING: "warning", INFO: "ok" } as const;

/** The performance analyzer's score, findings and recommendations (the last hour). */
export function AnalysisPage(): ReactNode {
  const [v] = useApi(analysis, []);
  return (
    <div>
      <h1>Analysis</h1>
      <ApiView value={v} what="Performance analysis">
        {(d) => (
          <>
            <div className="cards">
              <Score value={d.score} label="Performance score (last hour)" />
            </div>
            <h2>Findings</h2>
            {d.findings.length === 0 ? (
              <p className="muted">No findings.</p>
            ) : (
              <table className="data" data-testid="findings">
                <tbody>
                  {d.findings.map((f) => (
                    <tr key={`${f.type}\u0000${JSON.stringify(f.where)}`}>
                      <td>
                        <span className={`badge ${SEVERITY_BADGE[f.severity]}`}>
                          {f.severity.toLowerCase()}
                        </span>
                      </td>
                      <td>
                        <strong>{f.type}</strong> <span className="muted">{f.area}</span>
                        <div>{f.description}</div>
                        <div className="muted">
                          {f.impact}. {f.recommendation}.
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {d.errors.length > 0 && (
              <p className="muted">
                Checks that could not run: {d.errors.map((e) => `${e.type} (${e.error})`).join("; ")}
              </p>
            )}
            <h2>Recommendations</h2>
            {renderRelayPanel(pagePanel("recommendations", { source: "performance" }), {
              kind: "analysis",
              data: d,
            })}
          </>
        )}
      </ApiView>
    </div>
  );
}

/** Capacity forecasts per resource with their threshold and breach lines. */
export function CapacityPage(): ReactNode {
  const [v] = useApi(capacity, []);
  return (
    <div>
      <h1>Capacity</h1>
      <ApiView value={v} what="Capacity planning">
        {(d) => {
          const resources = [...new Set(d.resources.map((r) => r.resource))];
          if (resources.length === 0)
            return <p className="muted">No forecasts yet: the planner needs history.</p>;
          return (
            <>
              <div className="cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(360px, 1fr))" }}>
                {resources.map((r) => (
                  <section key={r} className="card capacity-card">
                    <h2 style={{ marginTop: 0 }}>{r}</h2>
                    {renderRelayPanel(pagePanel("forecast", { resource: r }), { kind: "capacity", data: d })}
                  </section>
                ))}
              </div>
              {d.skipped.length > 0 && (
                <p className="muted">
                  Skipped: {d.skipped.map((s) => `${s.resource} (${s.reason})`).join("; ")}
                </p>
              )}
            </>
          );
        }}
      </ApiView>
    </div>
  );
}

/** Community health: the mean score, each channel's score, components and trend, and recommendations. */
export function CommunityPage(): ReactNode {
  const [v] = useApi(communityHealth, []);
  return (
    <div>
      <h1>Community</h1>
      <ApiView value={v} what="Community health">
        {(d) => (
          <>
            <div className="cards">
              <Score value={meanScore(d.channels)} label="Community health (mean of channels)" />
            </div>
            <h2>Channels</h2>
            {renderRelayPanel(pagePanel("channelhealth"), { kind: "community", data: d }) ?? (
              <p className="muted">No channel has enough members to publish (k = {d.k}).</p>
            )}
            <h2>Recommendations</h2>
            {renderRelayPanel(pagePanel("recommendations"), { kind: "community", data: d })}
          </>
        )}
      </ApiView>
    </div>
  );
}
