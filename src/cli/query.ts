/** A sample in the Prometheus API's JSON. */
interface JsonSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

type QueryData =
  | { resultType: "vector"; result: JsonSample[] }
  | { resultType: "matrix"; result: JsonSample[] }
  | { resultType: "scalar" | "string"; result: [number, string] };

/** Formats a metric as Prometheus's model.Metric does: `name{a="b", c="d"}`. */
export function formatMetric(m: Record<string, string>): string {
  const name = m.__name__ ?? "";
  const rest = Object.keys(m)
    .filter((k) => k !== "__name__")
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`);
  if (rest.length === 0) return name === "" ? "{}" : name;
  return `${name}{${rest.join(", ")}}`;
}

/** Formats a timestamp in seconds as model.Time does: shortest decimal, `1700000000.123`. */
export function formatTime(sec: number): string {
  return String(Math.round(sec * 1000) / 1000);
}

/** Renders a query answer's `data` the way `promtool query` prints it (its "promql" format). */
export function formatQueryData(data: QueryData): string {
  switch (data.resultType) {
    case "vector":
      return data.result
        .map((s) => `${formatMetric(s.metric)} => ${s.value![1]} @[${formatTime(s.value![0])}]\n`)
        .join("");
    case "matrix":
      return data.result
        .map(
          (s) =>
            `${formatMetric(s.metric)} =>\n${s.values!.map(([t, v]) => `${v} @[${formatTime(t)}]`).join("\n")}\n`,
        )
        .join("");
    case "scalar":
      return `scalar: ${data.result[1]} @[${formatTime(data.result[0])}]\n`;
    case "string":
      return `string: ${data.result[1]} @[${formatTime(data.result[0])}]\n`;
  }
}

/**
 * Runs an instant query (or a range query when `start` is given) against a server's HTTP API and
 * renders the answer. Errors are rendered as `errorType: message`.
 */
export async function runQuery(
  expr: string,
  opts: { server?: string; time?: string; start?: string; end?: string; step?: string; format?: string },
): Promise<{ ok: boolean; text: string }> {
  const base = (opts.server ?? "http://127.0.0.1:9797").replace(/\/+$/, "");
  const form = new URLSearchParams({ query: expr });
  let path = "/api/v1/query";
  if (opts.start !== undefined) {
    path = "/api/v1/query_range";
    form.set("start", opts.start);
    form.set("end", opts.end ?? String(Date.now() / 1000));
    form.set("step", opts.step ?? "60");
  } else if (opts.time !== undefined) {
    form.set("time", opts.time);
  }
  let res: Response;
  try {
    res = await fetch(base + path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
  } catch (err) {
    return { ok: false, text: `error: cannot reach ${base}: ${(err as Error).message}\n` };
  }
  const body = (await res.json().catch(() => undefined)) as
    | { status: "success"; data: QueryData; warnings?: string[] }
    | { status: "error"; errorType: string; error: string }
    | undefined;
  if (!body) return { ok: false, text: `error: ${base}${path} answered ${res.status} without JSON\n` };
  if (body.status === "error") return { ok: false, text: `${body.errorType}: ${body.error}\n` };
  if (opts.format === "json") return { ok: true, text: `${JSON.stringify(body.data)}\n` };
  const warnings = (body.warnings ?? []).map((w) => `warning: ${w}\n`).join("");
  return { ok: true, text: warnings + formatQueryData(body.data) };
}
