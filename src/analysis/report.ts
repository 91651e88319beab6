import type { PerformanceReport } from "./analyzer.js";
import { formatValue } from "./analyzer.js";
import type { CapacityReport } from "./capacity.js";
import type { RankingReport } from "./correlation.js";
import type { AnomalyReport } from "./detector.js";

/** The results a report presents; any part may be missing. */
export interface ReportInput {
  from: number;
  to: number;
  format: "html" | "md" | "json";
  title?: string;
  performance?: PerformanceReport;
  capacity?: CapacityReport;
  anomalies?: AnomalyReport;
  correlations?: RankingReport;
}

/** A number as the report shows it; JSON turns NaN into null, which shows as a dash. */
const num = (v: number | null | undefined) =>
  typeof v === "number" && Number.isFinite(v) ? formatValue(v) : "—";
const fixed = (v: number | null | undefined, d: number) =>
  typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "—";
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
const dur = (ms: number) =>
  Math.abs(ms) >= 86_400_000
    ? `${(ms / 86_400_000).toFixed(1)} d`
    : Math.abs(ms) >= 3600_000
      ? `${(ms / 3600_000).toFixed(1)} h`
      : `${Math.round(ms / 60_000)} min`;
const labelText = (l: Record<string, string>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "(all)";

/** Optional parts of a forecast chart. */
export interface ForecastChartOptions {
  /** Timestamps of the points, to place breach lines. */
  timestamps?: readonly number[];
  /** Start of the first forecast breach: drawn as a vertical line. */
  breachAt?: number | null;
}

/**
 * An inline SVG line chart of a forecast: the band between `lower` and `upper`, the forecast
 * line, the threshold as a dashed red line and, when given, the first breach as a vertical line.
 * No external assets.
 */
export function forecastSvg(
  points: readonly number[],
  lower: readonly number[],
  upper: readonly number[],
  threshold: number,
  opts: ForecastChartOptions = {},
): string {
  const w = 360;
  const h = 90;
  const n = points.length;
  if (n < 2) return "";
  const fin = (v: number | null | undefined, d: number) =>
    typeof v === "number" && Number.isFinite(v) ? v : d;
  let lo = threshold;
  let hi = threshold;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, fin(lower[i], fin(points[i], lo)));
    hi = Math.max(hi, fin(upper[i], fin(points[i], hi)));
  }
  const span = hi - lo || 1;
  const xAt = (i: number) => ((i / (n - 1)) * w).toFixed(1);
  const yAt = (v: number) => (h - ((v - lo) / span) * h).toFixed(1);
  const line = points.map((v, i) => `${xAt(i)},${yAt(fin(v, lo))}`).join(" ");
  const band = [
    ...upper.map((v, i) => `${xAt(i)},${yAt(fin(v, fin(points[i], lo)))}`),
    ...lower.map((v, i) => `${xAt(i)},${yAt(fin(v, fin(points[i], lo)))}`).reverse(),
  ].join(" ");
  const ty = yAt(threshold);
  let breach = "";
  const ts = opts.timestamps;
  if (opts.breachAt != null && ts && ts.length === n && ts[n - 1]! > ts[0]!) {
    const bx = (((opts.breachAt - ts[0]!) / (ts[n - 1]! - ts[0]!)) * w).toFixed(1);
    breach = `<line class="breach" x1="${bx}" x2="${bx}" y1="0" y2="${h}" stroke="#cb181d" stroke-width="1.5"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"><polygon points="${band}" fill="#9ecae1" fill-opacity="0.5"/><polyline points="${line}" fill="none" stroke="#08519c" stroke-width="1.5"/><line x1="0" x2="${w}" y1="${ty}" y2="${ty}" stroke="#cb181d" stroke-dasharray="4 3"/>${breach}</svg>`;
}

/** A horizontal gauge of a 0–100 score: green from 80, amber from 50, red below. */
export function scoreSvg(score: number): string {
  const w = 240;
  const v = Math.max(0, Math.min(100, Number.isFinite(score) ? score : 0));
  const colour = v >= 80 ? "#1a9850" : v >= 50 ? "#fdae61" : "#d73027";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w + 60}" height="24" viewBox="0 0 ${w + 60} 24" role="img" aria-label="score ${v}"><rect x="0" y="4" width="${w}" height="16" fill="#eee"/><rect x="0" y="4" width="${((v / 100) * w).toFixed(1)}" height="16" fill="${colour}"/><text x="${w + 8}" y="17" font-size="13">${v}/100</text></svg>`;
}

