import type { MetricType } from "../../model/index.js";
import { ExpositionParseError } from "./errors.js";

/** The two text exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0. */
export type ExpositionFormat = "text" | "openmetrics";

/** What {@link ExpositionParser.next} found. */
export const EntryType = {
  /** The body is exhausted (text) or `# EOF` was read (OpenMetrics). */
  EOF: 0,
  /** A sample line: name, labels, value, optional timestamp (and, in OpenMetrics, exemplar). */
  Series: 1,
  /** A `# HELP name text` line. */
  Help: 2,
  /** A `# TYPE name type` line. */
  Type: 3,
  /** A `# UNIT name unit` line (OpenMetrics only). */
  Unit: 4,
  /** Any other comment line (text format only; OpenMetrics has no free comments). */
  Comment: 5,
} as const;

/** The numeric kind of an entry; compare with the members of {@link EntryType}. */
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

const NAME_START = 1;
const NAME_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  if (letter || c === 58) CLASS[c]! |= NAME_START | NAME_CHAR;
  if (digit) CLASS[c]! |= NAME_CHAR | LABEL_CHAR;
  if (letter) CLASS[c]! |= LABEL_START | LABEL_CHAR;
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const EXEMPLAR_MAX_RUNES = 128;

const TEXT_TYPES: Readonly<Record<string, MetricType>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  summary: "summary",
  untyped: "unknown",
};

const OM_TYPES: Readonly<Record<string, MetricType>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  gaugehistogram: "gaugehistogram",
  summary: "summary",
  info: "info",
  stateset: "stateset",
  unknown: "unknown",
};

const FAMILY_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ["_total", "_created"],
  gauge: [""],
  histogram: ["_bucket", "_count", "_sum", "_created"],
  gaugehistogram: ["_bucket", "_gcount", "_gsum"],
  summary: ["", "_count", "_sum", "_created"],
  info: ["_info"],
  stateset: [""],
  unknown: [""],
};

/** The first position at or after `p` that is not a space or tab. */
function skipBlanks(s: string, p: number, n: number): number {
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c !== 32 && c !== 9) break;
    p++;
  }
  return p;
}

/** The first position at or after `p` whose character is not in the ASCII class `cls`. */
function skipClass(s: string, p: number, n: number, cls: number): number {
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c >= 128 || !(CLASS[c]! & cls)) break;
    p++;
  }
  return p;
}

/** The end of a token: the first space or newline (or tab, when `tabs` is set) at or after `p`. */
function skipToken(s: string, p: number, n: number, tabs: boolean): number {
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c === 32 || c === 10 || (tabs && c === 9)) break;
    p++;
  }
  return p;
}

/** Offsets of parsed labels into the body: per label name start/end and value start/end, plus flags. */
class LabelOffsets {
  pos = new Int32Array(64);
  flags = new Uint8Array(16);
  count = 0;

  push(ns: number, ne: number, vs: number, ve: number, flags: number): void {
    const i = this.count;
    if (i === this.flags.length) {
      const pos = new Int32Array(this.pos.length * 2);
      pos.set(this.pos);
      this.pos = pos;
      const fl = new Uint8Array(this.flags.length * 2);
      fl.set(this.flags);
      this.flags = fl;
    }
    const o = i * 4;
    this.pos[o] = ns;
    this.pos[o + 1] = ne;
    this.pos[o + 2] = vs;
    this.pos[o + 3] = ve;
    this.flags[i] = flags;
    this.count = i + 1;
  }
}

const ESC_NAME = 1;
const ESC_VALUE = 2;

/**
 * Replaces the escapes `\\`, `\n` and (when `quotes` is set) `\"` in `s[start, end)`; any other
 * backslash is kept as written.
 */
function unescapeRange(s: string, start: number, end: number, quotes: boolean): string {
  let out = "";
  let last = start;
  for (let i = start; i < end - 1; i++) {
    if (s.charCodeAt(i) !== 92) continue;
    const d = s.charCodeAt(i + 1);
    const r = d === 92 ? "\\" : d === 110 ? "\n" : d === 34 && quotes ? '"' : undefined;
    if (r === undefined) continue;
    out += s.slice(last, i) + r;
    i++;
    last = i + 1;
  }
  return out + s.slice(last, end);
}

function describe(s: string, p: number): string {
  if (p >= s.length) return "end of input";
  const c = s.charCodeAt(p);
  if (c === 10) return "newline";
  return JSON.stringify(String.fromCodePoint(s.codePointAt(p)!));
}

function belongsToFamily(name: string, family: string, type: MetricType): boolean {
  if (!name.startsWith(family)) return false;
  const rest = name.length - family.length;
  for (const suffix of FAMILY_SUFFIXES[type]) {
    if (suffix.length === rest && name.endsWith(suffix)) return true;
  }
  return false;
}

