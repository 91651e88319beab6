/**
 * Value formatting by unit (Grafana's unit ids), for axes, legends, stats and tables.
 */

const SI = ["", "k", "M", "G", "T", "P", "E"];
const IEC = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

function trim(n: number, decimals: number | undefined): string {
  if (decimals !== undefined) return n.toFixed(decimals);
  const abs = Math.abs(n);
  const d = abs === 0 || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return String(Number(n.toFixed(d)));
}

function scaled(v: number, base: number, prefixes: string[], suffix: string, decimals?: number): string {
  let i = 0;
  let x = v;
  while (Math.abs(x) >= base && i < prefixes.length - 1) {
    x /= base;
    i++;
  }
  const sep = suffix === "" && prefixes[i] === "" ? "" : " ";
  return `${trim(x, decimals)}${sep}${prefixes[i]}${suffix}`.trimEnd();
}

function seconds(v: number, decimals?: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0 s";
  if (a < 1e-6) return `${trim(v * 1e9, decimals)} ns`;
  if (a < 1e-3) return `${trim(v * 1e6, decimals)} µs`;
  if (a < 1) return `${trim(v * 1e3, decimals)} ms`;
  if (a < 60) return `${trim(v, decimals)} s`;
  if (a < 3600) return `${trim(v / 60, decimals)} min`;
  if (a < 86400) return `${trim(v / 3600, decimals)} hour`;
  return `${trim(v / 86400, decimals)} day`;
}

/** Formats `v` in `unit`; NaN and infinities print as Prometheus does. */
export function formatValue(v: number, unit = "short", decimals?: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  switch (unit) {
    case "none":
      return trim(v, decimals);
    case "percent":
      return `${trim(v, decimals)}%`;
    case "percentunit":
      return `${trim(v * 100, decimals)}%`;
    case "bytes":
      return scaled(v, 1024, IEC, "B", decimals);
    case "decbytes":
      return scaled(v, 1000, SI, "B", decimals);
    case "Bps":
      return scaled(v, 1000, SI, "B/s", decimals);
    case "binBps":
      return scaled(v, 1024, IEC, "B/s", decimals);
    case "bps":
      return scaled(v, 1000, SI, "b/s", decimals);
    case "s":
      return seconds(v, decimals);
    case "ms":
      return seconds(v / 1000, decimals);
    case "reqps":
      return scaled(v, 1000, SI, "req/s", decimals);
    case "ops":
      return scaled(v, 1000, SI, "ops/s", decimals);
    case "hertz":
      return scaled(v, 1000, SI, "Hz", decimals);
    case "celsius":
      return `${trim(v, decimals)} °C`;
    case "short":
    case "":
      return scaled(v, 1000, ["", "K", "Mil", "Bil", "Tri"], "", decimals);
    default:
      return `${trim(v, decimals)} ${unit}`;
  }
}

/** Parses a Prometheus sample value string (`"1.5"`, `"NaN"`, `"+Inf"`). */
export function parseSampleValue(s: string): number {
  if (s === "+Inf" || s === "Inf") return Number.POSITIVE_INFINITY;
  if (s === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(s);
}
