import { type ReactNode, useCallback, useEffect, useMemo, useState } from "react";
import { labelValues } from "../api/metadata.js";
import { ErrorNotice } from "../components/common.js";
import { navigate } from "../components/nav.js";
import { type PanelContext, PanelView } from "../components/Panels.js";
import type { Dashboard, Variable } from "../dashboards/model.js";
import { validateDashboard } from "../dashboards/model.js";
import { loadDashboard, saveDashboard } from "../dashboards/store.js";
import { ALL, interpolate, parseLabelValuesQuery } from "../lib/templating.js";
import { parseDuration, QUICK_RANGES, REFRESH_INTERVALS, resolveRange } from "../lib/time.js";
import { decodeDashboardView, encodeDashboardView } from "../lib/urlState.js";

/** Downloads `data` as a JSON file. */
export function downloadJson(name: string, data: unknown): void {
  const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function useVariableOptions(
  vars: readonly Variable[],
  selected: Record<string, string[]>,
  range: { start: number; end: number },
) {
  const [options, setOptions] = useState<Record<string, string[]>>({});
  const key = JSON.stringify([vars, selected]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: key captures the inputs
  useEffect(() => {
    let live = true;
    (async () => {
      const out: Record<string, string[]> = {};
      for (const v of vars) {
        if (v.values) {
          out[v.name] = v.values;
          continue;
        }
        const q = parseLabelValuesQuery(v.query);
        if (!q) continue;
        const sel = q.selector ? [interpolate(q.selector, selected)] : [];
        const r = await labelValues(q.label, sel, {
          start: Math.floor(range.start / 1000),
          end: Math.ceil(range.end / 1000),
        });
        out[v.name] = r.ok ? r.data : [];
      }
      if (live) setOptions(out);
    })();
    return () => {
      live = false;
    };
  }, [key]);
  return options;
}

/** Shows one dashboard with its variables, time range, auto-refresh and editing. */
export function DashboardPage(props: { uid: string; search: string }): ReactNode {
  const [dash, setDash] = useState<Dashboard | null | undefined>(undefined);
  const [error, setError] = useState("");
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState("");
  const view = decodeDashboardView(props.search);
  const from = view.from ?? dash?.time?.from ?? "now-1h";
  const to = view.to ?? dash?.time?.to ?? "now";
  const refresh = view.refresh ?? dash?.refresh ?? "";
  const [tick, setTick] = useState(0);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    document.title = dash ? `${dash.title} · Relay Monitor` : "Relay Monitor";
  }, [dash]);

  useEffect(() => {
    setDash(undefined);
    loadDashboard(props.uid).then(
      (d) => setDash(d ?? null),
      (e: Error) => setError(e.message),
    );
  }, [props.uid]);

  useEffect(() => {
    const ms = parseDuration(refresh);
    if (!ms || ms < 1000) return;
    const id = setInterval(() => {
      setNow(Date.now());
      setTick((t) => t + 1);
    }, ms);
    return () => clearInterval(id);
  }, [refresh]);

  const setView = useCallback(
    (patch: Partial<typeof view>) => {
      const next = { ...view, ...patch };
      navigate(`${location.pathname}?${encodeDashboardView(next)}`, true);
    },
    [view],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: now changes on refresh
  const range = useMemo(() => resolveRange(from, to, now), [from, to, now, tick]);
  const variables = dash?.variables ?? [];
  const selected: Record<string, string[]> = {};
  for (const v of variables) {
    selected[v.name] = view.vars[v.name] ?? v.current ?? (v.includeAll ? [ALL] : []);
  }
  const options = useVariableOptions(variables, selected, range);
  for (const v of variables) {
    const opts = options[v.name];
    if (selected[v.name]!.length === 0 && opts && opts.length > 0) selected[v.name] = [opts[0]!];
  }
  const selKey = JSON.stringify(selected);
  // biome-ignore lint/correctness/useExhaustiveDependencies: selKey captures selected
  const vars = useMemo(() => selected, [selKey]);
  const rawKey = variables
    .filter((v) => !v.multi && !v.includeAll)
    .map((v) => v.name)
    .join(",");
  const rawVars = useMemo(() => new Set(rawKey.split(",").filter((x) => x !== "")), [rawKey]);
  const ctx: PanelContext = useMemo(
    () => ({
      range,
      vars,
      rawVars,
      refreshTick: tick,
      onZoom: (s: number, e: number) => setView({ from: String(Math.round(s)), to: String(Math.round(e)) }),
    }),
    [range, vars, rawVars, tick, setView],
  );

  if (error) return <ErrorNotice error={error} />;
  if (dash === undefined) return <p className="muted">Loading dashboard…</p>;
  if (dash === null)
    return <ErrorNotice error={`No dashboard with uid "${props.uid}". See the list of dashboards.`} />;

  return (
    <div>
      <div className="dash-toolbar">
        <h1>{dash.title}</h1>
        {dash.builtin && <span className="badge info muted">built-in</span>}
        <span className="spacer" />
        <label>
          <span className="muted">Range </span>
          <select
            aria-label="Time range"
            value={QUICK_RANGES.some((q) => q.from === from) && to === "now" ? from : "custom"}
            onChange={(e) => setView({ from: e.target.value, to: "now" })}
          >
            {QUICK_RANGES.map((q) => (
              <option key={q.from} value={q.from}>
                {q.label}
              </option>
            ))}
            <option value="custom" disabled>
              Custom range
            </option>
          </select>
        </label>
        <label>
          <span className="muted">Refresh </span>
          <select
            aria-label="Auto-refresh"
            value={refresh}
            onChange={(e) => setView({ refresh: e.target.value })}
          >
            {REFRESH_INTERVALS.map((r) => (
              <option key={r} value={r}>
                {r === "" ? "Off" : r}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => {
            setNow(Date.now());
            setTick((t) => t + 1);
          }}
          title="Refresh now"
        >
          Refresh
        </button>
        <button
          type="button"
          onClick={async () => {
            const { toGrafana } = await import("../lib/grafana.js");
            downloadJson(`${dash.uid}.grafana.json`, toGrafana(dash));
          }}
        >
          Export (Grafana)
        </button>
        <button type="button" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
          {editing ? "Close editor" : "Edit JSON"}
        </button>
      </div>
      {notice && (
        <div className="notice" role="status">
          {notice}
        </div>
      )}
      {variables.some((v) => !v.hide) && (
        <div className="vars">
          {variables
            .filter((v) => !v.hide)
            .map((v) => (
              <label key={v.name}>
                {v.label ?? v.name}
                <select
                  aria-label={v.label ?? v.name}
                  multiple={v.multi}
                  value={v.multi ? selected[v.name] : (selected[v.name]?.[0] ?? "")}
                  onChange={(e) =>
                    setView({
                      vars: {
                        ...view.vars,
                        [v.name]: [...e.target.selectedOptions].map((o) => o.value),
                      },
                    })
                  }
                >
                  {v.includeAll && <option value={ALL}>All</option>}
                  {(options[v.name] ?? []).map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              </label>
            ))}
        </div>
      )}
      {editing && (
        <DashboardEditor
          dash={dash}
          onSave={async (d) => {
            await saveDashboard(d);
            setNotice(`Saved "${d.title}".`);
            setEditing(false);
            if (d.uid !== dash.uid) navigate(`/d/${encodeURIComponent(d.uid)}`);
            else setDash({ ...d, builtin: false });
          }}
        />
      )}
      <div className="grid" data-testid="dashboard-grid">
        {dash.panels.map((p) => (
          <PanelView key={p.id} panel={p} ctx={ctx} />
        ))}
      </div>
    </div>
  );
}

function DashboardEditor(props: { dash: Dashboard; onSave: (d: Dashboard) => Promise<void> }): ReactNode {
  const initial = useMemo(() => {
    const { builtin, ...rest } = props.dash;
    return JSON.stringify(
      builtin ? { ...rest, uid: `${rest.uid}-copy`, title: `${rest.title} (copy)` } : rest,
      null,
      2,
    );
  }, [props.dash]);
  const [text, setText] = useState(initial);
  const [err, setErr] = useState("");
  return (
    <div className="card" style={{ marginBottom: 10 }}>
      <p className="muted">
        The dashboard as JSON (model documented in src/ui/dashboards/model.ts).
        {props.dash.builtin ? " Built-in dashboards are read-only; saving creates a copy." : ""}
      </p>
      <textarea
        className="json"
        aria-label="Dashboard JSON"
        value={text}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
      />
      {err && <ErrorNotice error={err} />}
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={async () => {
            try {
              const d = validateDashboard(JSON.parse(text));
              await props.onSave(d);
            } catch (e) {
              setErr((e as Error).message);
            }
          }}
        >
          Save
        </button>
      </div>
    </div>
  );
}
