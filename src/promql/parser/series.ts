import { type Labels, labelsFromRecord, METRIC_NAME, STALE_NAN } from "../../model/index.js";
import { goQuote, type Token, unquote } from "./lexer.js";
import { newSeriesParser, parseNumberLiteral } from "./parser.js";

/** A run of consecutive buckets of a native histogram: `length` buckets starting `offset` after the previous run. */
export interface HistogramSpan {
  offset: number;
  length: number;
}

/** The counter-reset hint of a native histogram. */
export type CounterResetHint = "unknown" | "reset" | "not_reset" | "gauge";

/**
 * A native histogram written as a `{{...}}` literal in a test script, in Prometheus's
 * FloatHistogram shape: bucket counts are absolute (not deltas).
 */
export interface HistogramLiteral {
  schema: number;
  count: number;
  sum: number;
  zeroThreshold: number;
  zeroCount: number;
  positiveSpans: HistogramSpan[];
  positiveBuckets: number[];
  negativeSpans: HistogramSpan[];
  negativeBuckets: number[];
  /** Upper bounds of custom buckets (schema -53), empty otherwise. */
  customValues: number[];
  counterResetHint: CounterResetHint;
}

/** One slot of a series description: a float, a histogram, or omitted (`_`). */
export interface SequenceValue {
  /** The float value (the stale marker for `stale`); 0 for histograms and omitted slots. */
  value: number;
  /** True for `_`: the slot consumes a step but stores nothing. */
  omitted: boolean;
  /** The histogram of this slot, or null for floats and omitted slots. */
  histogram: HistogramLiteral | null;
  /** True when the histogram literal spelled out `counter_reset_hint:...`. */
  counterResetHintSet: boolean;
}

/** A parsed series description line. */
export interface SeriesDesc {
  labels: Labels;
  values: SequenceValue[];
}

type SeriesParser = ReturnType<typeof newSeriesParser>;

const CUSTOM_BUCKETS_SCHEMA = -53;

/**
 * Parses the series notation of PromQL test scripts and rule unit tests:
 * `metric{a="b"} 1+2x3 _ stale 4x2 {{schema:0 sum:5 count:4 buckets:[1 2 1]}}`.
 * `a+bxN` expands to N+1 values, `_xN` to N omitted slots. Errors are `ParseError`s.
 * @example parseSeriesDesc('up{job="a"} 0+10x2').values.map((v) => v.value) // [0, 10, 20]
 */
export function parseSeriesDesc(input: string): SeriesDesc {
  const p = newSeriesParser(input);
  const labels = parseMetric(p);
  const values: SequenceValue[] = [];
  for (;;) {
    const t = p.peek();
    if (t.type === "EOF") break;
    if (t.type !== "SPACE") p.unexpected("series values", "");
    p.next();
    const n = p.peek();
    if (n.type === "EOF" || n.type === "SPACE") continue;
    parseSeriesItem(p, values);
  }
  return { labels, values };
}

function parseMetric(p: SeriesParser): Labels {
  const rec: Record<string, string> = {};
  let name: string | null = null;
  const t = p.peek();
  if (t.type !== "LEFT_BRACE") {
    if (t.type === "EOF" || t.type === "SPACE" || t.type === "NUMBER" || t.type === "STRING")
      p.unexpected("", "");
    name = p.next().val;
  }
  if (p.peek().type === "LEFT_BRACE") {
    p.next();
    for (;;) {
      const k = p.peek();
      if (k.type === "RIGHT_BRACE") {
        p.next();
        break;
      }
      if (k.type !== "IDENTIFIER" && k.type !== "STRING") p.unexpected("label set", 'identifier or "}"');
      p.next();
      const key = k.type === "STRING" ? unquote(k.val) : k.val;
      if (p.peek().type !== "EQL") {
        if (k.type === "STRING") name = key;
        else p.unexpected("label set", '"="');
      } else {
        p.next();
        const v = p.peek();
        if (v.type !== "STRING") p.unexpected("label set", "string");
        p.next();
        rec[key] = unquote(v.val);
      }
      const s = p.peek();
      if (s.type === "COMMA") p.next();
      else if (s.type !== "RIGHT_BRACE") p.unexpected("label set", '"," or "}"');
    }
  }
  if (name !== null) rec[METRIC_NAME] = name;
  return labelsFromRecord(rec);
}

function floatValue(v: number): SequenceValue {
  return { value: v, omitted: false, histogram: null, counterResetHintSet: false };
}