/**
 * A pull parser for one exposition body, in the spirit of Prometheus's `textparse`: call
 * {@link next} until it returns {@link EntryType.EOF}, and read the current entry through the
 * accessors. The accessors are lazy: a sample costs no string allocation unless its name, labels or
 * series text are asked for, and {@link labels} fills one reused array.
 *
 * Text format 0.0.4: comments, `# HELP` (escapes `\\`, `\n`), `# TYPE` (counter, gauge, histogram,
 * summary, untyped), label escapes `\\`, `\"`, `\n`, optional integer millisecond timestamps,
 * blank lines, spaces and tabs around tokens, a trailing comma in label lists, a missing final
 * newline. OpenMetrics 1.0: single spaces only, `# UNIT`, the OpenMetrics types, float-second
 * timestamps (returned as milliseconds), exemplars, a required final `# EOF`, no interleaved
 * families, sample names checked against their family's type. Both accept Prometheus 3's quoted
 * UTF-8 names (`{"my.metric", "my.label"="v"}`).
 *
 * Strictness: label values (and OpenMetrics help text) allow only the escapes `\\`, `\"` and `\n`;
 * text-format help text keeps any other backslash as written, as Prometheus does. OpenMetrics
 * exemplars are accepted only on counter `_total` and (gauge)histogram `_bucket` samples, with at
 * most 128 characters of label names and values. OpenMetrics timestamps are rounded to the nearest
 * millisecond (Prometheus truncates). Text timestamps must be non-negative safe integers.
 * Stricter than Prometheus's text parser: labels need commas between them, a bare metric name
 * needs whitespace before its value, and a NUL byte outside quotes is an error, not an end of input.
 *
 * Not the parser's concern: duplicate series in one body and duplicate label names within a series
 * (the scrape loop detects both), and the order of lines in the text format (any order is legal).
 * Errors throw {@link ExpositionParseError}; after an error every further `next()` throws it again.
 *
 * @example
 * const p = new ExpositionParser('up{job="node"} 1\n', "text");
 * while (p.next() !== EntryType.EOF) if (p.entry === EntryType.Series) use(p.series(), p.value());
 */
export class ExpositionParser {
  /** The format this parser reads. */
  readonly format: ExpositionFormat;
  /** The kind of the current entry (what the last {@link next} returned). */
  entry: EntryType = EntryType.EOF;

  private readonly s: string;
  private readonly n: number;
  private readonly om: boolean;
  private pos = 0;
  private lineNo = 1;
  private lineStart = 0;
  private finished = false;
  private failure: ExpositionParseError | undefined = undefined;

  private entryStart = 0;
  private entryLine = 1;
  private nameStart = 0;
  private nameEnd = 0;
  private nameEscaped = false;
  private seriesEnd = 0;
  private readonly lab = new LabelOffsets();
  private readonly exLab = new LabelOffsets();
  private readonly labelsOut: string[] = [];
  private readonly exLabelsOut: string[] = [];
  private val = 0;
  private ts: number | undefined = undefined;
  private hasEx = false;
  private exVal = 0;
  private exTs: number | undefined = undefined;
  private textStart = 0;
  private textEnd = 0;
  private textEscaped = false;
  private mtype: MetricType = "unknown";

  private qEsc = false;
  private fm = 0;
  private ff = 0;
  private fneg = false;

  private family = "";
  private familyType: MetricType = "unknown";
  private lastSample = "";
  private readonly familySamples: string[] = [];
  private readonly closedFamilies = new Set<string>();
  private readonly sampleFamily = new Map<string, string>();

  /** Starts parsing `body` (already decoded text) in the given format. */
  constructor(body: string, format: ExpositionFormat) {
    this.s = body;
    this.n = body.length;
    this.format = format;
    this.om = format === "openmetrics";
  }

  /**
   * Advances to the next entry and returns its kind. Returns {@link EntryType.EOF} at the end
   * (and on every later call); throws {@link ExpositionParseError} on malformed input.
   */
  next(): EntryType {
    if (this.failure !== undefined) throw this.failure;
    if (this.finished) {
      this.entry = EntryType.EOF;
      return this.entry;
    }
    try {
      this.entry = this.om ? this.nextOM() : this.nextText();
      return this.entry;
    } catch (e) {
      if (e instanceof ExpositionParseError) this.failure = e;
      throw e;
    }
  }

  /** The 1-based line of the current entry. */
  lineNumber(): number {
    return this.entryLine;
  }

  /** The metric name of a series, or the family name of a Help, Type or Unit entry. */
  name(): string {
    return this.nameEscaped
      ? unescapeRange(this.s, this.nameStart, this.nameEnd, true)
      : this.s.slice(this.nameStart, this.nameEnd);
  }

