import type { Label, Labels, Matcher } from "../../model/index.js";
import { intersect, literalAlternatives, type Postings, subtract, union } from "../postings.js";
import { ByteReader, ByteWriter, CorruptBlockError, checksum, readSection } from "./encoding.js";

/** Magic number at the start of a block index ("RMIX"). */
export const INDEX_MAGIC = 0x524d4958;
const INDEX_VERSION = 1;
const TOC_LEN = 5 * 8 + 4;
const EMPTY = new Uint32Array(0);

/** A chunk of a series in a block: time range, sample count and where its record is. */
export interface ChunkMeta {
  minT: number;
  maxT: number;
  numSamples: number;
  file: number;
  offset: number;
  length: number;
}

/** Encodes a series' chunk metas (as stored in its index entry) into `w`. */
export function encodeChunkMetas(w: ByteWriter, metas: readonly ChunkMeta[]): void {
  w.uvarint(metas.length);
  let prevMax = 0;
  for (let i = 0; i < metas.length; i++) {
    const c = metas[i]!;
    w.varint(i === 0 ? c.minT : c.minT - prevMax);
    w.uvarint(c.maxT - c.minT);
    w.uvarint(c.numSamples);
    w.uvarint(c.file);
    w.uvarint(c.offset);
    w.uvarint(c.length);
    prevMax = c.maxT;
  }
}

/**
 * Builds a block index in memory. Series must be added in label order; their refs are their byte
 * offsets in the file. See FORMAT.md for the layout.
 */
export class IndexWriter {
  private readonly series: { labels: Labels; meta: Uint8Array }[] = [];

  /** Adds a series (labels sorted, series in {@link compareLabels} order) with its encoded chunk metas. */
  add(labels: Labels, chunkMetas: Uint8Array): void {
    this.series.push({ labels, meta: chunkMetas });
  }

  /** Number of series added. */
  get length(): number {
    return this.series.length;
  }

  /** Encodes the whole index. */
  finish(): Uint8Array {
    const symSet = new Set<string>();
    for (const s of this.series) for (const l of s.labels) symSet.add(l.name).add(l.value);
    symSet.add("");
    const symbols = [...symSet].sort();
    const symRef = new Map<string, number>();
    for (let i = 0; i < symbols.length; i++) symRef.set(symbols[i]!, i);

    const w = new ByteWriter(1 << 16);
    w.u32(INDEX_MAGIC);
    w.u8(INDEX_VERSION);

    const tocSymbols = w.len;
    this.section(w, () => {
      w.uvarint(symbols.length);
      for (const s of symbols) w.str(s);
    });

    const tocSeries = w.len;
    const postings = new Map<string, Map<string, number[]>>();
    const all: number[] = [];
    for (const s of this.series) {
      const ref = w.len;
      all.push(ref);
      const start = w.len;
      w.uvarint(s.labels.length);
      for (const l of s.labels) {
        w.uvarint(symRef.get(l.name)!);
        w.uvarint(symRef.get(l.value)!);
        let vals = postings.get(l.name);
        if (vals === undefined) {
          vals = new Map();
          postings.set(l.name, vals);
        }
        let list = vals.get(l.value);
        if (list === undefined) {
          list = [];
          vals.set(l.value, list);
        }
        list.push(ref);
      }
      w.raw(s.meta);
      w.crc(start);
    }

    const names = [...postings.keys()].sort();
    const tocLabelValues = w.len;
    this.section(w, () => {
      w.uvarint(names.length);
      for (const name of names) {
        const values = [...postings.get(name)!.keys()].sort();
        w.uvarint(symRef.get(name)!);
        w.uvarint(values.length);
        for (const v of values) w.uvarint(symRef.get(v)!);
      }
    });

    const tocPostings = w.len;
    const table: [number, number, number][] = [];
    const writeList = (list: readonly number[]) => {
      this.section(w, () => {
        w.uvarint(list.length);
        let prev = 0;
        for (const ref of list) {
          w.uvarint(ref - prev);
          prev = ref;
        }
      });
    };
    table.push([0, 0, w.len]);
    writeList(all);
    for (const name of names) {
      const vals = postings.get(name)!;
      for (const v of [...vals.keys()].sort()) {
        table.push([symRef.get(name)!, symRef.get(v)!, w.len]);
        writeList(vals.get(v)!);
      }
    }

    const tocTable = w.len;
    this.section(w, () => {
      w.uvarint(table.length);
      for (const [n, v, off] of table) {
        w.uvarint(n);
        w.uvarint(v);
        w.uvarint(off);
      }
    });

    const toc = w.len;
    for (const off of [tocSymbols, tocSeries, tocLabelValues, tocPostings, tocTable]) w.u64(off);
    w.crc(toc);
    return w.bytes();
  }

