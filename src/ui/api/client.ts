/**
 * The one fetch wrapper of the web app. Every endpoint answers with the Prometheus envelope
 * (`{status: "success", data, warnings?, infos?}` or `{status: "error", errorType, error}`); this
 * module turns each answer, and every transport failure, into one {@link ApiResult}.
 */

/** A successful answer: the data and any warnings or infos the server attached. */
export interface ApiSuccess<T> {
  readonly ok: true;
  readonly data: T;
  readonly warnings: readonly string[];
  readonly infos: readonly string[];
}

/**
 * A failed answer. `errorType` is Prometheus's (`bad_data`, `execution`, ...), or `not_available`
 * when the endpoint does not exist on this server (404 without an envelope), or `network` when no
 * answer arrived at all.
 */
export interface ApiFailure {
  readonly ok: false;
  readonly status: number;
  readonly errorType: string;
  readonly error: string;
}

/** Success or failure of one API call; never thrown. */
export type ApiResult<T> = ApiSuccess<T> | ApiFailure;

/** Query parameters; arrays repeat the key (`match[]`), undefined values are left out. */
export type QueryParams = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** Encodes parameters as a query string (without the leading `?`). */
export function encodeParams(params: QueryParams): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, x);
    else sp.append(k, String(v));
  }
  return sp.toString();
}

/**
 * Interprets an HTTP answer: a JSON envelope wins (whatever the status); a 404 without one means
 * the endpoint is not available on this server; anything else is reported with its status.
 */
export function interpretResponse<T>(status: number, body: string): ApiResult<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === "object" && "status" in parsed) {
    const env = parsed as {
      status: string;
      data?: T;
      warnings?: string[];
      infos?: string[];
      errorType?: string;
      error?: string;
    };
    if (env.status === "success") {
      return { ok: true, data: env.data as T, warnings: env.warnings ?? [], infos: env.infos ?? [] };
    }
    if (env.status === "error") {
      return {
        ok: false,
        status,
        errorType: env.errorType ?? "unknown",
        error: env.error ?? "unknown error",
      };
    }
  }
  if (status === 404) {
    return { ok: false, status, errorType: "not_available", error: "not available on this server" };
  }
  if (status >= 200 && status < 300 && parsed !== undefined) {
    // Alertmanager v2 and Relay endpoints may answer bare JSON without the envelope.
    return { ok: true, data: parsed as T, warnings: [], infos: [] };
  }
  const text = body.trim().slice(0, 300);
  return { ok: false, status, errorType: "http", error: `HTTP ${status}${text ? `: ${text}` : ""}` };
}

/** True when the failure means the endpoint does not exist here (render "not available"). */
export function isNotAvailable(r: ApiResult<unknown>): boolean {
  return !r.ok && r.errorType === "not_available";
}

/** Options of {@link apiFetch}. */
export interface FetchOptions {
  readonly method?: "GET" | "POST" | "PUT" | "DELETE";
  readonly params?: QueryParams;
  /** A JSON body (sent as application/json). */
  readonly json?: unknown;
  /** A form body (sent as application/x-www-form-urlencoded, as Prometheus's POST endpoints take). */
  readonly form?: QueryParams;
  readonly signal?: AbortSignal;
}

/** The origin-relative base of every call; tests and the dev server keep it "". */
let base = "";

/** Sets the URL prefix of API calls (e.g. when served under a path prefix). */
export function setApiBase(prefix: string): void {
  base = prefix.replace(/\/$/, "");
}

/** Calls the API at `path` (e.g. `/api/v1/query`) and returns its result; never throws, except on abort. */
export async function apiFetch<T>(path: string, opts: FetchOptions = {}): Promise<ApiResult<T>> {
  const qs = opts.params ? encodeParams(opts.params) : "";
  const url = `${base}${path}${qs ? `?${qs}` : ""}`;
  const init: RequestInit = { method: opts.method ?? "GET", signal: opts.signal, headers: {} };
  if (opts.json !== undefined) {
    init.body = JSON.stringify(opts.json);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  } else if (opts.form) {
    init.body = encodeParams(opts.form);
    (init.headers as Record<string, string>)["content-type"] = "application/x-www-form-urlencoded";
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    return {
      ok: false,
      status: 0,
      errorType: "network",
      error: `cannot reach the server: ${(err as Error).message}`,
    };
  }
  return interpretResponse<T>(res.status, await res.text());
}