  /**
   * The labels of the current series as flat name/value pairs in order of appearance, without
   * the metric name. The array is reused by the next call: copy it to keep it.
   */
  labels(): readonly string[] {
    return this.materialize(this.lab, this.labelsOut);
  }

  /** The value of the current series (NaN and ±Inf included). */
  value(): number {
    return this.val;
  }

  /** The timestamp of the current series in milliseconds, or undefined when the line has none. */
  timestamp(): number | undefined {
    return this.ts;
  }

  /**
   * The text of the series as written before the value, e.g. `foo{a="b"}`: a cache key for the
   * series (equal text means equal series; different text may still be the same series).
   */
  series(): string {
    return this.s.slice(this.entryStart, this.seriesEnd);
  }

  /** True when the current OpenMetrics series carries an exemplar. */
  hasExemplar(): boolean {
    return this.hasEx;
  }

  /** The exemplar's labels as flat name/value pairs; reused like {@link labels}. */
  exemplarLabels(): readonly string[] {
    return this.materialize(this.exLab, this.exLabelsOut);
  }

  /** The exemplar's value. */
  exemplarValue(): number {
    return this.exVal;
  }

  /** The exemplar's timestamp in milliseconds, or undefined when it has none. */
  exemplarTimestamp(): number | undefined {
    return this.exTs;
  }

  /** The help text (unescaped), the unit, or the whole comment line (from `#`), per entry kind. */
  text(): string {
    if (!this.textEscaped) return this.s.slice(this.textStart, this.textEnd);
    return unescapeRange(this.s, this.textStart, this.textEnd, this.om);
  }

  /** The metric type of a Type entry (`untyped` is reported as `unknown`, as Prometheus does). */
  type(): MetricType {
    return this.mtype;
  }

  private materialize(lo: LabelOffsets, out: string[]): string[] {
    const s = this.s;
    const pos = lo.pos;
    out.length = lo.count * 2;
    for (let i = 0; i < lo.count; i++) {
      const o = i * 4;
      const f = lo.flags[i]!;
      out[i * 2] =
        f & ESC_NAME ? unescapeRange(s, pos[o]!, pos[o + 1]!, true) : s.slice(pos[o]!, pos[o + 1]!);
      out[i * 2 + 1] =
        f & ESC_VALUE ? unescapeRange(s, pos[o + 2]!, pos[o + 3]!, true) : s.slice(pos[o + 2]!, pos[o + 3]!);
    }
    return out;
  }

  private fail(p: number, reason: string, got = true): never {
    const s = this.s;
    let line = this.lineNo;
    let ls = this.lineStart;
    const end = Math.min(p, this.n);
    for (let i = ls; i < end; i++) {
      if (s.charCodeAt(i) === 10) {
        line++;
        ls = i + 1;
      }
    }
    let msg = reason;
    if (got) {
      let eol = s.indexOf("\n", ls);
      if (eol < 0) eol = this.n;
      const stop = Math.min(p + 1, eol);
      const from = Math.max(ls, stop - 80);
      const ctx = (from > ls ? "…" : "") + s.slice(from, stop);
      msg += `, got ${describe(s, p)} while parsing: ${JSON.stringify(ctx)}`;
    }
    throw new ExpositionParseError(line, p - ls + 1, msg);
  }

  private endLine(p: number): void {
    this.pos = p + 1;
    this.lineNo++;
    this.lineStart = p + 1;
  }

  // ---- text format 0.0.4 ----

  private nextText(): EntryType {
    const s = this.s;
    const n = this.n;
    let p = this.pos;
    for (;;) {
      let c = 0;
      p = skipBlanks(s, p, n);
      c = p < n ? s.charCodeAt(p) : -1;
      if (p >= n) {
        this.pos = n;
        this.finished = true;
        return EntryType.EOF;
      }
      if (c === 10) {
        p++;
        this.lineNo++;
        this.lineStart = p;
        continue;
      }
      this.entryStart = p;
      this.entryLine = this.lineNo;
      if (c === 35) return this.textComment(p);
      return this.textSeries(p, c);
    }
  }

  private textComment(p: number): EntryType {
    const s = this.s;
    const n = this.n;
    let q = p + 1;
    const c = q < n ? s.charCodeAt(q) : -1;
    if (c === 32 || c === 9) {
      q = skipBlanks(s, q, n);
      const kw = q + 4 < n ? s.charCodeAt(q + 4) : -1;
      if (kw === 32 || kw === 9) {
        const help = s.startsWith("HELP", q);
        if (help || s.startsWith("TYPE", q)) {
          return this.textMeta(skipBlanks(s, q + 5, n), help);
        }
      }
    }
    let e = s.indexOf("\n", p);
    if (e < 0) e = n;
    this.textStart = p;
    this.textEnd = e;
    this.textEscaped = false;
    this.endLine(e);
    return EntryType.Comment;
  }

