import { crc32 } from "node:zlib";

/** Thrown when a block file does not decode: wrong magic, bad checksum, truncated data. */
export class CorruptBlockError extends Error {
  override name = "CorruptBlockError";
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: false });

/** CRC-32 (IEEE) of a byte range. */
export function checksum(b: Uint8Array, start = 0, end = b.length): number {
  return crc32(b.subarray(start, end)) >>> 0;
}

/** A growable byte buffer with big-endian fixed-width integers and LEB128 varints. */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 4096) {
    this.buf = new Uint8Array(initial);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.len + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Forgets the contents, keeping the memory. */
  clear(): void {
    this.len = 0;
  }

  u8(x: number): void {
    this.reserve(1);
    this.buf[this.len++] = x;
  }

  u32(x: number): void {
    this.reserve(4);
    const b = this.buf;
    const p = this.len;
    b[p] = x >>> 24;
    b[p + 1] = x >>> 16;
    b[p + 2] = x >>> 8;
    b[p + 3] = x;
    this.len = p + 4;
  }

  /** Overwrites 4 bytes at `pos` with a big-endian u32. */
  u32At(pos: number, x: number): void {
    const b = this.buf;
    b[pos] = x >>> 24;
    b[pos + 1] = x >>> 16;
    b[pos + 2] = x >>> 8;
    b[pos + 3] = x;
  }

  /** An unsigned integer up to 2^53 as 8 big-endian bytes. */
  u64(x: number): void {
    this.u32(Math.floor(x / 4294967296));
    this.u32(x >>> 0);
  }

  uvarint(x: number): void {
    this.reserve(10);
    const b = this.buf;
    let p = this.len;
    while (x >= 0x80) {
      b[p++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    b[p++] = x;
    this.len = p;
  }

  /** A signed integer, zig-zag encoded. */
  varint(x: number): void {
    this.uvarint(x >= 0 ? x * 2 : -x * 2 - 1);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** A UTF-8 string prefixed by its byte length. */
  str(s: string): void {
    const b = utf8.encode(s);
    this.uvarint(b.length);
    this.raw(b);
  }

  /** Appends the CRC-32 of the bytes from `start` to the current end. */
  crc(start: number): void {
    this.u32(checksum(this.buf, start, this.len));
  }
}

/** Reads what {@link ByteWriter} writes; every read checks bounds and throws {@link CorruptBlockError}. */
export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
    readonly what = "data",
  ) {
    this.pos = pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new CorruptBlockError(`${this.what}: truncated at byte ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  u64(): number {
    return this.u32() * 4294967296 + this.u32();
  }

  uvarint(): number {
    const b = this.buf;
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end)
        throw new CorruptBlockError(`${this.what}: truncated varint at byte ${this.pos}`);
      const c = b[this.pos++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) return x;
      mul *= 0x80;
    }
    throw new CorruptBlockError(`${this.what}: varint too long at byte ${this.pos}`);
  }

  varint(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    return utf8d.decode(this.bytes(this.uvarint()));
  }
}

/**
 * Reads a section framed as `u32 length | body | u32 crc32(body)` at `off`; returns a reader over
 * the body after checking the checksum.
 */
export function readSection(buf: Uint8Array, off: number, what: string): ByteReader {
  const head = new ByteReader(buf, off, buf.length, what);
  const len = head.u32();
  const start = head.pos;
  if (start + len + 4 > buf.length)
    throw new CorruptBlockError(`${what}: section runs past the end of the file`);
  const want = new ByteReader(buf, start + len, buf.length, what).u32();
  if (checksum(buf, start, start + len) !== want) throw new CorruptBlockError(`${what}: checksum mismatch`);
  return new ByteReader(buf, start, start + len, what);
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
let lastUlidTime = -1;
let lastUlidRand: number[] = [];

/**
 * A new ULID (26 characters of Crockford base32: 48-bit millisecond time, 80 random bits), strictly
 * increasing within the process so that block directories sort by creation.
 */
export function ulid(now = Date.now()): string {
  let rand: number[];
  if (now <= lastUlidTime) {
    now = lastUlidTime;
    rand = lastUlidRand.slice();
    for (let i = rand.length - 1; i >= 0; i--) {
      rand[i] = (rand[i]! + 1) & 31;
      if (rand[i] !== 0) break;
    }
  } else {
    rand = Array.from({ length: 16 }, () => Math.floor(Math.random() * 32));
  }
  lastUlidTime = now;
  lastUlidRand = rand;
  let out = "";
  let t = now;
  const time: string[] = [];
  for (let i = 0; i < 10; i++) {
    time.push(CROCKFORD[t % 32]!);
    t = Math.floor(t / 32);
  }
  out = time.reverse().join("");
  for (const r of rand) out += CROCKFORD[r]!;
  return out;
}

/** True when `s` looks like a ULID. */
export function isUlid(s: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{26}$/.test(s);
}
