import { type ReactNode, useEffect, useState } from "react";
import { ErrorNotice } from "../components/common.js";
import { Link, navigate } from "../components/nav.js";
import { type Dashboard, validateDashboard } from "../dashboards/model.js";
import {
  type DashboardSummary,
  deleteDashboard,
  listDashboards,
  saveDashboard,
} from "../dashboards/store.js";
import { fromGrafana, isGrafanaDashboard } from "../lib/grafana.js";

/** The list of dashboards, with new and import (ours or Grafana's JSON). */
export function DashboardsPage(): ReactNode {
  const [items, setItems] = useState<DashboardSummary[] | undefined>(undefined);
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [warnings, setWarnings] = useState<string[]>([]);
  const [tick, setTick] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick reloads the list
  useEffect(() => {
    listDashboards().then(setItems, (e: Error) => setError(e.message));
  }, [tick]);

  const importText = async (raw: string) => {
    setError("");
    setWarnings([]);
    try {
      const json = JSON.parse(raw) as unknown;
      let dash: Dashboard;
      if (isGrafanaDashboard(json)) {
        const r = fromGrafana(json);
        dash = validateDashboard(r.dashboard);
        setWarnings(r.warnings);
      } else {
        dash = validateDashboard(json);
      }
      await saveDashboard(dash);
      navigate(`/d/${encodeURIComponent(dash.uid)}`);
    } catch (e) {
      setError(`Import failed: ${(e as Error).message}`);
    }
  };

  return (
    <div>
      <h1>Dashboards</h1>
      {items === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <div className="cards" data-testid="dashboard-list">
          {items.map((d) => (
            <div key={d.uid} className="card dash-card">
              <Link href={`/d/${encodeURIComponent(d.uid)}`}>
                <strong>{d.title}</strong>
              </Link>
              <div className="muted">
                {d.builtin ? "built-in" : "saved"}
                {d.tags.length > 0 ? ` · ${d.tags.join(", ")}` : ""}
              </div>
              {!d.builtin && (
                <button
                  type="button"
                  className="link"
                  aria-label={`Delete ${d.title}`}
                  onClick={async () => {
                    if (!window.confirm(`Delete the dashboard "${d.title}"?`)) return;
                    try {
                      await deleteDashboard(d.uid);
                      setTick((t) => t + 1);
                    } catch (e) {
                      setError((e as Error).message);
                    }
                  }}
                >
                  Delete
                </button>
              )}
            </div>
          ))}
        </div>
      )}
      <h2>New dashboard</h2>
      <button
        type="button"
        onClick={() =>
          importText(
            JSON.stringify({
              uid: `dashboard-${Date.now().toString(36)}`,
              title: "New dashboard",
              panels: [
                {
                  id: "p1",
                  type: "timeseries",
                  title: "up",
                  grid: { x: 0, y: 0, w: 24, h: 8 },
                  queries: [{ expr: "up", legend: "{{job}} {{instance}}" }],
                },
              ],
            }),
          )
        }
      >
        Create
      </button>
      <h2>Import</h2>
      <p className="muted">
        Paste a dashboard as JSON — this UI's model, or Grafana's dashboard JSON (e.g. from grafana.com) — or
        choose a file.
      </p>
      <textarea
        className="json"
        style={{ minHeight: 140 }}
        aria-label="Dashboard JSON to import"
        value={text}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
      />
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => importText(text)}
          disabled={text.trim() === ""}
        >
          Import
        </button>
        <label className="row">
          <span>or file</span>
          <input
            type="file"
            accept="application/json,.json"
            aria-label="Dashboard JSON file"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (f) await importText(await f.text());
            }}
          />
        </label>
      </div>
      {error && <ErrorNotice error={error} />}
      {warnings.length > 0 && (
        <div className="notice warning">
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