  private textMeta(p: number, help: boolean): EntryType {
    const s = this.s;
    const n = this.n;
    p = this.metaName(p, help ? "HELP" : "TYPE");
    let e = s.indexOf("\n", p);
    if (e < 0) e = n;
    if (p < e) {
      const c = s.charCodeAt(p);
      if (c !== 32 && c !== 9) this.fail(p, "expected whitespace after the metric name");
      p++;
    }
    if (help) {
      this.textStart = p;
      this.textEnd = e;
      let esc = false;
      for (let i = p; i < e; i++) {
        if (s.charCodeAt(i) === 92) {
          esc = true;
          break;
        }
      }
      this.textEscaped = esc;
      this.endLine(e);
      return EntryType.Help;
    }
    let a = p;
    let b = e;
    while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
    while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
    const word = s.slice(a, b);
    const t = Object.hasOwn(TEXT_TYPES, word) ? TEXT_TYPES[word] : undefined;
    if (t === undefined) this.fail(a, `invalid metric type ${JSON.stringify(word)}`, false);
    this.mtype = t;
    this.textStart = a;
    this.textEnd = b;
    this.textEscaped = false;
    this.endLine(e);
    return EntryType.Type;
  }

  /** Reads a metadata name (plain or quoted) at `p`; returns the position after it. */
  private metaName(p: number, what: string): number {
    const s = this.s;
    const n = this.n;
    const c = p < n ? s.charCodeAt(p) : -1;
    if (c === 34) {
      const q = this.scanQuoted(p, "metric name");
      if (q - p === 2) this.fail(p, "empty metric name", false);
      this.nameStart = p + 1;
      this.nameEnd = q - 1;
      this.nameEscaped = this.qEsc;
      return q;
    }
    if (c < 0 || c >= 128 || !(CLASS[c]! & NAME_START)) this.fail(p, `expected metric name after ${what}`);
    this.nameStart = p;
    p++;
    p = skipClass(s, p, n, NAME_CHAR);
    this.nameEnd = p;
    this.nameEscaped = false;
    return p;
  }

  private textSeries(p: number, c: number): EntryType {
    const s = this.s;
    const n = this.n;
    this.lab.count = 0;
    let afterBrace = false;
    if (c < 128 && CLASS[c]! & NAME_START) {
      this.nameStart = p;
      p++;
      p = skipClass(s, p, n, NAME_CHAR);
      this.nameEnd = p;
      this.nameEscaped = false;
      this.seriesEnd = p;
      const q = skipBlanks(s, p, n);
      if (q < n && s.charCodeAt(q) === 123) {
        p = this.parseLabels(q + 1, this.lab, false);
        this.seriesEnd = p;
        afterBrace = true;
      }
    } else if (c === 123) {
      this.nameStart = -1;
      p = this.parseLabels(p + 1, this.lab, false);
      if (this.nameStart < 0) this.fail(this.entryStart, "metric name not set", false);
      this.seriesEnd = p;
      afterBrace = true;
    } else {
      this.fail(p, "expected a metric name or a comment");
    }

    let q = skipBlanks(s, p, n);
    c = q < n ? s.charCodeAt(q) : -1;
    if (q >= n || c === 10) this.fail(q, "expected value after metric");
    if (q === p && !afterBrace) this.fail(p, 'expected whitespace or "{" after the metric name');
    const vs = q;
    q = skipToken(s, q, n, true);
    this.val = this.parseNumber(vs, q, "value");

    p = skipBlanks(s, q, n);
    c = p < n ? s.charCodeAt(p) : -1;
    if (p >= n) {
      this.ts = undefined;
      this.pos = n;
      return EntryType.Series;
    }
    if (c === 10) {
      this.ts = undefined;
      this.endLine(p);
      return EntryType.Series;
    }
    const ts = p;
    let m = 0;
    let digitsOnly = true;
    for (; p < n; p++) {
      c = s.charCodeAt(p);
      if (c === 32 || c === 9 || c === 10) break;
      const d = c - 48;
      if (d < 0 || d > 9) digitsOnly = false;
      else m = m * 10 + d;
    }
    if (!digitsOnly) {
      this.fail(ts, `invalid timestamp ${JSON.stringify(s.slice(ts, Math.min(p, ts + 40)))}`, false);
    }
    if (m > MAX_SAFE) this.fail(ts, "timestamp out of range", false);
    this.ts = m;
    p = skipBlanks(s, p, n);
    c = p < n ? s.charCodeAt(p) : -1;
    if (p >= n) {
      this.pos = n;
      return EntryType.Series;
    }
    if (c !== 10) this.fail(p, "expected end of line after timestamp");
    this.endLine(p);
    return EntryType.Series;
  }

