import { SCRAPE_ACCEPT_HEADER } from "../exposition/index.js";

/** The User-Agent scrapes are sent with. */
export const SCRAPE_USER_AGENT = "relay-monitor/0.1";

/** Why a scrape failed; `kind` feeds the failure counters. */
export class ScrapeError extends Error {
  override name = "ScrapeError";
  readonly kind:
    | "http"
    | "timeout"
    | "body_size"
    | "parse"
    | "sample_limit"
    | "series_limit"
    | "label_limit"
    | "invalid";

  constructor(kind: ScrapeError["kind"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** A fetched exposition body. */
export interface ScrapeResponse {
  readonly body: string;
  readonly contentType: string | undefined;
}

/**
 * GETs a target's metrics the way Prometheus does: its Accept header, gzip accepted,
 * `X-Prometheus-Scrape-Timeout-Seconds`, and a deadline. Reads at most `bodySizeLimit`
 * uncompressed bytes (0: no limit). Throws {@link ScrapeError} with Prometheus-like messages.
 */
export async function fetchMetrics(
  url: string,
  timeoutMs: number,
  bodySizeLimit: number,
  stop: AbortSignal,
): Promise<ScrapeResponse> {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  const onStop = () => ctl.abort();
  stop.addEventListener("abort", onStop);
  try {
    const res = await fetch(url, {
      signal: ctl.signal,
      redirect: "follow",
      headers: {
        Accept: SCRAPE_ACCEPT_HEADER,
        "Accept-Encoding": "gzip",
        "User-Agent": SCRAPE_USER_AGENT,
        "X-Prometheus-Scrape-Timeout-Seconds": String(timeoutMs / 1000),
      },
    });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw new ScrapeError("http", `server returned HTTP status ${res.status} ${res.statusText}`.trimEnd());
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (bodySizeLimit > 0 && size > bodySizeLimit) {
          await reader.cancel().catch(() => {});
          throw new ScrapeError("body_size", `body size limit exceeded (limit: ${bodySizeLimit} bytes)`);
        }
        chunks.push(value);
      }
    }
    const body = Buffer.concat(chunks, size).toString("utf8");
    return { body, contentType: res.headers.get("content-type") ?? undefined };
  } catch (err) {
    if (err instanceof ScrapeError) throw err;
    if (timedOut) throw new ScrapeError("timeout", `Get "${url}": context deadline exceeded`, { cause: err });
    if (stop.aborted) throw new ScrapeError("http", `Get "${url}": context canceled`, { cause: err });
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new ScrapeError("http", `Get "${url}": ${detail}`, { cause: err });
  } finally {
    clearTimeout(timer);
    stop.removeEventListener("abort", onStop);
  }
}
