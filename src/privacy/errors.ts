/** Base class of every error the privacy layer throws. Messages never contain a raw user id. */
export class PrivacyError extends Error {
  override name = "PrivacyError";
}

/** Thrown when an argument is malformed (a bad precision, a negative count, a corrupt sketch buffer). */
export class PrivacyInputError extends PrivacyError {
  override name = "PrivacyInputError";
}

/**
 * Thrown when an event falls in an epoch whose pseudonymization key has been destroyed (or is due
 * to be): such events are refused, never re-keyed, so old pseudonyms cannot be re-linked.
 */
export class ExpiredEpochError extends PrivacyError {
  override name = "ExpiredEpochError";
}

/** Thrown when an event lies further in the future than the pseudonymizer tolerates. */
export class FutureEventError extends PrivacyError {
  override name = "FutureEventError";
}

/** Thrown when two HyperLogLog sketches cannot be merged (different precision or hashing scope). */
export class IncompatibleSketchError extends PrivacyError {
  override name = "IncompatibleSketchError";
}