  // ---- shared pieces ----

  /**
   * Parses a label list after `{` up to and including `}`; returns the position after `}`.
   * Quoted names followed by `,` or `}` set the metric name (not in exemplars).
   */
  private parseLabels(p: number, into: LabelOffsets, exemplar: boolean): number {
    const s = this.s;
    const n = this.n;
    const ws = !this.om;
    for (;;) {
      let c = 0;
      if (ws) p = skipBlanks(s, p, n);
      c = p < n ? s.charCodeAt(p) : -1;
      if (c === 125) return p + 1;
      let ns: number;
      let ne: number;
      let flags = 0;
      if (c >= 0 && c < 128 && CLASS[c]! & LABEL_START) {
        ns = p;
        p++;
        p = skipClass(s, p, n, LABEL_CHAR);
        ne = p;
      } else if (c === 34) {
        const open = p;
        p = this.scanQuoted(p, "label name");
        ns = open + 1;
        ne = p - 1;
        if (this.qEsc) flags = ESC_NAME;
        let q = p;
        if (ws) q = skipBlanks(s, q, n);
        const d = q < n ? s.charCodeAt(q) : -1;
        if (d === 44 || d === 125) {
          if (exemplar) this.fail(open, "exemplar labels cannot name a metric", false);
          if (this.nameStart >= 0) this.fail(open, "metric name already set", false);
          if (ne === ns) this.fail(open, "empty metric name", false);
          this.nameStart = ns;
          this.nameEnd = ne;
          this.nameEscaped = flags !== 0;
          flags = 0;
          if (d === 125) return q + 1;
          p = q + 1;
          continue;
        }
        if (ne === ns) this.fail(open, "empty label name", false);
      } else {
        this.fail(p, "expected label name");
      }
      if (ws) p = skipBlanks(s, p, n);
      if (p >= n || s.charCodeAt(p) !== 61) this.fail(p, 'expected "=" after label name');
      p++;
      if (ws) p = skipBlanks(s, p, n);
      if (p >= n || s.charCodeAt(p) !== 34) this.fail(p, "expected quoted label value");
      const vs = p + 1;
      p = this.scanQuoted(p, "label value");
      if (this.qEsc) flags |= ESC_VALUE;
      into.push(ns, ne, vs, p - 1, flags);
      if (ws) p = skipBlanks(s, p, n);
      c = p < n ? s.charCodeAt(p) : -1;
      if (c === 44) p++;
      else if (c !== 125) this.fail(p, 'expected "," or "}" after label value');
    }
  }

  /**
   * Scans a double-quoted string starting at the quote `p`; returns the position after the
   * closing quote and sets `qEsc` when it holds escapes. Only `\\`, `\"` and `\n` are allowed.
   */
  private scanQuoted(p: number, what: string): number {
    const s = this.s;
    const n = this.n;
    const open = p;
    let esc = false;
    p++;
    for (;;) {
      if (p >= n) this.fail(open, `unterminated ${what}`, false);
      const c = s.charCodeAt(p);
      if (c === 34) {
        this.qEsc = esc;
        return p + 1;
      }
      if (c === 92) {
        const d = p + 1 < n ? s.charCodeAt(p + 1) : -1;
        if (d === -1 || d === 10) this.fail(open, `unterminated ${what}`, false);
        if (d !== 92 && d !== 34 && d !== 110) {
          this.fail(p, `invalid escape sequence ${JSON.stringify(s.slice(p, p + 2))} in ${what}`, false);
        }
        esc = true;
        p += 2;
        continue;
      }
      if (c === 10) this.fail(open, `unterminated ${what}`, false);
      p++;
    }
  }

