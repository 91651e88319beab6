import { IncompatibleSketchError, PrivacyInputError } from "./errors.js";
import { HASH_SEED_HI, HASH_SEED_LO, murmur3String } from "./hash.js";

/** Smallest precision a sketch accepts (16 registers). */
export const HLL_MIN_PRECISION = 4;
/** Largest precision a sketch accepts (262,144 registers). */
export const HLL_MAX_PRECISION = 18;
/** Default precision: 2^14 = 16,384 registers, standard error 1.04/√16384 ≈ 0.81 %. */
export const HLL_DEFAULT_PRECISION = 14;

const FORMAT_VERSION = 1;
const ENCODING_DENSE = 0;
const ENCODING_SPARSE = 1;
const HEADER_BYTES = 7;

const POW2_NEG = (() => {
  const t = new Float64Array(66);
  for (let k = 0; k < t.length; k++) t[k] = 2 ** -k;
  return t;
})();

/** Options of a {@link HyperLogLog} sketch. */
export interface HyperLogLogOptions {
  /** Precision p: the sketch has m = 2^p registers. Default 14. */
  readonly precision?: number;
  /**
   * The hashing scope the sketch was fed under, an unsigned 32-bit tag (e.g. the epoch of the key
   * that produced its pseudonyms). Sketches merge only within one scope, because the same user
   * hashed under two keys looks like two users. Default 0.
   */
  readonly scope?: number;
}

/**
 * The relative standard error of a HyperLogLog estimate at precision p: 1.04/√(2^p).
 * @example hllStandardError(14) // ≈ 0.008125
 */
export function hllStandardError(precision: number): number {
  return 1.04 / Math.sqrt(2 ** precision);
}

function alpha(m: number): number {
  if (m === 16) return 0.673;
  if (m === 32) return 0.697;
  if (m === 64) return 0.709;
  return 0.7213 / (1 + 1.079 / m);
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let prev: number;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z !== prev);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let prev: number;
  do {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z !== prev);
  return z / 3;
}

function checkPrecision(p: number): void {
  if (!Number.isInteger(p) || p < HLL_MIN_PRECISION || p > HLL_MAX_PRECISION) {
    throw new PrivacyInputError(
      `HyperLogLog precision must be an integer from ${HLL_MIN_PRECISION} to ${HLL_MAX_PRECISION}, got ${p}`,
    );
  }
}

function checkScope(scope: number): void {
  if (!Number.isInteger(scope) || scope < 0 || scope > 0xffffffff) {
    throw new PrivacyInputError(`HyperLogLog scope must be an unsigned 32-bit integer, got ${scope}`);
  }
}

/**
 * A HyperLogLog distinct-count sketch (Flajolet et al. 2007) over 64-bit hashes, with m = 2^p
 * one-byte registers. The estimate's relative standard error is 1.04/√m. {@link estimate} uses
 * Ertl's improved estimator; {@link estimateClassic} the original one with linear counting for small
 * cardinalities. HLL++'s empirical bias tables are not implemented (Ertl's estimator makes them
 * unnecessary), and no large-range correction is needed because hashes have 64 bits. Merging takes the maximum of every register, so
 * it is commutative, associative and idempotent.
 * @example
 * const h = new HyperLogLog();
 * h.add("a"); h.add("b"); h.add("a");
 * Math.round(h.estimate()) // 2
 */
export class HyperLogLog {
  /** The precision p. */
  readonly precision: number;
  /** The number of registers, 2^p. */
  readonly m: number;
  /** The hashing scope (see {@link HyperLogLogOptions.scope}). */
  readonly scope: number;
  private readonly registers: Uint8Array;

  /** Creates an empty sketch. */
  constructor(options: HyperLogLogOptions = {}) {
    const p = options.precision ?? HLL_DEFAULT_PRECISION;
    const scope = options.scope ?? 0;
    checkPrecision(p);
    checkScope(scope);
    this.precision = p;
    this.m = 1 << p;
    this.scope = scope;
    this.registers = new Uint8Array(this.m);
  }

  /** The relative standard error of this sketch's estimates, 1.04/√m. */
  get standardError(): number {
    return hllStandardError(this.precision);
  }

  /**
   * Adds a string (typically a pseudonym), hashed to 64 bits with two seeded 32-bit MurmurHash3
   * passes. Returns true when a register changed.
   */
  add(value: string): boolean {
    return this.addHash(murmur3String(value, HASH_SEED_HI), murmur3String(value, HASH_SEED_LO));
  }

  /**
   * Adds a 64-bit hash given as two unsigned 32-bit halves (`hi` holds the top bits). The top p bits
   * choose the register; the rank is one plus the number of leading zeros of the remaining 64 − p
   * bits. Returns true when a register changed.
   */
  addHash(hi: number, lo: number): boolean {
    const p = this.precision;
    const idx = hi >>> (32 - p);
    const rest = (hi << p) >>> 0;
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - p + Math.clz32(lo >>> 0) + 1;
    if (rank > this.registers[idx]!) {
      this.registers[idx] = rank;
      return true;
    }
    return false;
  }

  /**
   * The estimated number of distinct values added, by Ertl's improved raw estimator ("New
   * cardinality estimation algorithms for HyperLogLog sketches", 2017). It needs no bias tables and
   * no switch-over: it agrees with linear counting for small counts and stays unbiased through the
   * 2.5·m..5·m range where the classic estimator overshoots by about 1.5 % (see DESIGN.md).
   */
  estimate(): number {
    const q = 64 - this.precision;
    const m = this.m;
    const hist = new Float64Array(q + 2);
    const regs = this.registers;
    for (let i = 0; i < m; i++) hist[regs[i]!]!++;
    let z = m * tau(1 - hist[q + 1]! / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + hist[k]!);
    z += m * sigma(hist[0]! / m);
    return (m * m) / (2 * Math.LN2) / z;
  }