/** A timeline of anomaly episodes over [from, to]: one row per watched series, a bar per episode. */
export function anomalySvg(
  anomalies: readonly { series: string; start: number; end: number; score: number }[],
  from: number,
  to: number,
  step = 0,
): string {
  const names = [...new Set(anomalies.map((a) => a.series))].sort();
  if (names.length === 0 || !(to > from)) return "";
  const left = 150;
  const w = 520;
  const row = 18;
  const h = names.length * row + 18;
  const xAt = (t: number) => left + Math.max(0, Math.min(1, (t - from) / (to - from))) * w;
  const rows = names
    .map(
      (n, i) =>
        `<text x="${left - 6}" y="${i * row + 13}" font-size="11" text-anchor="end">${esc(n)}</text><line x1="${left}" x2="${left + w}" y1="${i * row + 9}" y2="${i * row + 9}" stroke="#ddd"/>`,
    )
    .join("");
  const bars = anomalies
    .map((a) => {
      const i = names.indexOf(a.series);
      const x0 = xAt(a.start);
      const x1 = Math.max(x0 + 2, xAt(a.end + step));
      return `<rect class="episode" x="${x0.toFixed(1)}" y="${i * row + 3}" width="${(x1 - x0).toFixed(1)}" height="12" fill="${a.score >= 0 ? "#d73027" : "#4575b4"}"><title>${esc(`${a.series} ${iso(a.start)} – ${iso(a.end)} score ${fixed(a.score, 1)}`)}</title></rect>`;
    })
    .join("");
  const axis = `<text x="${left}" y="${h - 3}" font-size="10">${iso(from)}</text><text x="${left + w}" y="${h - 3}" font-size="10" text-anchor="end">${iso(to)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + w + 10}" height="${h}" viewBox="0 0 ${left + w + 10} ${h}" role="img">${rows}${bars}${axis}</svg>`;
}

