import {
  isValidLabelName,
  isValidMetricName,
  METRIC_NAME,
  type MetricFamily,
  type MetricType,
} from "../../model/index.js";
import type { ExpositionFormat } from "./parser.js";

const TEXT_TYPE: Readonly<Record<MetricType, string>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  summary: "summary",
  gaugehistogram: "untyped",
  info: "untyped",
  stateset: "untyped",
  unknown: "untyped",
};

/** Escapes a label value (or OpenMetrics help text): backslash, double quote and newline. */
function escapeValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** Escapes text-format help text: backslash and newline only. */
function escapeTextHelp(v: string): string {
  if (!/[\\\n]/.test(v)) return v;
  return v.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/**
 * Formats a sample value as Prometheus prints it: `NaN`, `+Inf`, `-Inf`, `-0`, otherwise the
 * shortest decimal that reads back as the same float64 (JavaScript's notation, e.g. `1e+21`).
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  if (v === 0 && Object.is(v, -0)) return "-0";
  return String(v);
}

/** Formats integer milliseconds as exact decimal seconds (OpenMetrics timestamps). */
function formatSeconds(ms: number): string {
  const neg = ms < 0;
  const abs = Math.abs(Math.round(ms));
  const sec = Math.floor(abs / 1000);
  const frac = abs % 1000;
  let out = String(sec);
  if (frac !== 0) out += `.${String(frac).padStart(3, "0").replace(/0+$/, "")}`;
  return neg && abs !== 0 ? `-${out}` : out;
}

function writeName(name: string): string {
  return isValidMetricName(name) ? name : `"${escapeValue(name)}"`;
}

function writeSeries(name: string, labels: Readonly<Record<string, string>>): string {
  const legacy = isValidMetricName(name);
  let out = legacy ? name : `{"${escapeValue(name)}"`;
  let first = legacy;
  for (const k of Object.keys(labels)) {
    if (k === METRIC_NAME) continue;
    const ln = isValidLabelName(k) ? k : `"${escapeValue(k)}"`;
    out += `${first ? "{" : ","}${ln}="${escapeValue(labels[k]!)}"`;
    first = false;
  }
  if (!first || !legacy) out += "}";
  return out;
}

/** The name that metadata lines use for a family in the given format. */
function metadataName(f: MetricFamily, format: ExpositionFormat): string {
  const suffix = f.type === "counter" ? "_total" : f.type === "info" ? "_info" : "";
  if (suffix === "") return f.name;
  if (format === "openmetrics") {
    return f.name.endsWith(suffix) && f.name.length > suffix.length
      ? f.name.slice(0, -suffix.length)
      : f.name;
  }
  if (!f.name.endsWith(suffix) && f.samples.length > 0 && f.samples[0]!.name === f.name + suffix) {
    return f.name + suffix;
  }
  return f.name;
}

/**
 * Writes metric families as a text 0.0.4 or OpenMetrics 1.0 body (the latter ends in `# EOF`).
 * HELP lines appear only for non-empty help; UNIT lines only in OpenMetrics and only when the unit
 * is a suffix of the family name. In OpenMetrics, counter and info family names lose their
 * `_total`/`_info` suffix in metadata and bare sample names gain it; in text, OpenMetrics-only
 * types are written as `untyped`. Names that are not legacy-valid are written quoted, Prometheus 3
 * style. Families must have distinct names and their samples must belong to them; text-format
 * timestamps must be non-negative.
 * @example writeExposition([{ name: "up", help: "", type: "gauge", samples: [{ name: "up", labels: {}, value: 1 }] }], "text")
 */
export function writeExposition(families: readonly MetricFamily[], format: ExpositionFormat): string {
  const om = format === "openmetrics";
  const parts: string[] = [];
  for (const f of families) {
    const meta = metadataName(f, format);
    const mn = writeName(meta);
    if (f.help !== "") parts.push(`# HELP ${mn} ${om ? escapeValue(f.help) : escapeTextHelp(f.help)}\n`);
    parts.push(`# TYPE ${mn} ${om ? f.type : TEXT_TYPE[f.type]}\n`);
    if (om && f.unit !== undefined && f.unit !== "" && meta.endsWith(`_${f.unit}`)) {
      parts.push(`# UNIT ${mn} ${f.unit}\n`);
    }
    const rename = om && (f.type === "counter" || f.type === "info") ? meta : undefined;
    const suffix = f.type === "counter" ? "_total" : "_info";
    for (const s of f.samples) {
      const name = rename !== undefined && s.name === rename ? rename + suffix : s.name;
      let line = `${writeSeries(name, s.labels)} ${formatValue(s.value)}`;
      if (s.timestamp !== undefined) {
        line += ` ${om ? formatSeconds(s.timestamp) : String(Math.round(s.timestamp))}`;
      }
      parts.push(`${line}\n`);
    }
  }
  if (om) parts.push("# EOF\n");
  return parts.join("");
}