function parseUint(p: SeriesParser): number {
  const t = p.peek();
  if (t.type !== "NUMBER") p.unexpected("series values", "");
  p.next();
  if (!/^\d+$/.test(t.val)) {
    p.fail(
      range(t),
      `invalid repetition in series values: strconv.ParseUint: parsing ${goQuote(t.val)}: invalid syntax`,
    );
  }
  return Number(t.val);
}

function range(t: Token): { start: number; end: number } {
  return { start: t.pos, end: t.pos + t.val.length };
}

function parseNumber(p: SeriesParser): number {
  const t = p.peek();
  if (t.type !== "NUMBER") p.unexpected("series values", 'number or "stale"');
  p.next();
  try {
    return parseNumberLiteral(t.val);
  } catch (err) {
    p.fail(range(t), `error parsing number: ${(err as Error).message}`);
  }
}

function parseSigned(p: SeriesParser): number {
  const t = p.next();
  const v = parseNumber(p);
  return t.type === "SUB" ? -v : v;
}

function parseSeriesItem(p: SeriesParser, out: SequenceValue[]): void {
  const t = p.peek();
  if (t.type === "BLANK") {
    p.next();
    if (p.peek().type === "TIMES") {
      p.next();
      const n = parseUint(p);
      for (let i = 0; i < n; i++)
        out.push({ value: 0, omitted: true, histogram: null, counterResetHintSet: false });
    } else {
      out.push({ value: 0, omitted: true, histogram: null, counterResetHintSet: false });
    }
    return;
  }
  if (t.type === "OPEN_HIST") {
    const [h, hintSet] = parseHistogram(p);
    const n = p.peek();
    if (n.type === "TIMES") {
      p.next();
      const times = parseUint(p);
      for (let i = 0; i <= times; i++)
        out.push({ value: 0, omitted: false, histogram: h, counterResetHintSet: hintSet });
    } else if (n.type === "ADD" || n.type === "SUB") {
      p.next();
      const [inc, incHintSet] = parseHistogram(p);
      if (p.peek().type !== "TIMES") p.unexpected("series values", "");
      p.next();
      const times = parseUint(p);
      out.push({ value: 0, omitted: false, histogram: h, counterResetHintSet: hintSet });
      let cur = h;
      for (let i = 1; i <= times; i++) {
        if (cur.schema > inc.schema) {
          p.fail(
            range(n),
            `error combining histograms: cannot merge from schema ${inc.schema} to ${cur.schema}`,
          );
        }
        cur = combineHistograms(cur, inc, n.type === "ADD" ? 1 : -1);
        out.push({ value: 0, omitted: false, histogram: cur, counterResetHintSet: incHintSet });
      }
    } else {
      out.push({ value: 0, omitted: false, histogram: h, counterResetHintSet: hintSet });
    }
    return;
  }
  let v: number;
  if (t.type === "IDENTIFIER") {
    if (t.val !== "stale") p.unexpected("series values", 'number or "stale"');
    p.next();
    v = STALE_NAN;
  } else if (t.type === "ADD" || t.type === "SUB") {
    v = parseSigned(p);
  } else {
    v = parseNumber(p);
  }
  const n = p.peek();
  if (n.type === "TIMES") {
    p.next();
    const times = parseUint(p);
    for (let i = 0; i <= times; i++) out.push(floatValue(v));
  } else if (n.type === "ADD" || n.type === "SUB") {
    const delta = parseSigned(p);
    if (p.peek().type !== "TIMES") p.unexpected("series values", "");
    p.next();
    const times = parseUint(p);
    for (let i = 0; i <= times; i++) {
      out.push(floatValue(v));
      v += delta;
    }
  } else {
    out.push(floatValue(v));
  }
}

