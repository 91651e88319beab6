import { closeSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ByteWriter, CorruptBlockError, checksum } from "./encoding.js";

/** Magic number at the start of every chunk file ("RMCK"). */
export const CHUNKS_MAGIC = 0x524d434b;
/** Chunk encoding byte: a Prometheus XOR chunk (FORMAT.md). */
export const ENC_XOR = 1;
/** Chunk encoding byte: a decimal chunk (XOR timestamps, integer value deltas; FORMAT.md). */
export const ENC_DECIMAL = 2;
/** Chunk file header length: magic (4), version (1), padding (3). */
export const CHUNKS_HEADER = 8;
const DEFAULT_SEGMENT = 512 << 20;

/** Where a chunk record sits: file number (1-based), byte offset of its record, record length. */
export interface ChunkLocation {
  file: number;
  offset: number;
  length: number;
}

/** The name of chunk file `n`: six decimal digits. */
export function chunkFileName(n: number): string {
  return String(n).padStart(6, "0");
}

/**
 * Writes chunk records to `<dir>/chunks/000001…`, starting a new file when one would exceed
 * `segmentSize`. Record: uvarint length of (encoding + data), encoding byte, data, CRC-32 of
 * encoding and data.
 */
export class ChunkFileWriter {
  private fd = -1;
  private file = 0;
  private fileSize = 0;
  private readonly out = new ByteWriter(1 << 20);
  private readonly fds: number[] = [];
  /** Bytes written to chunk files so far. */
  totalBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly segmentSize = DEFAULT_SEGMENT,
  ) {
    mkdirSync(join(dir, "chunks"), { recursive: true });
  }

  /** Appends one record and returns where it went. */
  write(encoding: number, data: Uint8Array): ChunkLocation {
    const recLen = 1 + data.length;
    const total = 5 + recLen + 4;
    if (this.fd < 0 || this.fileSize + total > this.segmentSize) this.nextFile();
    const out = this.out;
    const start = out.len;
    out.uvarint(recLen);
    const body = out.len;
    out.u8(encoding);
    out.raw(data);
    out.crc(body);
    const length = out.len - start;
    const loc = { file: this.file, offset: this.fileSize, length };
    this.fileSize += length;
    this.totalBytes += length;
    if (out.len >= 1 << 20) this.flushBuffer();
    return loc;
  }

  private nextFile(): void {
    this.flushBuffer();
    this.file++;
    this.fd = openSync(join(this.dir, "chunks", chunkFileName(this.file)), "w");
    this.fds.push(this.fd);
    const h = new ByteWriter(CHUNKS_HEADER);
    h.u32(CHUNKS_MAGIC);
    h.u8(1);
    h.u8(0);
    h.u8(0);
    h.u8(0);
    writeSync(this.fd, h.bytes());
    this.fileSize = CHUNKS_HEADER;
    this.totalBytes += CHUNKS_HEADER;
  }

  private flushBuffer(): void {
    if (this.fd >= 0 && this.out.len > 0) {
      const b = this.out.bytes();
      let off = 0;
      while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    }
    this.out.clear();
  }

  /** Flushes, fsyncs and closes every file written. */
  close(): void {
    this.flushBuffer();
    for (const fd of this.fds) {
      fsyncSync(fd);
      closeSync(fd);
    }
    this.fds.length = 0;
    this.fd = -1;
  }

  /** Closes the files without syncing (after a failure). */
  abort(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds.length = 0;
    this.fd = -1;
  }
}

/**
 * Reads chunk records lazily from a block's chunk files through file descriptors opened on first
 * use. `readRange` fetches several consecutive records with one system call.
 */
export class ChunkFileReader {
  private readonly fds = new Map<number, number>();

  constructor(private readonly dir: string) {}