  /**
   * Recognises a plain decimal (`[+-]digits[.digits]`, at most 15 digits) in `s[start, end)`,
   * leaving mantissa, fraction digits and sign in `fm`, `ff`, `fneg`.
   */
  private scanDecimal(start: number, end: number): boolean {
    const s = this.s;
    let i = start;
    let c = s.charCodeAt(i);
    let neg = false;
    if (c === 45) {
      neg = true;
      i++;
    } else if (c === 43) {
      i++;
    }
    let m = 0;
    let digits = 0;
    let frac = -1;
    for (; i < end; i++) {
      c = s.charCodeAt(i);
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        m = m * 10 + d;
        digits++;
        if (frac >= 0) frac++;
      } else if (c === 46 && frac < 0) {
        frac = 0;
      } else {
        return false;
      }
    }
    if (digits === 0 || digits > 15) return false;
    this.fm = m;
    this.ff = Math.max(frac, 0);
    this.fneg = neg;
    return true;
  }

  /** Parses a sample or exemplar value the way Go's ParseFloat does (no hex, no underscores). */
  private parseNumber(start: number, end: number, what: string): number {
    if (start < end && this.scanDecimal(start, end)) {
      const v = this.fm / POW10[this.ff]!;
      return this.fneg ? -v : v;
    }
    return this.parseNumberSlow(start, end, what, true);
  }

  private parseNumberSlow(start: number, end: number, what: string, special: boolean): number {
    const s = this.s;
    if (start >= end) this.fail(start, `expected ${what}`);
    const token = s.slice(start, end);
    const invalid = (): never =>
      this.fail(
        start,
        `invalid ${what} ${JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token)}`,
        false,
      );
    let i = 0;
    let c = token.charCodeAt(0);
    let sign = 0;
    if (c === 43 || c === 45) {
      sign = c === 45 ? -1 : 1;
      i++;
    }
    const rest = token.length - i;
    if (rest === 3 || rest === 8) {
      const w = token.slice(i).toLowerCase();
      if (w === "inf" || w === "infinity") {
        if (!special) invalid();
        return sign < 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      }
      if (w === "nan" && sign === 0) {
        if (!special) invalid();
        return Number.NaN;
      }
    }
    let mant = 0;
    for (; i < token.length; i++) {
      c = token.charCodeAt(i);
      if (c >= 48 && c <= 57) mant++;
      else break;
    }
    if (c === 46 && i < token.length) {
      for (i++; i < token.length; i++) {
        c = token.charCodeAt(i);
        if (c >= 48 && c <= 57) mant++;
        else break;
      }
    }
    if (mant === 0) invalid();
    if (i < token.length) {
      if (c !== 101 && c !== 69) invalid();
      i++;
      c = token.charCodeAt(i);
      if (c === 43 || c === 45) i++;
      let exp = 0;
      for (; i < token.length; i++) {
        c = token.charCodeAt(i);
        if (c >= 48 && c <= 57) exp++;
        else break;
      }
      if (exp === 0 || i < token.length) invalid();
    }
    const v = Number(token);
    if (!Number.isFinite(v)) this.fail(start, `${what} ${JSON.stringify(token)} out of range`, false);
    return v;
  }

  /** Parses an OpenMetrics timestamp (float seconds) into integer milliseconds. */
  private parseSeconds(start: number, end: number, what: string): number {
    if (start < end && this.scanDecimal(start, end) && this.ff <= 3) {
      const ms = this.fm * POW10[3 - this.ff]!;
      if (ms <= MAX_SAFE) return this.fneg ? -ms + 0 : ms;
    }
    const v = this.parseNumberSlow(start, end, what, false);
    const ms = Math.round(v * 1000) + 0;
    if (!Number.isSafeInteger(ms)) this.fail(start, `${what} out of range`, false);
    return ms;
  }

  // ---- OpenMetrics 1.0 ----

  private nextOM(): EntryType {
    const s = this.s;
    const p = this.pos;
    this.entryStart = p;
    this.entryLine = this.lineNo;
    if (p >= this.n) this.fail(p, 'data does not end with "# EOF"', false);
    const c = s.charCodeAt(p);
    if (c === 35) return this.omComment(p);
    if (c === 10) this.fail(p, "empty lines are not allowed in OpenMetrics", false);
    return this.omSeries(p, c);
  }

  private omComment(p: number): EntryType {
    const s = this.s;
    const n = this.n;
    if (s.charCodeAt(p + 1) !== 32) {
      this.fail(p + 1, 'expected a space after "#" (OpenMetrics allows only HELP, TYPE, UNIT and EOF)');
    }
    let q = p + 2;
    if (s.startsWith("EOF", q)) {
      const e = q + 3;
      if (e === n || (e + 1 === n && s.charCodeAt(e) === 10)) {
        this.pos = n;
        this.finished = true;
        return EntryType.EOF;
      }
      if (s.charCodeAt(e) === 10) this.fail(e + 1, 'unexpected data after "# EOF"', false);
      this.fail(e, 'expected end of line after "# EOF"');
    }
    let kind: EntryType;
    let what: string;
    if (s.startsWith("HELP ", q)) {
      kind = EntryType.Help;
      what = "HELP";
    } else if (s.startsWith("TYPE ", q)) {
      kind = EntryType.Type;
      what = "TYPE";
    } else if (s.startsWith("UNIT ", q)) {
      kind = EntryType.Unit;
      what = "UNIT";
    } else {
      this.fail(q, 'expected HELP, TYPE, UNIT or EOF after "# " (OpenMetrics has no free comments)');
    }
    q = this.metaName(q + 5, what);
    const e = s.indexOf("\n", q);
    if (e < 0) this.fail(n, 'data does not end with "# EOF"', false);
    if (s.charCodeAt(q) !== 32) this.fail(q, `expected a space and text after the metric name in ${what}`);
    q++;
    this.textStart = q;
    this.textEnd = e;
    this.textEscaped = false;
    const famName = this.name();
    this.enterFamily(famName, this.nameStart);
    if (kind === EntryType.Help) {
      for (let i = q; i < e; i++) {
        if (s.charCodeAt(i) !== 92) continue;
        const d = s.charCodeAt(i + 1);
        if (d !== 92 && d !== 34 && d !== 110) {
          this.fail(i, `invalid escape sequence ${JSON.stringify(s.slice(i, i + 2))} in help text`, false);
        }
        this.textEscaped = true;
        i++;
      }
    } else if (kind === EntryType.Type) {
      const word = s.slice(q, e);
      const t = Object.hasOwn(OM_TYPES, word) ? OM_TYPES[word] : undefined;
      if (t === undefined) this.fail(q, `invalid metric type ${JSON.stringify(word)}`, false);
      this.mtype = t;
      this.familyType = t;
      this.lastSample = "";
      this.familySamples.length = 0;
    } else {
      const unit = s.slice(q, e);
      if (unit !== "" && !(famName.length > unit.length && famName.endsWith(`_${unit}`))) {
        this.fail(
          q,
          `unit ${JSON.stringify(unit)} is not a suffix of metric ${JSON.stringify(famName)}`,
          false,
        );
      }
    }
    this.endLine(e);
    return kind;
  }

  /** Makes `name` the current family, refusing a family that was already closed. */
  private enterFamily(name: string, at: number): void {
    if (name === this.family) return;
    if (this.closedFamilies.has(name)) {
      this.fail(
        at,
        `metric family ${JSON.stringify(name)} appears again after another family; OpenMetrics families must not be interleaved`,
        false,
      );
    }
    if (this.family !== "") this.closedFamilies.add(this.family);
    this.family = name;
    this.familyType = "unknown";
    this.lastSample = "";
    this.familySamples.length = 0;
  }

  private omSeries(p: number, c: number): EntryType {
    const s = this.s;
    const n = this.n;
    this.lab.count = 0;
    this.hasEx = false;
    this.exTs = undefined;
    if (c < 128 && CLASS[c]! & NAME_START) {
      this.nameStart = p;
      p++;
      p = skipClass(s, p, n, NAME_CHAR);
      this.nameEnd = p;
      this.nameEscaped = false;
      if (p < n && s.charCodeAt(p) === 123) p = this.parseLabels(p + 1, this.lab, false);
    } else if (c === 123) {
      this.nameStart = -1;
      p = this.parseLabels(p + 1, this.lab, false);
      if (this.nameStart < 0) this.fail(this.entryStart, "metric name not set", false);
    } else {
      this.fail(p, "expected a metric name or a comment");
    }
    this.seriesEnd = p;
    this.checkSampleFamily();

    if (p >= n) this.fail(p, 'data does not end with "# EOF"', false);
    if (s.charCodeAt(p) !== 32) this.fail(p, "expected a single space before the value");
    let q = skipToken(s, ++p, n, false);
    c = q < n ? s.charCodeAt(q) : -1;
    this.val = this.parseNumber(p, q, "value");
    if (q >= n) this.fail(q, 'data does not end with "# EOF"', false);
    this.ts = undefined;
    if (c === 32) {
      p = q + 1;
      if (s.charCodeAt(p) === 35) {
        q = this.omExemplar(p);
      } else {
        q = skipToken(s, p, n, false);
        c = q < n ? s.charCodeAt(q) : -1;
        this.ts = this.parseSeconds(p, q, "timestamp");
        if (q >= n) this.fail(q, 'data does not end with "# EOF"', false);
        if (c === 32) q = this.omExemplar(q + 1);
      }
    }
    this.endLine(q);
    return EntryType.Series;
  }

  /** Parses ` # {labels} value [timestamp]` from the `#` at `p`; returns the newline position. */
  private omExemplar(p: number): number {
    const s = this.s;
    const n = this.n;
    if (!s.startsWith("# {", p)) this.fail(p, 'expected timestamp or exemplar (" # {")');
    const at = p;
    this.exLab.count = 0;
    p = this.parseLabels(p + 3, this.exLab, true);
    if (p >= n) this.fail(p, 'data does not end with "# EOF"', false);
    if (s.charCodeAt(p) !== 32) this.fail(p, "expected a single space before the exemplar value");
    let q = skipToken(s, ++p, n, false);
    let c = q < n ? s.charCodeAt(q) : -1;
    this.exVal = this.parseNumber(p, q, "exemplar value");
    if (q < n && c === 32) {
      p = q + 1;
      q = skipToken(s, p, n, false);
      c = q < n ? s.charCodeAt(q) : -1;
      this.exTs = this.parseSeconds(p, q, "exemplar timestamp");
      if (q < n && c === 32) this.fail(q, "expected end of line after exemplar timestamp");
    }
    if (q >= n) this.fail(q, 'data does not end with "# EOF"', false);
    this.hasEx = true;
    const name = this.lastSample;
    const t = this.familyType;
    const ok =
      (t === "counter" && name.endsWith("_total")) ||
      ((t === "histogram" || t === "gaugehistogram") && name.endsWith("_bucket"));
    if (!ok) {
      this.fail(at, "exemplars are only allowed on counter _total and histogram _bucket samples", false);
    }
    let runes = 0;
    for (const part of this.exemplarLabels()) for (const _ of part) runes++;
    if (runes > EXEMPLAR_MAX_RUNES) {
      this.fail(at, `exemplar labels have ${runes} characters, more than ${EXEMPLAR_MAX_RUNES}`, false);
    }
    return q;
  }

  /** Checks that the current sample belongs to the current family or opens a new, unseen one. */
  private checkSampleFamily(): void {
    const s = this.s;
    const len = this.nameEnd - this.nameStart;
    if (!this.nameEscaped) {
      const last = this.lastSample;
      if (len === last.length && s.startsWith(last, this.nameStart)) return;
      for (const known of this.familySamples) {
        if (len === known.length && s.startsWith(known, this.nameStart)) {
          this.lastSample = known;
          return;
        }
      }
    }
    const name = this.name();
    const at = this.nameStart;
    if (!belongsToFamily(name, this.family, this.familyType)) {
      if (name === this.family) {
        const want = FAMILY_SUFFIXES[this.familyType].filter((x) => x !== "").join(", ");
        this.fail(
          at,
          `sample name ${JSON.stringify(name)} is not valid in ${this.familyType} family ${JSON.stringify(name)} (expected suffix ${want})`,
          false,
        );
      }
      this.enterFamily(name, at);
    }
    const prev = this.sampleFamily.get(name);
    if (prev === undefined) this.sampleFamily.set(name, this.family);
    else if (prev !== this.family) {
      this.fail(
        at,
        `metric ${JSON.stringify(name)} of family ${JSON.stringify(prev)} appears again after another family; OpenMetrics families must not be interleaved`,
        false,
      );
    }
    this.lastSample = name;
    if (this.familySamples.length < 8) this.familySamples.push(name);
  }
}

