import { PrivacyInputError } from "./errors.js";

/** Default k: figures backed by fewer than 5 distinct users are not published. */
export const DEFAULT_K = 5;

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new PrivacyInputError(`k must be a positive integer, got ${k}`);
}

function checkGroupSize(groupSize: number): void {
  if (!Number.isFinite(groupSize) || groupSize < 0) {
    throw new PrivacyInputError(`group size must be a non-negative finite number, got ${groupSize}`);
  }
}

/**
 * True when a figure whose group has `groupSize` members may be published under k-anonymity. The
 * group of a figure is the set of distinct users (pseudonyms) whose events contribute to it: for
 * "messages in channel c on day d" it is the distinct senders in c on d; for a distinct-user count it
 * is the count itself. A group size that comes from a HyperLogLog estimate is rounded first.
 */
export function isPublishable(groupSize: number, k: number = DEFAULT_K): boolean {
  checkK(k);
  checkGroupSize(groupSize);
  return Math.round(groupSize) >= k;
}

/**
 * Returns `value` when its group has at least `k` distinct users, otherwise null (suppressed).
 * @example suppressSmallGroups(12, 3) // null
 * @example suppressSmallGroups(12, 7) // 12
 */
export function suppressSmallGroups<T>(value: T, groupSize: number, k: number = DEFAULT_K): T | null {
  return isPublishable(groupSize, k) ? value : null;
}
