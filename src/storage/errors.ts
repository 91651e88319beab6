/** Base class for errors a store raises about a sample it will not take. */
export class StorageError extends Error {
  override name = "StorageError";
}

/** The sample is older than the newest sample of its series (and outside any out-of-order window). */
export class OutOfOrderError extends StorageError {
  override name = "OutOfOrderError";
  constructor(message = "out of order sample") {
    super(message);
  }
}

/** The sample is too old for the store to take (before the head's lower bound). */
export class OutOfBoundsError extends StorageError {
  override name = "OutOfBoundsError";
  constructor(message = "out of bounds") {
    super(message);
  }
}

/** The sample has the same timestamp as the previous one of its series but another value. */
export class DuplicateSampleError extends StorageError {
  override name = "DuplicateSampleError";
  constructor(message = "duplicate sample for timestamp") {
    super(message);
  }
}

/** A series' labels are not acceptable (empty, no metric name, duplicate or invalid names). */
export class InvalidLabelsError extends StorageError {
  override name = "InvalidLabelsError";
}

/** A configured limit (active series, labels per series, ...) would be exceeded. */
export class LimitExceededError extends StorageError {
  override name = "LimitExceededError";
}