/** A parser for the Prometheus text format 0.0.4. */
export class TextParser extends ExpositionParser {
  /** Starts parsing a text-format body. */
  constructor(body: string) {
    super(body, "text");
  }
}

/** A parser for the OpenMetrics 1.0 text format. */
export class OpenMetricsParser extends ExpositionParser {
  /** Starts parsing an OpenMetrics body. */
  constructor(body: string) {
    super(body, "openmetrics");
  }
}

/** One sample as {@link parseExposition} returns it. */
export interface ParsedSample {
  readonly name: string;
  /** Flat name/value pairs in order of appearance, without the metric name. */
  readonly labels: readonly string[];
  readonly value: number;
  /** Milliseconds, when the line carried a timestamp. */
  readonly timestamp?: number;
  /** The OpenMetrics exemplar, when the line carried one. */
  readonly exemplar?: {
    readonly labels: readonly string[];
    readonly value: number;
    readonly timestamp?: number;
  };
}

/**
 * Parses a whole body into samples (metadata and comments are skipped). A convenience for tests
 * and tools; the scrape loop uses the pull API, which allocates far less.
 * @example parseExposition("up 1\n", "text") // [{ name: "up", labels: [], value: 1 }]
 */
export function parseExposition(body: string, format: ExpositionFormat): ParsedSample[] {
  const p = new ExpositionParser(body, format);
  const out: ParsedSample[] = [];
  for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
    if (e !== EntryType.Series) continue;
    const ts = p.timestamp();
    const sample: {
      name: string;
      labels: readonly string[];
      value: number;
      timestamp?: number;
      exemplar?: ParsedSample["exemplar"];
    } = { name: p.name(), labels: p.labels().slice(), value: p.value() };
    if (ts !== undefined) sample.timestamp = ts;
    if (p.hasExemplar()) {
      const et = p.exemplarTimestamp();
      sample.exemplar = {
        labels: p.exemplarLabels().slice(),
        value: p.exemplarValue(),
        ...(et === undefined ? {} : { timestamp: et }),
      };
    }
    out.push(sample);
  }
  return out;
}