  private fd(file: number): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      const path = join(this.dir, "chunks", chunkFileName(file));
      fd = openSync(path, "r");
      const h = new Uint8Array(CHUNKS_HEADER);
      readSync(fd, h, 0, CHUNKS_HEADER, 0);
      const magic = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
      if (magic !== CHUNKS_MAGIC) {
        closeSync(fd);
        throw new CorruptBlockError(`${path}: not a chunk file (bad magic)`);
      }
      this.fds.set(file, fd);
    }
    return fd;
  }

  /** Reads bytes [offset, offset + length) of chunk file `file`. */
  readRange(file: number, offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    const fd = this.fd(file);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0)
        throw new CorruptBlockError(`chunk file ${chunkFileName(file)} ends before byte ${offset + length}`);
      got += n;
    }
    return buf;
  }

  /** Closes the open descriptors. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** Records closer than this are read with one system call, the gap read along (page cache: cheap). */
const COALESCE_GAP = 16 << 10;
/** Largest read a {@link ChunkRangeReader} makes for several records (one larger record is read whole). */
const COALESCE_MAX = 1 << 20;
const NO_BYTES = new Uint8Array(0);

/**
 * Reads the chunk records of a whole selection (the records of series selected together, in the
 * order given) in coalesced ranges: records in the same file that lie close together are read
 * with one system call, so a query over 20,000 series makes tens of reads, not 20,000. Records
 * are numbered in the order given; a range is read when one of its records is first asked for.
 * Ranges are not reused: views handed out stay valid.
 */
export class ChunkRangeReader {
  private readonly groupOf: Int32Array;
  private readonly gFile: number[] = [];
  private readonly gStart: number[] = [];
  private readonly gEnd: number[] = [];
  private cur = -1;
  private buf: Uint8Array = NO_BYTES;

  constructor(
    private readonly reader: ChunkFileReader,
    locations: readonly ChunkLocation[],
  ) {
    const n = locations.length;
    this.groupOf = new Int32Array(n);
    let g = -1;
    for (let j = 0; j < n; j++) {
      const l = locations[j]!;
      const end = l.offset + l.length;
      if (
        g >= 0 &&
        l.file === this.gFile[g] &&
        l.offset >= this.gStart[g]! &&
        l.offset <= this.gEnd[g]! + COALESCE_GAP &&
        end - this.gStart[g]! <= COALESCE_MAX
      ) {
        if (end > this.gEnd[g]!) this.gEnd[g] = end;
      } else {
        g++;
        this.gFile.push(l.file);
        this.gStart.push(l.offset);
        this.gEnd.push(end);
      }
      this.groupOf[j] = g;
    }
  }

  /** The bytes holding record `j`; the record starts at its offset minus {@link base}`(j)`. */
  bytes(j: number): Uint8Array {
    const g = this.groupOf[j]!;
    if (g !== this.cur) {
      this.buf = this.reader.readRange(this.gFile[g]!, this.gStart[g]!, this.gEnd[g]! - this.gStart[g]!);
      this.cur = g;
    }
    return this.buf;
  }

  /** The file offset of the first byte {@link bytes}`(j)` returns. */
  base(j: number): number {
    return this.gStart[this.groupOf[j]!]!;
  }
}

/**
 * Decodes the record at `off` in `buf` (as read by {@link ChunkFileReader.readRange}), checking its
 * CRC. Returns the encoding and a view of the data.
 */
export function decodeChunkRecord(
  buf: Uint8Array,
  off: number,
  where: string,
): { encoding: number; data: Uint8Array } {
  let len = 0;
  let mul = 1;
  let p = off;
  for (;;) {
    if (p >= buf.length) throw new CorruptBlockError(`${where}: truncated chunk record`);
    const c = buf[p++]!;
    len += (c & 0x7f) * mul;
    if (c < 0x80) break;
    mul *= 0x80;
  }
  if (len < 1 || p + len + 4 > buf.length)
    throw new CorruptBlockError(`${where}: chunk record runs past its end`);
  const want =
    ((buf[p + len]! << 24) | (buf[p + len + 1]! << 16) | (buf[p + len + 2]! << 8) | buf[p + len + 3]!) >>> 0;
  if (checksum(buf, p, p + len) !== want) throw new CorruptBlockError(`${where}: chunk checksum mismatch`);
  return { encoding: buf[p]!, data: buf.subarray(p + 1, p + len) };
}
