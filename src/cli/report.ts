/**
 * `relay-monitor report` and `relay-monitor correlate`: clients of a running server's analysis API
 * (`/api/relay/v1/analysis/performance`, `capacity`, `anomalies`, `correlations`), so they work
 * against any Relay Monitor, local or remote.
 */
import { writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import type { AnomalyReport } from "../analysis/index.js";
import {
  type CapacityReport,
  type CorrelationReport,
  type PerformanceReport,
  type RankingReport,
  type ReportInput,
  renderReport,
} from "../analysis/index.js";
import { isDuration, parseDuration } from "../model/index.js";

/** Where a command writes: stdout for results, stderr for progress and warnings. */
export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** A command-line problem or a server's refusal, with the message to print. */
export class CliError extends Error {
  override name = "CliError";
}

/**
 * Parses a time argument to epoch ms: RFC 3339, Unix seconds, `now`, or `now-<duration>` (e.g.
 * `now-7d`). Throws a {@link CliError} naming the flag otherwise.
 * @example parseTimeArg("now-1h", "--from", Date.now())
 */
export function parseTimeArg(value: string, flag: string, now: number): number {
  const v = value.trim();
  if (v === "now") return now;
  const rel = /^now-(.+)$/.exec(v);
  if (rel && isDuration(rel[1]!)) return now - parseDuration(rel[1]!);
  if (/^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new CliError(
    `${flag}: expected RFC 3339 (2024-05-01T00:00:00Z), Unix seconds, now or now-<duration> (now-7d), got ${JSON.stringify(value)}`,
  );
}

/**
 * A progress bar on a stream: on a terminal one line redrawn in place, `[#####-----] 2/4 capacity`;
 * elsewhere (a pipe, a log) one plain line per step.
 */
export class ProgressBar {
  private readonly started = performance.now();
  private lastWidth = 0;

  constructor(
    private readonly total: number,
    private readonly stream: CliIO["stderr"],
    private readonly prefix = "report",
    private readonly width = 10,
  ) {}

  /** Shows that `done` of the steps are complete, the last being `label`. */
  update(done: number, label: string): void {
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    if (this.stream.isTTY) {
      const filled = Math.round((done / this.total) * this.width);
      const line = `[${"#".repeat(filled)}${"-".repeat(this.width - filled)}] ${done}/${this.total} ${label}`;
      this.stream.write(`\r${line.padEnd(this.lastWidth)}`);
      this.lastWidth = line.length;
    } else {
      this.stream.write(`${this.prefix}: ${done}/${this.total} ${label} (${secs} s)\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.stream.isTTY && this.lastWidth > 0) this.stream.write("\n");
  }
}

/** GETs a Relay API path and returns the envelope's `data`; errors name the path and the server's reason. */
export async function getApi<T>(server: string, path: string, params: Record<string, string>): Promise<T> {
  const base = server.replace(/\/+$/, "");
  const url = `${base}${path}?${new URLSearchParams(params)}`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new CliError(`cannot reach ${base}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as
    | { status: "success"; data: T }
    | { status: "error"; errorType: string; error: string }
    | undefined;
  if (!body) throw new CliError(`${path} answered ${res.status} without JSON`);
  if (body.status === "error") throw new CliError(`${path}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/** Options of `relay-monitor report`, as strings from the command line. */
export interface ReportOptions {
  server?: string;
  from?: string;
  to?: string;
  format?: string;
  output?: string;
  title?: string;
}

/**
 * Fetches the four analysis results for [from, to] from `server` (performance over the range,
 * capacity as of `to`, anomalies in the range, the ranking of technical series against the
 * configured community metric), showing progress on stderr, and renders them. A part the server
 * refuses is left out with a warning; when every part fails the command fails.
 */
export async function buildReport(
  opts: ReportOptions,
  io: CliIO = processIO,
  now = Date.now(),
): Promise<{ text: string; input: ReportInput; warnings: string[] }> {
  const server = opts.server ?? "http://127.0.0.1:9797";
  const format = opts.format ?? "html";
  if (format !== "html" && format !== "md" && format !== "json")
    throw new CliError(`--format: expected html, md or json, got ${JSON.stringify(format)}`);
  const to = parseTimeArg(opts.to ?? "now", "--to", now);
  const from = parseTimeArg(opts.from ?? "now-1d", "--from", now);
  if (!(from < to)) throw new CliError("--from must be before --to");
  const range = { from: String(from / 1000), to: String(to / 1000) };
  const input: ReportInput = { from, to, format, title: opts.title };
  const steps: [string, () => Promise<void>][] = [
    [
      "performance",
      async () => {
        input.performance = await getApi<PerformanceReport>(
          server,
          "/api/relay/v1/analysis/performance",
          range,
        );
      },
    ],
    [
      "capacity",
      async () => {
        input.capacity = await getApi<CapacityReport>(server, "/api/relay/v1/capacity", { time: range.to });
      },
    ],
    [
      "anomalies",
      async () => {
        input.anomalies = await getApi<AnomalyReport>(server, "/api/relay/v1/anomalies", range);
      },
    ],
    [
      "correlations",
      async () => {
        input.correlations = await getApi<RankingReport>(server, "/api/relay/v1/correlations", range);
      },
    ],
  ];
  const bar = new ProgressBar(steps.length, io.stderr);
  const warnings: string[] = [];
  const failures: string[] = [];
  for (const [i, [name, run]] of steps.entries()) {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failures.push(err.message);
      warnings.push(`${name} left out: ${err.message}`);
    }
    bar.update(i + 1, name);
  }
  bar.finish();
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  if (failures.length === steps.length)
    throw new CliError(`no part of the report could be fetched: ${failures[0]}`);
  return { text: renderReport(input), input, warnings };
}

/** `relay-monitor report`: writes the report to `--output` or stdout. Returns the exit code. */
export async function runReport(opts: ReportOptions, io: CliIO = processIO): Promise<number> {
  try {
    const { text } = await buildReport(opts, io);
    if (opts.output) {
      await writeFile(opts.output, text);
      io.stderr.write(`report written to ${opts.output}\n`);
    } else io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
}

const labelsText = (expr: string, labels: Record<string, string>) => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? expr : `{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
};
const num = (v: number | null | undefined, d: number) =>
  typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "—";
const pval = (v: number | null | undefined) =>
  typeof v === "number" && Number.isFinite(v) ? v.toExponential(1) : "—";
const lag = (ms: number) => {
  const m = Math.round(ms / 60_000);
  return Math.abs(m) >= 120 && m % 60 === 0 ? `${m / 60}h` : `${m}m`;
};

/** Lays rows out as a plain-text table with a header and a rule, columns padded to fit. */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** A correlation answer as a table: one row per (technical, community) pair, strongest first. */
export function formatCorrelation(r: CorrelationReport): string {
  const head = ["TECHNICAL", "COMMUNITY", "PEARSON", "SPEARMAN", "BEST LAG", "P-VALUE", "CONFIDENCE", "N"];
  const rows = r.pairs.map((p) => [
    labelsText(p.technical.expr, p.technical.labels),
    labelsText(p.community.expr, p.community.labels),
    num(p.pearson, 2),
    num(p.spearman, 2),
    lag(p.bestLagMs),
    pval(p.pValue),
    num(p.confidence, 3),
    String(p.n),
  ]);
  const lines = [
    `Correlation ${new Date(r.range.from).toISOString()} – ${new Date(r.range.to).toISOString()}, step ${lag(r.range.step)}, lags up to ±${lag(r.maxLagMs)}${r.pairs[0]?.differenced ? ", changes (first differences)" : ""}`,
    "A positive lag means the community series follows the technical one.",
    "",
    rows.length > 0 ? formatTable(head, rows) : "No pair had enough overlapping, varying data.",
  ];
  for (const s of r.skipped)
    lines.push(
      `skipped: ${s.technical ? `${labelsText(s.technical.expr, s.technical.labels)} ~ ` : ""}${s.community ? `${labelsText(s.community.expr, s.community.labels)}: ` : ""}${s.reason}`,
    );
  return `${lines.join("\n")}\n`;
}

/** A ranking as a table: technical series by how strongly they move with the community metric. */
export function formatRanking(r: RankingReport): string {
  const head = ["RANK", "TECHNICAL", "WHERE", "PEARSON", "SPEARMAN", "BEST LAG", "P-VALUE", "STRENGTH"];
  const rows = r.ranking.map((e, i) => [
    String(i + 1),
    e.name,
    labelsText("(all)", e.technical.labels),
    num(e.pearson, 2),
    num(e.spearman, 2),
    lag(e.bestLagMs),
    pval(e.pValue),
    num(e.strength, 3),
  ]);
  const lines = [
    `Technical series most associated with ${labelsText(r.community.expr, r.community.labels)}`,
    `${new Date(r.range.from).toISOString()} – ${new Date(r.range.to).toISOString()}, step ${lag(r.range.step)}, lags up to ±${lag(r.maxLagMs)}`,
    "",
    rows.length > 0 ? formatTable(head, rows) : "No technical series had enough data.",
  ];
  for (const s of r.skipped) lines.push(`skipped: ${s.name}: ${s.reason}`);
  return `${lines.join("\n")}\n`;
}

/** Options of `relay-monitor correlate`, as strings from the command line. */
export interface CorrelateOptions {
  server?: string;
  technical?: string;
  community?: string;
  from?: string;
  to?: string;
  maxLag?: string;
  step?: string;
  format?: string;
}

/**
 * `relay-monitor correlate`: with `--technical` and `--community`, the lagged correlation of each
 * pair of their series; with `--community` alone (or neither: the configured metric), the ranking
 * of the configured technical series against it. Prints a table, or the API's JSON with `-o json`.
 * Returns the exit code.
 */
export async function runCorrelate(
  opts: CorrelateOptions,
  io: CliIO = processIO,
  now = Date.now(),
): Promise<number> {
  try {
    if (opts.technical !== undefined && opts.community === undefined)
      throw new CliError("--technical needs --community (or give --community alone for a ranking)");
    const format = opts.format ?? "table";
    if (format !== "table" && format !== "json")
      throw new CliError(`--format: expected table or json, got ${JSON.stringify(format)}`);
    const params: Record<string, string> = {};
    if (opts.to !== undefined) params.to = String(parseTimeArg(opts.to, "--to", now) / 1000);
    if (opts.from !== undefined) params.from = String(parseTimeArg(opts.from, "--from", now) / 1000);
    for (const [flag, v, key] of [
      ["--max-lag", opts.maxLag, "max_lag"],
      ["--step", opts.step, "step"],
    ] as const) {
      if (v === undefined) continue;
      if (!isDuration(v) && !/^\d+(\.\d+)?$/.test(v))
        throw new CliError(`${flag}: expected a duration like 6h or seconds, got ${JSON.stringify(v)}`);
      params[key] = v;
    }
    if (opts.technical !== undefined) params.technical = opts.technical;
    if (opts.community !== undefined) params.community = opts.community;
    const server = opts.server ?? "http://127.0.0.1:9797";
    if (opts.technical !== undefined) {
      const r = await getApi<CorrelationReport>(server, "/api/relay/v1/correlations", params);
      io.stdout.write(format === "json" ? `${JSON.stringify(r)}\n` : formatCorrelation(r));
    } else {
      const r = await getApi<RankingReport>(server, "/api/relay/v1/correlations", params);
      io.stdout.write(format === "json" ? `${JSON.stringify(r)}\n` : formatRanking(r));
    }
    return 0;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
}

/** Adds `report` and `correlate` to the command-line program. */
export function registerAnalysisCommands(program: Command): void {
  program
    .command("report")
    .description(
      "fetch the performance, capacity, anomaly and correlation analyses of a range from a running server and render a report",
    )
    .option("--server <url>", "server to ask", "http://127.0.0.1:9797")
    .option("--from <time>", "start: RFC 3339, Unix seconds, now or now-<duration>", "now-1d")
    .option("--to <time>", "end: RFC 3339, Unix seconds, now or now-<duration>", "now")
    .addOption(
      new Option("--format <format>", "output format").choices(["html", "md", "json"]).default("html"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .option("--title <text>", "title of the report")
    .action(async (opts: ReportOptions) => {
      process.exitCode = await runReport(opts);
    });
  program
    .command("correlate")
    .description(
      "correlate a technical with a community series on a running server (lagged Pearson and Spearman), or rank technical series against a community metric when only --community is given",
    )
    .option("--server <url>", "server to ask", "http://127.0.0.1:9797")
    .option("--technical <expr>", "PromQL of the technical side (needs --community)")
    .option(
      "--community <expr>",
      "PromQL of the community side (alone: rank the configured technical series)",
    )
    .option("--from <time>", "start (default: the configured window before --to)")
    .option("--to <time>", "end (default now)")
    .option("--max-lag <duration>", "largest lag searched both ways, e.g. 6h")
    .option("--step <duration>", "resolution both series are aligned to, e.g. 15m")
    .addOption(
      new Option("-o, --format <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .action(async (opts: CorrelateOptions) => {
      process.exitCode = await runCorrelate(opts);
    });
}