/** A bar chart of correlations (−1…1) by name, bars to the right for positive values. */
export function correlationSvg(entries: readonly { name: string; pearson: number }[]): string {
  if (entries.length === 0) return "";
  const left = 170;
  const half = 150;
  const row = 18;
  const h = entries.length * row + 4;
  const mid = left + half;
  const bars = entries
    .map((e, i) => {
      const v = Number.isFinite(e.pearson) ? Math.max(-1, Math.min(1, e.pearson)) : 0;
      const x = v >= 0 ? mid : mid + v * half;
      return `<text x="${left - 6}" y="${i * row + 13}" font-size="11" text-anchor="end">${esc(e.name)}</text><rect x="${x.toFixed(1)}" y="${i * row + 3}" width="${Math.abs(v * half).toFixed(1)}" height="12" fill="${v >= 0 ? "#d73027" : "#4575b4"}"/><text x="${mid + half + 6}" y="${i * row + 13}" font-size="11">${fixed(e.pearson, 2)}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + 2 * half + 50}" height="${h}" viewBox="0 0 ${left + 2 * half + 50} ${h}" role="img"><line x1="${mid}" x2="${mid}" y1="0" y2="${h}" stroke="#888"/>${bars}</svg>`;
}

interface Section {
  title: string;
  head: string[];
  rows: string[][];
  /** Per row, an optional inline SVG (HTML only). */
  charts?: string[];
  /** One inline SVG above the table (HTML only). */
  figure?: string;
  note?: string;
}

function sections(r: ReportInput): Section[] {
  const out: Section[] = [];
  if (r.performance) {
    const p = r.performance;
    out.push({
      title: `Performance (score ${p.score}/100)`,
      head: ["Severity", "Type", "Finding", "Recommendation"],
      rows: p.findings.map((f) => [f.severity, f.type, f.description, f.recommendation]),
      figure: scoreSvg(p.score),
      note: p.findings.length === 0 ? "No findings." : undefined,
    });
  }
  if (r.capacity) {
    const c = r.capacity;
    out.push({
      title: `Capacity (horizon ${dur(c.horizonMs)})`,
      head: [
        "Resource",
        "Where",
        "Current %",
        "Peak %",
        "Threshold %",
        "First breach in",
        "Model (MAPE)",
        "Recommendation",
      ],
      rows: c.resources.map((x) => [
        x.resource,
        labelText(x.labels),
        num(x.current),
        num(x.peak),
        String(x.threshold),
        x.timeToFirstBreachMs == null ? "—" : dur(x.timeToFirstBreachMs),
        `${x.forecast.model} (${num(x.accuracy.mape)} %)`,
        x.recommendations.map((y) => y.description).join("; ") || "—",
      ]),
      charts: c.resources.map((x) =>
        forecastSvg(x.forecast.points, x.forecast.lower, x.forecast.upper, x.threshold, {
          timestamps: x.forecast.timestamps,
          breachAt: x.breaches[0]?.start,
        }),
      ),
      note: c.resources.length === 0 ? "No resources with enough history." : undefined,
    });
  }
  if (r.anomalies) {
    const an = r.anomalies;
    out.push({
      title: "Anomalies",
      figure: anomalySvg(an.anomalies, an.range?.from ?? r.from, an.range?.to ?? r.to, an.range?.step),
      head: ["Series", "Where", "Start", "End", "Peak", "Expected", "Score"],
      rows: r.anomalies.anomalies.map((a) => [
        a.series,
        labelText(a.labels),
        iso(a.start),
        iso(a.end),
        num(a.peak.value),
        `${num(a.expected.lower)} – ${num(a.expected.upper)}`,
        num(a.score),
      ]),
      note: r.anomalies.anomalies.length === 0 ? "No anomalies." : undefined,
    });
  }
  if (r.correlations) {
    const c = r.correlations;
    out.push({
      title: `Technical series most associated with ${c.community.expr}`,
      head: ["Series", "Where", "Pearson", "Spearman", "Best lag", "p-value"],
      rows: c.ranking.map((e) => [
        e.name,
        labelText(e.technical.labels),
        fixed(e.pearson, 2),
        fixed(e.spearman, 2),
        dur(e.bestLagMs),
        typeof e.pValue === "number" && Number.isFinite(e.pValue) ? e.pValue.toExponential(1) : "—",
      ]),
      figure: correlationSvg(c.ranking),
      note: c.ranking.length === 0 ? "No technical series with enough data." : undefined,
    });
  }
  return out;
}

/**
 * Renders the analysis results of one range as a self-contained document: HTML with inline CSS
 * and SVG charts (no external assets), Markdown, or JSON (the inputs as they are). Pure.
 * @example renderReport({ from, to, format: "md", performance })
 */
export function renderReport(r: ReportInput): string {
  const title = r.title ?? `Relay Monitor report ${iso(r.from)} – ${iso(r.to)}`;
  if (r.format === "json") {
    const { format: _f, ...rest } = r;
    return JSON.stringify({ title, ...rest }, null, 2);
  }
  const secs = sections(r);
  if (r.format === "md") {
    const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
    const parts = [`# ${title}`, ""];
    for (const s of secs) {
      parts.push(`## ${s.title}`, "");
      if (s.note) parts.push(s.note, "");
      if (s.rows.length > 0) {
        parts.push(`| ${s.head.join(" | ")} |`, `|${s.head.map(() => " --- |").join("")}`);
        for (const row of s.rows) parts.push(`| ${row.map(cell).join(" | ")} |`);
        parts.push("");
      }
    }
    return parts.join("\n");
  }
  const body = secs
    .map((s) => {
      const chartCol = s.charts !== undefined;
      const head = `<tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join("")}${chartCol ? "<th>Forecast</th>" : ""}</tr>`;
      const rows = s.rows
        .map(
          (row, i) =>
            `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join("")}${chartCol ? `<td>${s.charts![i] ?? ""}</td>` : ""}</tr>`,
        )
        .join("");
      return `<section><h2>${esc(s.title)}</h2>${s.figure ? `<figure>${s.figure}</figure>` : ""}${s.note ? `<p>${esc(s.note)}</p>` : ""}${s.rows.length > 0 ? `<table>${head}${rows}</table>` : ""}</section>`;
    })
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}