  private section(w: ByteWriter, body: () => void): void {
    const lenAt = w.len;
    w.u32(0);
    const start = w.len;
    body();
    w.u32At(lenAt, w.len - start);
    w.crc(start);
  }
}

/** A decoded series entry: labels and chunk metas. */
export interface IndexSeries {
  labels: Labels;
  chunks: ChunkMeta[];
}

/**
 * Reads a block index held in memory: symbols and the postings offset table are decoded on open,
 * series entries and postings lists on demand.
 */
export class IndexReader {
  private readonly symbols: string[];
  /** Label name → value → offset of its postings list. */
  private readonly table = new Map<string, Map<string, number>>();
  private readonly allOffset: number;
  private readonly seriesStart: number;
  private readonly seriesEnd: number;
  private readonly labelObjs = new Map<number, Label>();

  constructor(
    private readonly buf: Uint8Array,
    private readonly what = "index",
  ) {
    if (buf.length < 5 + TOC_LEN) throw new CorruptBlockError(`${what}: too short to be an index`);
    const h = new ByteReader(buf, 0, buf.length, what);
    if (h.u32() !== INDEX_MAGIC) throw new CorruptBlockError(`${what}: not an index (bad magic)`);
    const version = h.u8();
    if (version !== INDEX_VERSION)
      throw new CorruptBlockError(`${what}: unsupported index version ${version}`);
    const tocAt = buf.length - TOC_LEN;
    const toc = new ByteReader(buf, tocAt, buf.length, what);
    const offs = [toc.u64(), toc.u64(), toc.u64(), toc.u64(), toc.u64()];
    if (checksum(buf, tocAt, tocAt + 40) !== toc.u32())
      throw new CorruptBlockError(`${what}: TOC checksum mismatch`);
    const [symOff, seriesOff, lvOff, postOff, tableOff] = offs as [number, number, number, number, number];
    if (
      !(symOff < seriesOff && seriesOff <= lvOff && lvOff < postOff && postOff < tableOff && tableOff < tocAt)
    ) {
      throw new CorruptBlockError(`${what}: TOC offsets out of order`);
    }
    const sr = readSection(buf, symOff, `${what} symbols`);
    const n = sr.uvarint();
    this.symbols = new Array(n);
    for (let i = 0; i < n; i++) this.symbols[i] = sr.str();
    this.seriesStart = seriesOff;
    this.seriesEnd = lvOff;
    const tr = readSection(buf, tableOff, `${what} postings table`);
    const entries = tr.uvarint();
    let all = -1;
    for (let i = 0; i < entries; i++) {
      const name = this.sym(tr.uvarint());
      const value = this.sym(tr.uvarint());
      const off = tr.uvarint();
      if (i === 0) {
        all = off;
        continue;
      }
      let vals = this.table.get(name);
      if (vals === undefined) {
        vals = new Map();
        this.table.set(name, vals);
      }
      vals.set(value, off);
    }
    if (all < 0) throw new CorruptBlockError(`${what}: postings table lacks the all-series list`);
    this.allOffset = all;
    readSection(buf, lvOff, `${what} label values`);
  }

  private sym(i: number): string {
    const s = this.symbols[i];
    if (s === undefined) throw new CorruptBlockError(`${this.what}: symbol ref ${i} out of range`);
    return s;
  }

  /** Number of symbols. */
  get numSymbols(): number {
    return this.symbols.length;
  }

