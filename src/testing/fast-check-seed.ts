import fc from "fast-check";

/**
 * Vitest setup file: with `FC_SEED` set, every property test draws from that seed, so a run can be
 * repeated exactly (`.ci/run` sets one: the gate checks what was checked before it). Unset, each
 * run explores new inputs; a failure prints its seed and path to replay it.
 */
const seed = process.env.FC_SEED;
if (seed !== undefined && seed !== "") {
  const n = Number(seed);
  if (!Number.isSafeInteger(n)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(seed)}`);
  fc.configureGlobal({ seed: n });
}
