/**
 * Errors the PromQL engine raises. The API layer maps them to Prometheus's errorType values:
 * {@link QueryTimeoutError} → `timeout`, {@link QueryCanceledError} → `canceled`,
 * {@link TooManySamplesError} and {@link ExecutionError} → `execution`, {@link BadDataError} → `bad_data`.
 */
export class PromQLError extends Error {
  override name = "PromQLError";
  /** The Prometheus API errorType this error maps to. */
  readonly errorType: "timeout" | "canceled" | "execution" | "bad_data" = "execution";
}

/** An error during evaluation (duplicate series, invalid arguments, ...): errorType `execution`. */
export class ExecutionError extends PromQLError {
  override name = "ExecutionError";
}

/** The query ran longer than the engine's timeout: errorType `timeout`. */
export class QueryTimeoutError extends PromQLError {
  override name = "QueryTimeoutError";
  override readonly errorType = "timeout" as const;
  constructor(where = "query execution") {
    super(`query timed out in ${where}`);
  }
}

/** The query was cancelled through its AbortSignal: errorType `canceled`. */
export class QueryCanceledError extends PromQLError {
  override name = "QueryCanceledError";
  override readonly errorType = "canceled" as const;
  constructor(where = "query execution") {
    super(`query was canceled in ${where}`);
  }
}

/** The query would hold more samples in memory than allowed: errorType `execution`. */
export class TooManySamplesError extends PromQLError {
  override name = "TooManySamplesError";
  constructor() {
    super("query processing would load too many samples into memory in query execution");
  }
}

/** The query or its parameters are malformed: errorType `bad_data`. */
export class BadDataError extends PromQLError {
  override name = "BadDataError";
  override readonly errorType = "bad_data" as const;
}

/**
 * Checks a range query's resolution the way Prometheus's API does: more than `maxPoints` steps per
 * series is rejected with a {@link BadDataError}. Also rejects end before start and a step ≤ 0.
 * @example checkRangeResolution(0, 3600_000, 15_000) // ok: 241 points
 */
export function checkRangeResolution(
  startMs: number,
  endMs: number,
  stepMs: number,
  maxPoints = 11000,
): void {
  if (endMs < startMs) throw new BadDataError("end timestamp must not be before start time");
  if (!(stepMs > 0)) {
    throw new BadDataError(
      "zero or negative query resolution step widths are not accepted. Try a positive integer",
    );
  }
  if ((endMs - startMs) / stepMs > maxPoints) {
    throw new BadDataError(
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".replace(
        "11,000",
        maxPoints.toLocaleString("en-US"),
      ),
    );
  }
}
