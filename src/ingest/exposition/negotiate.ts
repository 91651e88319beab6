import type { ExpositionFormat } from "./parser.js";

/**
 * The Accept header sent when scraping, as Prometheus 3 builds it from its default scrape
 * protocols (OpenMetrics 1.0.0, OpenMetrics 0.0.1, text 1.0.0, text 0.0.4; no protobuf) with
 * descending q-values and a catch-all. UTF-8 names are allowed because the parser reads quoted names.
 */
export const SCRAPE_ACCEPT_HEADER =
  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
  "application/openmetrics-text;version=0.0.1;q=0.5," +
  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
  "text/plain;version=0.0.4;q=0.3," +
  "*/*;q=0.2";

/** The Content-Type of a Prometheus text 0.0.4 response. */
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The Content-Type of an OpenMetrics 1.0 response. */
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** The Content-Type to answer with for a format. */
export function contentTypeFor(format: ExpositionFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

/**
 * The format of a scraped body from its Content-Type: `application/openmetrics-text` means
 * OpenMetrics; anything else, including a missing or unparsable header, means text 0.0.4.
 * @example formatFromContentType("application/openmetrics-text; version=1.0.0") // "openmetrics"
 */
export function formatFromContentType(contentType: string | undefined): ExpositionFormat {
  if (contentType === undefined) return "text";
  const semi = contentType.indexOf(";");
  const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === "application/openmetrics-text" ? "openmetrics" : "text";
}

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
  readonly q: number;
  readonly order: number;
}

function parseAccept(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  const parts = accept.split(",");
  for (let i = 0; i < parts.length; i++) {
    const fields = parts[i]!.split(";");
    const type = fields[0]!.trim().toLowerCase();
    if (type === "") continue;
    const params = new Map<string, string>();
    let q = 1;
    for (let j = 1; j < fields.length; j++) {
      const f = fields[j]!;
      const eq = f.indexOf("=");
      if (eq < 0) continue;
      const key = f.slice(0, eq).trim().toLowerCase();
      const value = f
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
      if (key === "q") {
        const v = Number(value);
        q = Number.isFinite(v) && value !== "" ? Math.min(Math.max(v, 0), 1) : 0;
      } else {
        params.set(key, value);
      }
    }
    out.push({ type, params, q, order: i });
  }
  return out;
}

/**
 * Picks the format for our own `/metrics` and `/federate` answers from the client's Accept header,
 * as Prometheus's client library does: the media ranges are taken by descending q (ties in order
 * of appearance); the first that names OpenMetrics (version 0.0.1, 1.0.0 or none) selects it, the
 * first that names `text/plain` selects text; without either (or without a header) it is text 0.0.4.
 * @example negotiateResponseFormat(SCRAPE_ACCEPT_HEADER) // "openmetrics"
 */
export function negotiateResponseFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept === "") return "text";
  const ranges = parseAccept(accept)
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const r of ranges) {
    if (r.type === "application/openmetrics-text") {
      const v = r.params.get("version");
      if (v === undefined || v === "" || v === "0.0.1" || v === "1.0.0") return "openmetrics";
    } else if (r.type === "text/plain") {
      return "text";
    }
  }
  return "text";
}
