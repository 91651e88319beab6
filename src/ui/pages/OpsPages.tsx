import { type ReactNode, useState } from "react";
import { alertHistory, alerts, heldAlerts, silencedBy } from "../api/alerts.js";
import { isNotAvailable } from "../api/client.js";
import { rules } from "../api/rules.js";
import { createSilence, expireSilence, type SilenceMatcher, silences } from "../api/silences.js";
import { targets } from "../api/targets.js";
import { ApiView, ago, ErrorNotice, Labels, NotAvailable, useApi } from "../components/common.js";
import { Link, navigate } from "../components/nav.js";
import { encodeExplorer } from "../lib/urlState.js";

/** Targets grouped by scrape pool with health, last scrape and errors. */
export function TargetsPage(): ReactNode {
  const [v, reload] = useApi(targets, []);
  return (
    <div>
      <div className="row">
        <h1>Targets</h1>
        <span className="spacer" />
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <ApiView value={v} what="Targets">
        {(d) => {
          const pools = new Map<string, typeof d.activeTargets>();
          for (const t of d.activeTargets) pools.set(t.scrapePool, [...(pools.get(t.scrapePool) ?? []), t]);
          if (pools.size === 0) return <p className="muted">No targets.</p>;
          return [...pools].map(([pool, ts]) => (
            <section key={pool} className="card" style={{ marginBottom: 10 }}>
              <h2 style={{ marginTop: 0 }}>
                {pool}{" "}
                <span className="muted">
                  ({ts.filter((t) => t.health === "up").length}/{ts.length} up)
                </span>
              </h2>
              <div className="scroll-x">
                <table className="data">
                  <thead>
                    <tr>
                      <th>Endpoint</th>
                      <th>State</th>
                      <th>Labels</th>
                      <th>Last scrape</th>
                      <th className="num">Duration</th>
                      <th>Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {ts.map((t) => (
                      <tr key={t.scrapeUrl}>
                        <td>
                          <a href={t.scrapeUrl}>{t.scrapeUrl}</a>
                        </td>
                        <td>
                          <span className={`badge ${t.health}`}>{t.health.toUpperCase()}</span>
                        </td>
                        <td>
                          <Labels labels={t.labels} />
                        </td>
                        <td>{ago(t.lastScrape)}</td>
                        <td className="num">{(t.lastScrapeDuration * 1000).toFixed(1)} ms</td>
                        <td>{t.lastError}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ));
        }}
      </ApiView>
    </div>
  );
}

/** Rule groups with their rules' health and state. */
export function RulesPage(): ReactNode {
  const [v] = useApi(rules, []);
  return (
    <div>
      <h1>Rules</h1>
      <ApiView value={v} what="Rules">
        {(d) =>
          d.groups.length === 0 ? (
            <p className="muted">No rule groups are loaded.</p>
          ) : (
            d.groups.map((g) => (
              <section key={`${g.file}/${g.name}`} className="card" style={{ marginBottom: 10 }}>
                <h2 style={{ marginTop: 0 }}>
                  {g.name}{" "}
                  <span className="muted">
                    {g.file} · every {g.interval}s
                  </span>
                </h2>
                <table className="data">
                  <tbody>
                    {g.rules.map((r) => (
                      <tr key={r.name + r.query}>
                        <td>
                          <strong>
                            {r.type === "alerting" ? "alert" : "record"}: {r.name}
                          </strong>
                          <div>
                            <Link
                              href={`/explore?${encodeExplorer({ expr: r.query, tab: "graph", range: "1h", end: "", step: "" })}`}
                            >
                              <code>{r.query}</code>
                            </Link>
                          </div>
                          {r.labels && <Labels labels={r.labels} />}
                        </td>
                        <td>
                          <span className={`badge ${r.health}`}>{r.health}</span>{" "}
                          {r.state && <span className={`badge ${r.state}`}>{r.state}</span>}
                          {r.lastError && <div className="muted">{r.lastError}</div>}
                        </td>
                        <td className="num">{ago(r.lastEvaluation)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            ))
          )
        }
      </ApiView>
    </div>
  );
}

function silenceUrl(labels: Record<string, string>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(labels))
    if (k !== "__name__" && k !== "alertstate") p.append("matcher", `${k}=${v}`);
  return `/silences?${p}`;
}

/** How long an alert has been active: `for 16s`, or `ago`'s words when it cannot say. */
function activeFor(activeAt: string | undefined): string {
  const a = ago(activeAt);
  return a.endsWith(" ago") ? `for ${a.slice(0, -4)}` : a;
}

/**
 * Firing and pending alerts, each with a link to silence it or, when silences mute it, to them; and
 * their history when the server keeps it.
 */
export function AlertsPage(): ReactNode {
  const [v, reloadAlerts] = useApi(alerts, []);
  const [held, reloadHeld] = useApi(heldAlerts, []);
  const [h] = useApi(alertHistory, []);
  const reload = () => {
    reloadAlerts();
    reloadHeld();
  };
  const mutedBy = (labels: Record<string, string>): string[] =>
    held.state === "done" && held.result.ok ? silencedBy(labels, held.result.data) : [];
  return (
    <div>
      <div className="row">
        <h1>Alerts</h1>
        <span className="spacer" />
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      <ApiView value={v} what="Alerts">
        {(d) => (
          <>
            {(["firing", "pending"] as const).map((state) => {
              const list = d.alerts.filter((a) => a.state === state);
              return (
                <section
                  key={state}
                  className="card"
                  style={{ marginBottom: 10 }}
                  aria-label={`${state} alerts`}
                >
                  <h2 style={{ marginTop: 0 }}>
                    <span className={`badge ${state}`}>{state}</span> {list.length}
                  </h2>
                  {list.length === 0 ? (
                    <p className="muted">None.</p>
                  ) : (
                    <table className="data">
                      <tbody>
                        {list.map((a) => {
                          const muted = mutedBy(a.labels);
                          return (
                            <tr key={JSON.stringify(a.labels)} data-silenced={muted.length > 0}>
                              <td>
                                <strong>{a.labels.alertname}</strong>{" "}
                                <Labels labels={a.labels} skip={["alertname"]} />
                                {a.annotations.summary && <div>{a.annotations.summary}</div>}
                              </td>
                              <td className="num">{activeFor(a.activeAt)}</td>
                              <td className="num" title={a.value}>
                                {Number(a.value)}
                              </td>
                              <td>
                                {muted.length > 0 ? (
                                  <Link href="/silences">
                                    <span className="badge suppressed">silenced</span>
                                  </Link>
                                ) : (
                                  <Link href={silenceUrl(a.labels)}>Silence</Link>
                                )}
                              </td>
                            </tr>
                          );
                        })}
                      </tbody>
                    </table>
                  )}
                </section>
              );
            })}
          </>
        )}
      </ApiView>
      <h2>History</h2>
      {h.state === "done" && isNotAvailable(h.result) ? (
        <NotAvailable what="Alert history" />
      ) : (
        <ApiView value={h} what="Alert history">
          {(list) => (
            <table className="data">
              <tbody>
                {list.slice(0, 200).map((e) => (
                  <tr key={`${e.time}\u0000${JSON.stringify(e.labels)}\u0000${e.state}`}>
                    <td>{new Date(e.time).toLocaleString()}</td>
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
          )}
        </ApiView>
      )}
    </div>
  );
}

/** Parses `name=value`, `name!=value`, `name=~re`, `name!~re` into an Alertmanager matcher. */
export function parseMatcher(s: string): SilenceMatcher | undefined {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(s);
  if (!m) return undefined;
  const op = m[2]!;
  return { name: m[1]!, value: m[3]!, isRegex: op.includes("~"), isEqual: !op.startsWith("!") };
}

/** Silences: list, create (prefilled from an alert's labels) and expire. */
export function SilencesPage(props: { search: string }): ReactNode {
  const [v, reload] = useApi(silences, []);
  const prefill = new URLSearchParams(props.search).getAll("matcher");
  const [matchers, setMatchers] = useState(prefill.join("\n"));
  const [hours, setHours] = useState("2");
  const [author, setAuthor] = useState(() => localStorage.getItem("relay.silenceAuthor") ?? "");
  const [comment, setComment] = useState("");
  const [error, setError] = useState("");
  const [created, setCreated] = useState("");

  if (v.state === "done" && isNotAvailable(v.result)) {
    return (
      <div>
        <h1>Silences</h1>
        <NotAvailable what="Silences (Alertmanager API v2)" />
      </div>
    );
  }

  const submit = async () => {
    setError("");
    const ms = matchers
      .split(/\n|,(?![^"]*"\s*$)/)
      .map((x) => x.trim())
      .filter((x) => x !== "");
    const parsed = ms.map(parseMatcher);
    const bad = ms.find((_, i) => !parsed[i]);
    if (ms.length === 0 || bad !== undefined) {
      setError(
        bad
          ? `Cannot read matcher ${JSON.stringify(bad)}; write name=value, name!=value, name=~regex or name!~regex.`
          : "Add at least one matcher.",
      );
      return;
    }
    const h = Number(hours);
    if (!(h > 0)) {
      setError("Duration must be a positive number of hours.");
      return;
    }
    const now = new Date();
    localStorage.setItem("relay.silenceAuthor", author);
    const r = await createSilence({
      matchers: parsed as SilenceMatcher[],
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + h * 3_600_000).toISOString(),
      createdBy: author || "relay-monitor-ui",
      comment: comment || "silenced from the web UI",
    });
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setCreated(r.data.silenceID);
    setMatchers("");
    setComment("");
    navigate("/silences", true);
    reload();
  };

  return (
    <div>
      <h1>Silences</h1>
      <section className="card" style={{ marginBottom: 12 }}>
        <h2 style={{ marginTop: 0 }}>New silence</h2>
        <form
          className="grid-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <label htmlFor="sil-matchers">Matchers (one per line)</label>
          <textarea
            id="sil-matchers"
            rows={3}
            value={matchers}
            onChange={(e) => setMatchers(e.target.value)}
            placeholder="alertname=HighLatency"
          />
          <label htmlFor="sil-hours">Duration (hours)</label>
          <input
            id="sil-hours"
            value={hours}
            onChange={(e) => setHours(e.target.value)}
            inputMode="decimal"
          />
          <label htmlFor="sil-author">Created by</label>
          <input id="sil-author" value={author} onChange={(e) => setAuthor(e.target.value)} />
          <label htmlFor="sil-comment">Comment</label>
          <input id="sil-comment" value={comment} onChange={(e) => setComment(e.target.value)} />
          <span />
          <div className="row">
            <button type="submit" className="primary">
              Create silence
            </button>
            {created && <span role="status">Created silence {created}.</span>}
          </div>
        </form>
        {error && <ErrorNotice error={error} />}
      </section>
      <ApiView value={v} what="Silences">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No silences.</p>
          ) : (
            <table className="data" data-testid="silences">
              <thead>
                <tr>
                  <th>State</th>
                  <th>Matchers</th>
                  <th>Ends</th>
                  <th>Created by</th>
                  <th>Comment</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {[...list]
                  .sort((a, b) =>
                    a.status.state === b.status.state
                      ? b.endsAt.localeCompare(a.endsAt)
                      : a.status.state === "expired"
                        ? 1
                        : -1,
                  )
                  .map((s) => (
                    <tr key={s.id} data-silence-id={s.id} data-state={s.status.state}>
                      <td>
                        <span className={`badge ${s.status.state}`}>{s.status.state}</span>
                      </td>
                      <td className="labels">
                        {s.matchers.map((m) => (
                          <code key={m.name + m.value}>
                            {m.name}
                            {m.isEqual === false ? "!" : ""}
                            {m.isRegex ? "=~" : "="}"{m.value}"
                          </code>
                        ))}
                      </td>
                      <td>{new Date(s.endsAt).toLocaleString()}</td>
                      <td>{s.createdBy}</td>
                      <td>{s.comment}</td>
                      <td>
                        {s.status.state !== "expired" && (
                          <button
                            type="button"
                            onClick={async () => {
                              const r = await expireSilence(s.id);
                              if (!r.ok) setError(r.error);
                              reload();
                            }}
                          >
                            Expire
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      </ApiView>
    </div>
  );
}