  /** Refs of all series, in label order. */
  allPostings(): Uint32Array {
    return this.postingsAt(this.allOffset);
  }

  /** Refs of the series with label `name` = `value`. */
  postings(name: string, value: string): Postings {
    const off = this.table.get(name)?.get(value);
    return off === undefined ? EMPTY : this.postingsAt(off);
  }

  private postingsAt(off: number): Uint32Array {
    const r = readSection(this.buf, off, `${this.what} postings`);
    const n = r.uvarint();
    const out = new Uint32Array(n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      prev += r.uvarint();
      out[i] = prev;
    }
    return out;
  }

  /** Sorted label names. */
  labelNames(): string[] {
    return [...this.table.keys()].sort();
  }

  /** Sorted values of label `name`. */
  labelValues(name: string): string[] {
    const vals = this.table.get(name);
    return vals === undefined ? [] : [...vals.keys()].sort();
  }

  /** Decodes the series entry at `ref`. */
  series(ref: number): IndexSeries {
    if (ref < this.seriesStart || ref >= this.seriesEnd) {
      throw new CorruptBlockError(`${this.what}: series ref ${ref} out of range`);
    }
    const r = new ByteReader(this.buf, ref, this.seriesEnd, `${this.what} series ${ref}`);
    const nl = r.uvarint();
    const labels: Label[] = new Array(nl);
    for (let i = 0; i < nl; i++) {
      const n = r.uvarint();
      const v = r.uvarint();
      const key = n * 16777216 + v;
      let l = this.labelObjs.get(key);
      if (l === undefined) {
        l = { name: this.sym(n), value: this.sym(v) };
        this.labelObjs.set(key, l);
      }
      labels[i] = l;
    }
    const nc = r.uvarint();
    const chunks: ChunkMeta[] = new Array(nc);
    let prevMax = 0;
    for (let i = 0; i < nc; i++) {
      const minT = i === 0 ? r.varint() : prevMax + r.varint();
      const maxT = minT + r.uvarint();
      chunks[i] = {
        minT,
        maxT,
        numSamples: r.uvarint(),
        file: r.uvarint(),
        offset: r.uvarint(),
        length: r.uvarint(),
      };
      prevMax = maxT;
    }
    const end = r.pos;
    if (checksum(this.buf, ref, end) !== r.u32())
      throw new CorruptBlockError(`${this.what}: series ${ref} checksum mismatch`);
    return { labels, chunks };
  }

  /** Refs of the series matching all matchers (Prometheus semantics; none: all series). */
  forMatchers(matchers: readonly Matcher[]): Postings {
    const positive: Postings[] = [];
    const negative: Postings[] = [];
    for (const m of matchers) {
      if (m.matchesEmpty()) {
        const p = this.where(m.name, (v) => !m.matches(v), m.type === "!=" ? [m.value] : null);
        if (p.length > 0) negative.push(p);
      } else {
        let lits: string[] | null = null;
        if (m.type === "=") lits = [m.value];
        else if (m.type === "=~") lits = literalAlternatives(m.value);
        const p = this.where(m.name, (v) => m.matches(v), lits);
        if (p.length === 0) return EMPTY;
        positive.push(p);
      }
    }
    let out: Postings;
    if (positive.length === 0) {
      out = this.allPostings();
    } else {
      positive.sort((a, b) => a.length - b.length);
      out = positive[0]!;
      for (let i = 1; i < positive.length && out.length > 0; i++) out = intersect(out, positive[i]!);
    }
    for (const n of negative) {
      if (out.length === 0) break;
      out = subtract(out, n);
    }
    return out;
  }

  private where(name: string, keep: (v: string) => boolean, literals: readonly string[] | null): Postings {
    const vals = this.table.get(name);
    if (vals === undefined) return EMPTY;
    const lists: Postings[] = [];
    if (literals !== null) {
      for (const v of new Set(literals)) {
        const off = vals.get(v);
        if (off !== undefined) lists.push(this.postingsAt(off));
      }
    } else {
      for (const [v, off] of vals) if (keep(v)) lists.push(this.postingsAt(off));
    }
    return union(lists);
  }
}
