/**
 * Prometheus's label-set hash (`labels.Labels.Hash()` of the default `stringlabels` build): XXH64
 * with seed 0 over the label pairs, each name and value preceded by its byte length (one byte
 * below 255, else 255 and three bytes little-endian). `limit_ratio` uses it to pick series, so the
 * same series are picked as in Prometheus.
 */
import type { Labels } from "../model/index.js";

// The 64-bit primes as 32-bit halves; arithmetic is done on (hi, lo) pairs without allocation.
const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

/** The result registers of the pair operations below. */
let H = 0;
let L = 0;

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  L = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const hi = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  H = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = al + bl;
  L = lo >>> 0;
  H = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotates left by 0 < r < 32. */
function rotl(h: number, l: number, r: number): void {
  H = ((h << r) | (l >>> (32 - r))) >>> 0;
  L = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** acc = rotl(acc + lane * P2, 31) * P1 */
function round(ah: number, al: number, lh: number, ll: number): void {
  mul(lh, ll, P2H, P2L);
  add(ah, al, H, L);
  rotl(H, L, 31);
  mul(H, L, P1H, P1L);
}

/** h = (h ^ round(0, v)) * P1 + P4 */
function merge(hh: number, hl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((hh ^ H) >>> 0, (hl ^ L) >>> 0, P1H, P1L);
  add(H, L, P4H, P4L);
}

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** XXH64 of b[0, n) with seed 0, left in (H, L). */
function xxh64(b: Uint8Array, n: number): void {
  let i = 0;
  let hh: number;
  let hl: number;
  if (n >= 32) {
    add(P1H, P1L, P2H, P2L);
    let v1h = H;
    let v1l = L;
    let v2h = P2H;
    let v2l = P2L;
    let v3h = 0;
    let v3l = 0;
    // -P1 mod 2^64
    let v4h = ~P1H >>> 0;
    let v4l = (~P1L + 1) >>> 0;
    for (; i + 32 <= n; i += 32) {
      round(v1h, v1l, u32(b, i + 4), u32(b, i));
      v1h = H;
      v1l = L;
      round(v2h, v2l, u32(b, i + 12), u32(b, i + 8));
      v2h = H;
      v2l = L;
      round(v3h, v3l, u32(b, i + 20), u32(b, i + 16));
      v3h = H;
      v3l = L;
      round(v4h, v4l, u32(b, i + 28), u32(b, i + 24));
      v4h = H;
      v4l = L;
    }
    rotl(v1h, v1l, 1);
    hh = H;
    hl = L;
    rotl(v2h, v2l, 7);
    add(hh, hl, H, L);
    hh = H;
    hl = L;
    rotl(v3h, v3l, 12);
    add(hh, hl, H, L);
    hh = H;
    hl = L;
    rotl(v4h, v4l, 18);
    add(hh, hl, H, L);
    merge(H, L, v1h, v1l);
    merge(H, L, v2h, v2l);
    merge(H, L, v3h, v3l);
    merge(H, L, v4h, v4l);
    hh = H;
    hl = L;
  } else {
    hh = P5H;
    hl = P5L;
  }
  add(hh, hl, Math.floor(n / 0x100000000), n >>> 0);
  hh = H;
  hl = L;
  for (; i + 8 <= n; i += 8) {
    round(0, 0, u32(b, i + 4), u32(b, i));
    rotl((hh ^ H) >>> 0, (hl ^ L) >>> 0, 27);
    mul(H, L, P1H, P1L);
    add(H, L, P4H, P4L);
    hh = H;
    hl = L;
  }
  if (i + 4 <= n) {
    mul(0, u32(b, i), P1H, P1L);
    rotl((hh ^ H) >>> 0, (hl ^ L) >>> 0, 23);
    mul(H, L, P2H, P2L);
    add(H, L, P3H, P3L);
    hh = H;
    hl = L;
    i += 4;
  }
  for (; i < n; i++) {
    mul(0, b[i]!, P5H, P5L);
    rotl((hh ^ H) >>> 0, (hl ^ L) >>> 0, 11);
    mul(H, L, P1H, P1L);
    hh = H;
    hl = L;
  }
  mul(hh, (hl ^ (hh >>> 1)) >>> 0, P2H, P2L);
  mul((H ^ (H >>> 29)) >>> 0, (L ^ (((H << 3) | (L >>> 29)) >>> 0)) >>> 0, P3H, P3L);
  L = (L ^ H) >>> 0;
}

/**
 * XXH64 of `b` with seed 0 (github.com/cespare/xxhash's Sum64), as an unsigned 64-bit bigint.
 * @example xxhash64(new TextEncoder().encode("abc")) // 0x44bc2cf5ad770999n
 */
export function xxhash64(b: Uint8Array): bigint {
  xxh64(b, b.length);
  return (BigInt(H) << 32n) | BigInt(L);
}

const encoder = new TextEncoder();
let buf = new Uint8Array(1024);

/** Writes Prometheus's encoding of `ls` into the shared buffer; returns its length. */
function encodeInto(ls: Labels): number {
  let n = 0;
  for (const l of ls) {
    for (let k = 0; k < 2; k++) {
      const s = k === 0 ? l.name : l.value;
      if (buf.length < n + 4 + s.length * 3) {
        const nb = new Uint8Array((n + 4 + s.length * 3) * 2);
        nb.set(buf.subarray(0, n));
        buf = nb;
      }
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      let len: number;
      let bytes: Uint8Array | null = null;
      if (ascii) len = s.length;
      else {
        bytes = encoder.encode(s);
        len = bytes.length;
      }
      if (len < 255) buf[n++] = len;
      else {
        buf[n++] = 255;
        buf[n++] = len & 255;
        buf[n++] = (len >> 8) & 255;
        buf[n++] = (len >> 16) & 255;
      }
      if (bytes) buf.set(bytes, n);
      else for (let i = 0; i < len; i++) buf[n + i] = s.charCodeAt(i);
      n += len;
    }
  }
  return n;
}

/** Prometheus's byte encoding of a label set (`stringlabels`): length-prefixed names and values. */
export function encodeLabels(ls: Labels): Uint8Array {
  return buf.slice(0, encodeInto(ls));
}

/** Prometheus's `labels.Labels.Hash()` of a sorted label set. */
export function prometheusLabelsHash(ls: Labels): bigint {
  xxh64(buf, encodeInto(ls));
  return (BigInt(H) << 32n) | BigInt(L);
}

/** 2^64: the largest uint64 as Go converts it to float64. */
const MAX_UINT64_F = 2 ** 64;

/**
 * Where a series falls in [0, 1] for `limit_ratio`: its Prometheus hash over the largest uint64
 * (as float64). A ratio r ≥ 0 keeps series below r; r < 0 keeps those at or above 1 + r.
 */
export function ratioPosition(ls: Labels): number {
  xxh64(buf, encodeInto(ls));
  return (H * 4294967296 + L) / MAX_UINT64_F;
}