function parseHistogram(p: SeriesParser): [HistogramLiteral, boolean] {
  p.next();
  const h: HistogramLiteral = {
    schema: 0,
    count: 0,
    sum: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    positiveSpans: [],
    positiveBuckets: [],
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
    counterResetHint: "unknown",
  };
  const seen = new Set<string>();
  let offset = 0;
  let nOffset = 0;
  let hintSet = false;
  for (;;) {
    const t = p.peek();
    if (t.type === "SPACE") {
      p.next();
      continue;
    }
    if (t.type === "CLOSE_HIST") {
      p.next();
      break;
    }
    if (t.type !== "HIST_DESC") {
      p.unexpected("histogram description", "histogram description key, e.g. buckets:[5 10 7]");
    }
    p.next();
    const key = t.val.toLowerCase();
    if (seen.has(key)) p.fail(range(t), `duplicate key ${goQuote(key)} in histogram`);
    seen.add(key);
    if (p.peek().type !== "COLON") p.unexpected("histogram description", '":"');
    p.next();
    switch (key) {
      case "schema":
        h.schema = parseSignedInt(p);
        break;
      case "offset":
        offset = parseSignedInt(p);
        break;
      case "n_offset":
        nOffset = parseSignedInt(p);
        break;
      case "sum":
        h.sum = p.peek().type === "ADD" || p.peek().type === "SUB" ? parseSigned(p) : parseNumber(p);
        break;
      case "count":
        h.count = parseNumber(p);
        break;
      case "z_bucket":
        h.zeroCount = parseNumber(p);
        break;
      case "z_bucket_w":
        h.zeroThreshold = parseNumber(p);
        break;
      case "buckets":
        h.positiveBuckets = parseBucketSet(p);
        break;
      case "n_buckets":
        h.negativeBuckets = parseBucketSet(p);
        break;
      case "custom_values":
        h.customValues = parseBucketSet(p);
        break;
      case "counter_reset_hint": {
        const v = p.peek();
        if (v.type !== "COUNTER_RESET_HINT") p.unexpected("histogram description", "counter reset hint");
        p.next();
        h.counterResetHint = v.val.toLowerCase() as CounterResetHint;
        hintSet = true;
        break;
      }
    }
  }
  if (h.positiveBuckets.length > 0) h.positiveSpans = [{ offset, length: h.positiveBuckets.length }];
  if (h.negativeBuckets.length > 0) h.negativeSpans = [{ offset: nOffset, length: h.negativeBuckets.length }];
  return [h, hintSet];
}

function parseSignedInt(p: SeriesParser): number {
  let sign = 1;
  if (p.peek().type === "SUB") {
    p.next();
    sign = -1;
  }
  return sign * parseUint(p);
}

function parseBucketSet(p: SeriesParser): number[] {
  if (p.peek().type !== "LEFT_BRACKET") p.unexpected("histogram description", '"["');
  p.next();
  const out: number[] = [];
  for (;;) {
    const t = p.peek();
    if (t.type === "SPACE") {
      p.next();
      continue;
    }
    if (t.type === "RIGHT_BRACKET") {
      p.next();
      return out;
    }
    if (t.type === "SUB") {
      p.next();
      out.push(-parseNumber(p));
      continue;
    }
    out.push(parseNumber(p));
  }
}

function bucketMap(spans: HistogramSpan[], buckets: number[], reduceBy: number): Map<number, number> {
  const m = new Map<number, number>();
  let idx = 0;
  let b = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let i = 0; i < s.length; i++, idx++, b++) {
      const target = reduceBy > 0 ? ((idx - 1) >> reduceBy) + 1 : idx;
      m.set(target, (m.get(target) ?? 0) + (buckets[b] ?? 0));
    }
  }
  return m;
}

function toSpans(m: Map<number, number>): { spans: HistogramSpan[]; buckets: number[] } {
  if (m.size === 0) return { spans: [], buckets: [] };
  const keys = [...m.keys()].sort((a, b) => a - b);
  const lo = keys[0]!;
  const hi = keys[keys.length - 1]!;
  const buckets: number[] = [];
  for (let i = lo; i <= hi; i++) buckets.push(m.get(i) ?? 0);
  return { spans: [{ offset: lo, length: buckets.length }], buckets };
}

/**
 * Adds (`sign` 1) or subtracts (-1) `inc` to `base`, bucket by bucket, reducing `inc` to the
 * schema of `base` when it is finer. The result uses one dense span per sign.
 */
function combineHistograms(base: HistogramLiteral, inc: HistogramLiteral, sign: number): HistogramLiteral {
  const reduce = base.schema === CUSTOM_BUCKETS_SCHEMA ? 0 : inc.schema - base.schema;
  const merge = (bs: HistogramSpan[], bb: number[], is: HistogramSpan[], ib: number[]) => {
    const m = bucketMap(bs, bb, 0);
    for (const [k, v] of bucketMap(is, ib, reduce)) m.set(k, (m.get(k) ?? 0) + sign * v);
    return toSpans(m);
  };
  const pos = merge(base.positiveSpans, base.positiveBuckets, inc.positiveSpans, inc.positiveBuckets);
  const neg = merge(base.negativeSpans, base.negativeBuckets, inc.negativeSpans, inc.negativeBuckets);
  return {
    ...base,
    count: base.count + sign * inc.count,
    sum: base.sum + sign * inc.sum,
    zeroCount: base.zeroCount + sign * inc.zeroCount,
    zeroThreshold: Math.max(base.zeroThreshold, inc.zeroThreshold),
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
  };
}
