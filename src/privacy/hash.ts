/**
 * MurmurHash3 (x86, 32-bit) over the UTF-16 code units of a string, two code units per block.
 * Not cryptographic: it spreads already-private inputs (pseudonyms) over HyperLogLog registers.
 */
export function murmur3String(s: string, seed: number): number {
  let h = seed | 0;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seeds of the two 32-bit halves of the 64-bit string hash HyperLogLog uses. */
export const HASH_SEED_HI = 0x9747b28c;
/** See {@link HASH_SEED_HI}. */
export const HASH_SEED_LO = 0x5bd1e995;
