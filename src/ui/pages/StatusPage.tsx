import type { ReactNode } from "react";
import { buildInfo, config, flags, runtimeInfo, tsdbStatus } from "../api/status.js";
import { ApiView, useApi } from "../components/common.js";

function KeyValues(props: { data: Readonly<Record<string, unknown>> }): ReactNode {
  return (
    <table className="data">
      <tbody>
        {Object.entries(props.data).map(([k, v]) => (
          <tr key={k}>
            <th style={{ position: "static" }}>{k}</th>
            <td>{String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NameValues(props: { title: string; rows: readonly { name: string; value: number }[] }): ReactNode {
  return (
    <section className="card">
      <h2 style={{ marginTop: 0 }}>{props.title}</h2>
      <table className="data">
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.name}>
              <td style={{ wordBreak: "break-all" }}>{r.name}</td>
              <td className="num">{r.value.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Build, runtime, flags, configuration and TSDB statistics with cardinality. */
export function StatusPage(): ReactNode {
  const [b] = useApi(buildInfo, []);
  const [r] = useApi(runtimeInfo, []);
  const [t] = useApi(() => tsdbStatus(10), []);
  const [f] = useApi(flags, []);
  const [c] = useApi(config, []);
  return (
    <div>
      <h1>Status</h1>
      <div className="cards" style={{ gridTemplateColumns: "repeat(auto-fill, minmax(360px, 1fr))" }}>
        <section className="card">
          <h2 style={{ marginTop: 0 }}>Build</h2>
          <ApiView value={b} what="Build information">
            {(d) => <KeyValues data={d as unknown as Record<string, unknown>} />}
          </ApiView>
        </section>
        <section className="card">
          <h2 style={{ marginTop: 0 }}>Runtime</h2>
          <ApiView value={r} what="Runtime information">
            {(d) => <KeyValues data={d} />}
          </ApiView>
        </section>
      </div>
      <h2>TSDB</h2>
      <ApiView value={t} what="TSDB status">
        {(d) => (
          <>
            <KeyValues
              data={{
                "Head series": d.headStats.numSeries.toLocaleString(),
                Chunks: d.headStats.chunkCount.toLocaleString(),
                "Label pairs": d.headStats.numLabelPairs?.toLocaleString() ?? "",
                "Min time": d.headStats.minTime ? new Date(d.headStats.minTime).toISOString() : "",
                "Max time": d.headStats.maxTime ? new Date(d.headStats.maxTime).toISOString() : "",
              }}
            />
            <div
              className="cards"
              style={{ gridTemplateColumns: "repeat(auto-fill, minmax(360px, 1fr))", marginTop: 10 }}
            >
              <NameValues title="Series count by metric name" rows={d.seriesCountByMetricName} />
              <NameValues title="Label value count by label name" rows={d.labelValueCountByLabelName} />
              <NameValues title="Memory by label name (bytes)" rows={d.memoryInBytesByLabelName} />
              <NameValues title="Series count by label pair" rows={d.seriesCountByLabelValuePair} />
            </div>
          </>
        )}
      </ApiView>
      <h2>Flags</h2>
      <ApiView value={f} what="Flags">
        {(d) => <KeyValues data={d} />}
      </ApiView>
      <h2>Configuration</h2>
      <ApiView value={c} what="Configuration">
        {(d) => <pre className="card scroll-x">{d.yaml}</pre>}
      </ApiView>
    </div>
  );
}
