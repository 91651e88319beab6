/**
 * Privacy primitives for community analytics: keyed hashing with rotating, destroyed keys
 * (pseudonyms), HyperLogLog distinct counts, k-anonymity and differential privacy. Imports nothing
 * else of ours. See DESIGN.md for the rules and their reasons.
 */
export {
  budgetScope,
  CryptoUniform,
  discreteLaplace,
  discreteLaplaceParameter,
  discreteLaplaceVariance,
  FigurePublisher,
  type FigurePublisherOptions,
  type FigureRequest,
  MemoryPrivacyLedger,
  PrivacyBudget,
  type PrivacyLedger,
  type PublishedFigure,
  type PublishedResult,
  type PublishStatus,
  type UniformSource,
} from "./dp.js";
export {
  ExpiredEpochError,
  FutureEventError,
  IncompatibleSketchError,
  PrivacyError,
  PrivacyInputError,
} from "./errors.js";
export {
  HLL_DEFAULT_PRECISION,
  HLL_MAX_PRECISION,
  HLL_MIN_PRECISION,
  HyperLogLog,
  type HyperLogLogOptions,
  hllStandardError,
} from "./hyperloglog.js";
export { DEFAULT_K, isPublishable, suppressSmallGroups } from "./kanonymity.js";
export {
  DEFAULT_KEY_RETENTION_MS,
  DEFAULT_MAX_FUTURE_MS,
  type EpochScheme,
  fixedEpochs,
  KEY_BYTES,
  type KeyStore,
  MemoryKeyStore,
  PSEUDONYM_BYTES,
  Pseudonymizer,
  type PseudonymizerOptions,
  utcMonthEpochs,
} from "./pseudonymizer.js";
