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

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
const dur = (ms: number) =>
  ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)} d` : `${(ms / 3600_000).toFixed(1)} h`;
const labelText = (l: Record<string, string>) =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "(all)";

/**
 * An inline SVG line chart of a forecast: the band between `lower` and `upper`, the forecast
 * line, and the threshold as a dashed line. No external assets.
 */
export function forecastSvg(
  points: readonly number[],
  lower: readonly number[],
  upper: readonly number[],
  threshold: number,
): string {
  const w = 360;
  const h = 90;
  const n = points.length;
  if (n < 2) return "";
  let lo = threshold;
  let hi = threshold;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, lower[i]!);
    hi = Math.max(hi, upper[i]!);
  }
  const span = hi - lo || 1;
  const xAt = (i: number) => ((i / (n - 1)) * w).toFixed(1);
  const yAt = (v: number) => (h - ((v - lo) / span) * h).toFixed(1);
  const line = points.map((v, i) => `${xAt(i)},${yAt(v)}`).join(" ");
  const band = [
    ...upper.map((v, i) => `${xAt(i)},${yAt(v)}`),
    ...lower.map((v, i) => `${xAt(i)},${yAt(v)}`).reverse(),
  ].join(" ");
  const ty = yAt(threshold);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"><polygon points="${band}" fill="#9ecae1" fill-opacity="0.5"/><polyline points="${line}" fill="none" stroke="#08519c" stroke-width="1.5"/><line x1="0" x2="${w}" y1="${ty}" y2="${ty}" stroke="#cb181d" stroke-dasharray="4 3"/></svg>`;
}

interface Section {
  title: string;
  head: string[];
  rows: string[][];
  /** Per row, an optional inline SVG (HTML only). */
  charts?: string[];
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
        formatValue(x.current),
        formatValue(x.peak),
        String(x.threshold),
        x.timeToFirstBreachMs === null ? "—" : dur(x.timeToFirstBreachMs),
        `${x.forecast.model} (${formatValue(x.accuracy.mape)} %)`,
        x.recommendations.map((y) => y.description).join("; ") || "—",
      ]),
      charts: c.resources.map((x) =>
        forecastSvg(x.forecast.points, x.forecast.lower, x.forecast.upper, x.threshold),
      ),
    });
  }
  if (r.anomalies) {
    out.push({
      title: "Anomalies",
      head: ["Series", "Where", "Start", "End", "Peak", "Expected", "Score"],
      rows: r.anomalies.anomalies.map((a) => [
        a.series,
        labelText(a.labels),
        iso(a.start),
        iso(a.end),
        formatValue(a.peak.value),
        `${formatValue(a.expected.lower)} – ${formatValue(a.expected.upper)}`,
        formatValue(a.score),
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
        e.pearson.toFixed(2),
        e.spearman.toFixed(2),
        dur(e.bestLagMs),
        e.pValue.toExponential(1),
      ]),
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
      return `<section><h2>${esc(s.title)}</h2>${s.note ? `<p>${esc(s.note)}</p>` : ""}${s.rows.length > 0 ? `<table>${head}${rows}</table>` : ""}</section>`;
    })
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}