  /**
   * The classic estimate (Flajolet et al. 2007): α·m²/Σ2^−M[j], replaced by linear counting
   * m·ln(m/V) when it is at most 2.5·m and V > 0 registers are empty. No large-range correction is
   * needed with 64-bit hashes.
   */
  estimateClassic(): number {
    const regs = this.registers;
    const m = this.m;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = regs[i]!;
      sum += POW2_NEG[r]!;
      if (r === 0) zeros++;
    }
    const raw = (alpha(m) * m * m) / sum;
    if (raw <= 2.5 * m && zeros > 0) return m * Math.log(m / zeros);
    return raw;
  }

  /** True when nothing has been added. */
  isEmpty(): boolean {
    return this.registers.every((r) => r === 0);
  }

  /**
   * Merges `other` into this sketch: afterwards this sketch estimates the union. Every register is
   * visited. Throws {@link IncompatibleSketchError} when precision or scope differ.
   */
  merge(other: HyperLogLog): this {
    if (other.precision !== this.precision) {
      throw new IncompatibleSketchError(
        `cannot merge a sketch of precision ${other.precision} into one of precision ${this.precision}`,
      );
    }
    if (other.scope !== this.scope) {
      throw new IncompatibleSketchError(
        `cannot merge a sketch of scope ${other.scope} into one of scope ${this.scope}: the same user hashed under two keys would count twice`,
      );
    }
    const a = this.registers;
    const b = other.registers;
    for (let i = 0; i < a.length; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
    return this;
  }

  /** A copy of this sketch. */
  clone(): HyperLogLog {
    const c = new HyperLogLog({ precision: this.precision, scope: this.scope });
    c.registers.set(this.registers);
    return c;
  }

  /** True when both sketches have the same precision, scope and registers. */
  equals(other: HyperLogLog): boolean {
    if (other.precision !== this.precision || other.scope !== this.scope) return false;
    const a = this.registers;
    const b = other.registers;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * Encodes the sketch (format in DESIGN.md): version, precision, encoding, scope, then either all
   * registers (dense) or the non-zero ones as (index, value) pairs (sparse), whichever is smaller.
   */
  serialize(): Buffer {
    const regs = this.registers;
    let nonZero = 0;
    for (let i = 0; i < regs.length; i++) if (regs[i] !== 0) nonZero++;
    const sparse = 4 + nonZero * 4 < regs.length;
    const out = Buffer.allocUnsafe(HEADER_BYTES + (sparse ? 4 + nonZero * 4 : regs.length));
    out[0] = FORMAT_VERSION;
    out[1] = this.precision;
    out[2] = sparse ? ENCODING_SPARSE : ENCODING_DENSE;
    out.writeUInt32LE(this.scope, 3);
    if (!sparse) {
      out.set(regs, HEADER_BYTES);
      return out;
    }
    out.writeUInt32LE(nonZero, HEADER_BYTES);
    let off = HEADER_BYTES + 4;
    for (let i = 0; i < regs.length; i++) {
      if (regs[i] !== 0) {
        out.writeUInt32LE(((i << 8) | regs[i]!) >>> 0, off);
        off += 4;
      }
    }
    return out;
  }

  /** Decodes a buffer written by {@link serialize}, validating every field. */
  static deserialize(buf: Uint8Array): HyperLogLog {
    const bad = (what: string): never => {
      throw new PrivacyInputError(`corrupt HyperLogLog buffer: ${what}`);
    };
    if (buf.length < HEADER_BYTES) bad(`${buf.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
    if (buf[0] !== FORMAT_VERSION) bad(`unknown format version ${buf[0]} (expected ${FORMAT_VERSION})`);
    const p = buf[1]!;
    if (p < HLL_MIN_PRECISION || p > HLL_MAX_PRECISION) bad(`precision ${p} out of range`);
    const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const h = new HyperLogLog({ precision: p, scope: view.readUInt32LE(3) });
    const maxRank = 64 - p + 1;
    const regs = h.registers;
    if (buf[2] === ENCODING_DENSE) {
      if (buf.length !== HEADER_BYTES + h.m)
        bad(`dense body is ${buf.length - HEADER_BYTES} bytes, expected ${h.m}`);
      for (let i = 0; i < h.m; i++) {
        const r = buf[HEADER_BYTES + i]!;
        if (r > maxRank) bad(`register ${i} holds ${r}, above the maximum rank ${maxRank}`);
        regs[i] = r;
      }
      return h;
    }
    if (buf[2] !== ENCODING_SPARSE) bad(`unknown encoding ${buf[2]}`);
    if (buf.length < HEADER_BYTES + 4) bad("sparse body lacks its entry count");
    const n = view.readUInt32LE(HEADER_BYTES);
    if (buf.length !== HEADER_BYTES + 4 + n * 4) bad(`sparse body has the wrong length for ${n} entries`);
    let prev = -1;
    for (let e = 0; e < n; e++) {
      const word = view.readUInt32LE(HEADER_BYTES + 4 + e * 4);
      const idx = word >>> 8;
      const r = word & 0xff;
      if (idx >= h.m) bad(`sparse entry ${e} has register index ${idx} beyond ${h.m - 1}`);
      if (idx <= prev) bad(`sparse entry ${e} is not in ascending register order`);
      if (r === 0 || r > maxRank) bad(`sparse entry ${e} holds rank ${r}, outside 1..${maxRank}`);
      regs[idx] = r;
      prev = idx;
    }
    return h;
  }
}
