/** The closed set of error types the Prometheus HTTP API answers with. */
export type ErrorType =
  | "bad_data"
  | "execution"
  | "timeout"
  | "canceled"
  | "internal"
  | "unavailable"
  | "not_found";

/** HTTP status for each error type, as Prometheus's web/api/v1 maps them. */
export const ERROR_STATUS: Readonly<Record<ErrorType, number>> = {
  bad_data: 400,
  execution: 422,
  canceled: 499,
  timeout: 503,
  internal: 500,
  unavailable: 503,
  not_found: 404,
};

/**
 * An error the API answers with `{status: "error", errorType, error}`. Handlers throw it; every
 * other error thrown by a lower layer is translated by {@link toApiError}.
 */
export class ApiError extends Error {
  override name = "ApiError";
  readonly errorType: ErrorType;
  readonly status: number;

  constructor(errorType: ErrorType, message: string, status = ERROR_STATUS[errorType]) {
    super(message);
    this.errorType = errorType;
    this.status = status;
  }
}

/** Shorthand for a `bad_data` error. */
export function badData(message: string): ApiError {
  return new ApiError("bad_data", message);
}

/**
 * Maps an error from any layer to the API's error set by its class name, so this module needs no
 * import of the layers (they each define their own typed errors).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const declared = (e as { errorType?: unknown }).errorType;
  if (typeof declared === "string" && declared in ERROR_STATUS)
    return new ApiError(declared as ErrorType, e.message);
  switch (e.name) {
    case "ParseError":
    case "InvalidMatcherError":
    case "InvalidDurationError":
    case "RemoteWriteError":
    case "ExpositionParseError":
    case "TooManyPointsError":
      return new ApiError("bad_data", e.message);
    case "QueryTimeoutError":
      return new ApiError("timeout", e.message);
    case "QueryCanceledError":
      return new ApiError("canceled", e.message);
    case "TooManySamplesError":
    case "EvalError":
    case "PromQLError":
      return new ApiError("execution", e.message);
    case "LimitExceededError":
      return new ApiError("unavailable", e.message);
    default:
      return new ApiError("internal", e.message);
  }
}
