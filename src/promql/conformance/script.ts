/**
 * Parser for Prometheus's PromQL test scripts (the promqltest format described in
 * /work/shared/conformance/promql/FORMAT.md): commands, series lines and expectations.
 */
import { type Labels, labelsFromPairs, parseDuration } from "../../model/index.js";

/** One value slot of a series line. */
export type Slot =
  | { kind: "float"; v: number }
  | { kind: "stale" }
  | { kind: "omit" }
  | { kind: "histogram"; text: string };

/** A series line: labels and value slots. */
export interface SeriesLine {
  labels: Labels;
  slots: Slot[];
  line: number;
}

/** A `load` block. */
export interface LoadCmd {
  kind: "load";
  line: number;
  stepMs: number;
  withNHCB: boolean;
  series: SeriesLine[];
}

/** A `clear` command. */
export interface ClearCmd {
  kind: "clear";
  line: number;
}

/** An `eval` block with its expectations. */
export interface EvalCmd {
  kind: "eval";
  line: number;
  expr: string;
  /** Instant: `start === end`, step 0. */
  instant: boolean;
  startMs: number;
  endMs: number;
  stepMs: number;
  fail: { msg?: string; regex?: string } | null;
  warn: { lines: { msg?: string; regex?: string }[]; none: boolean; any: boolean };
  info: { lines: { msg?: string; regex?: string }[]; none: boolean; any: boolean };
  ordered: boolean;
  /** `expect string "..."`. */
  string: string | null;
  /** `expect range vector from .. to .. step ..` (instant query with a matrix result). */
  rangeVector: { startMs: number; endMs: number; stepMs: number } | null;
  scalar: number | null;
  series: SeriesLine[];
}

/** Any command. */
export type Command = LoadCmd | ClearCmd | EvalCmd;

/** Thrown for a malformed script line. */
export class ScriptError extends Error {
  override name = "ScriptError";
}

const NUM = String.raw`(?:(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?|[iI][nN][fF]|[nN][aA][nN])`;
const SCALAR_ITEM = new RegExp(`^([+-]?${NUM})(?:([+-]${NUM})?x([0-9]+))?$`);

function parseNum(s: string): number {
  const l = s.toLowerCase();
  const sign = l.startsWith("-") ? -1 : 1;
  const body = l.replace(/^[+-]/, "");
  if (body === "inf") return sign * Number.POSITIVE_INFINITY;
  if (body === "nan") return Number.NaN;
  return sign * Number(body.replace(/_/g, ""));
}

/** Unquotes a Go/PromQL string literal (`"..."`, `'...'` or backquoted). */
export function unquoteGo(s: string): string {
  const q = s[0];
  if (q === "`") return s.slice(1, -1);
  const body = s.slice(1, -1);
  const bytes: number[] = [];
  const pushStr = (str: string) => {
    for (const b of Buffer.from(str, "utf8")) bytes.push(b);
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      pushStr(c);
      continue;
    }
    const n = body[++i]!;
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      a: "\x07",
      b: "\b",
      f: "\f",
      v: "\v",
      "\\": "\\",
      '"': '"',
      "'": "'",
    };
    if (simple[n] !== undefined) pushStr(simple[n]);
    else if (n === "x") {
      bytes.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === "u" || n === "U") {
      const len = n === "u" ? 4 : 8;
      pushStr(String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 1 + len), 16)));
      i += len;
    } else if (n >= "0" && n <= "7") {
      bytes.push(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else throw new ScriptError(`invalid escape \\${n} in ${s}`);
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Parses the label part of a series line; returns the labels and the rest of the line. */
export function parseSeriesLabels(text: string): { labels: Labels; rest: string } {
  let i = 0;
  const pairs: string[] = [];
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text);
  if (nameMatch) {
    pairs.push("__name__", nameMatch[0]);
    i = nameMatch[0].length;
  }
  if (text[i] === "{") {
    i++;
    const readString = (): string => {
      const q = text[i]!;
      let j = i + 1;
      while (j < text.length && text[j] !== q) j += text[j] === "\\" && q !== "`" ? 2 : 1;
      const lit = text.slice(i, j + 1);
      i = j + 1;
      return unquoteGo(lit);
    };
    for (;;) {
      while (text[i] === " " || text[i] === "\t" || text[i] === ",") i++;
      if (text[i] === "}") {
        i++;
        break;
      }
      if (i >= text.length) throw new ScriptError(`unterminated label set in ${JSON.stringify(text)}`);
      let name: string;
      if (text[i] === '"' || text[i] === "'" || text[i] === "`") {
        name = readString();
        while (text[i] === " ") i++;
        if (text[i] !== "=") {
          pairs.push("__name__", name);
          continue;
        }
      } else {
        const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
        if (!m) throw new ScriptError(`bad label name at ${JSON.stringify(text.slice(i))}`);
        name = m[0];
        i += name.length;
      }
      while (text[i] === " ") i++;
      if (text[i] !== "=") throw new ScriptError(`expected = after label ${name} in ${JSON.stringify(text)}`);
      i++;
      while (text[i] === " ") i++;
      pairs.push(name, readString());
    }
  } else if (!nameMatch) throw new ScriptError(`bad series line ${JSON.stringify(text)}`);
  return { labels: labelsFromPairs(pairs), rest: text.slice(i).trim() };
}

/** Splits value items, keeping `{{ ... }}` histogram literals (which contain spaces) whole. */
function splitItems(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === " " || s[i] === "\t") i++;
    if (i >= s.length) break;
    let j = i;
    let depth = 0;
    while (j < s.length) {
      if (s.startsWith("{{", j)) {
        depth++;
        j += 2;
        continue;
      }
      if (s.startsWith("}}", j)) {
        depth--;
        j += 2;
        continue;
      }
      if (depth === 0 && (s[j] === " " || s[j] === "\t")) break;
      j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

/** Expands the value part of a series line into slots (FORMAT.md §4.2). */
export function expandValues(text: string): Slot[] {
  const slots: Slot[] = [];
  for (const item of splitItems(text)) {
    if (item === "_") {
      slots.push({ kind: "omit" });
      continue;
    }
    const om = /^_x([0-9]+)$/.exec(item);
    if (om) {
      for (let k = 0; k < Number(om[1]); k++) slots.push({ kind: "omit" });
      continue;
    }
    if (item === "stale") {
      slots.push({ kind: "stale" });
      continue;
    }
    if (item.startsWith("{{")) {
      const m = /x([0-9]+)$/.exec(item);
      const times = m && item.endsWith(`}}x${m[1]}`) ? Number(m[1]) + 1 : 1;
      for (let k = 0; k < times; k++) slots.push({ kind: "histogram", text: item });
      continue;
    }
    const m = SCALAR_ITEM.exec(item);
    if (!m) throw new ScriptError(`bad value ${JSON.stringify(item)}`);
    const start = parseNum(m[1]!);
    if (m[3] === undefined) {
      slots.push({ kind: "float", v: start });
      continue;
    }
    const delta = m[2] ? parseNum(m[2]) : 0;
    let v = start;
    for (let k = 0; k <= Number(m[3]); k++) {
      slots.push({ kind: "float", v });
      v += delta;
    }
  }
  return slots;
}

function parseSeriesLine(text: string, line: number): SeriesLine {
  const { labels, rest } = parseSeriesLabels(text);
  return { labels, slots: expandValues(rest), line };
}

function parseTime(s: string): number {
  return parseDuration(s.trim());
}

/** Parses a line as a Go number (ParseInt with base prefix, else ParseFloat); null when it is not one. */
function parseScalarLine(s: string): number | null {
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) return Number.parseInt(s, 16);
  if (/^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return Number(s);
  const l = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(l))
    return l.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/.test(l)) return Number.NaN;
  return null;
}

const EVAL_INSTANT = /^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$/;
const EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$/;
const LOAD = /^load(?:_(with_nhcb))?\s+(.+?)$/;
const EXPECT = /^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$/;

/** Parses a whole script into commands. Line numbers are 1-based. */
export function parseScript(text: string): Command[] {
  const lines = text.split("\n").map((l) => l.trim());
  const cmds: Command[] = [];
  let i = 0;
  const blockEnd = (from: number) => {
    let j = from;
    while (j < lines.length && lines[j] !== "" && !lines[j]!.startsWith("#")) j++;
    return j;
  };
  while (i < lines.length) {
    const l = lines[i]!;
    if (l === "" || l.startsWith("#")) {
      i++;
      continue;
    }
    const lineNo = i + 1;
    const word = l.split(/\s+/)[0]!.toLowerCase();
    if (word === "clear") {
      cmds.push({ kind: "clear", line: lineNo });
      i++;
      continue;
    }
    if (word.startsWith("load")) {
      const m = LOAD.exec(l);
      if (!m) throw new ScriptError(`line ${lineNo}: bad load ${l}`);
      const end = blockEnd(i + 1);
      const series: SeriesLine[] = [];
      for (let j = i + 1; j < end; j++) {
        const first = lines[j]!.split(/\s+/)[0]!;
        if (first.endsWith("@st")) continue;
        series.push(parseSeriesLine(lines[j]!, j + 1));
      }
      cmds.push({
        kind: "load",
        line: lineNo,
        stepMs: parseTime(m[2]!),
        withNHCB: m[1] !== undefined,
        series,
      });
      i = end;
      continue;
    }
    if (word.startsWith("eval")) {
      const cmd: EvalCmd = {
        kind: "eval",
        line: lineNo,
        expr: "",
        instant: true,
        startMs: 0,
        endMs: 0,
        stepMs: 0,
        fail: null,
        warn: { lines: [], none: false, any: false },
        info: { lines: [], none: false, any: false },
        ordered: false,
        string: null,
        rangeVector: null,
        scalar: null,
        series: [],
      };
      let legacy: string | undefined;
      const mi = EVAL_INSTANT.exec(l);
      const mr = mi ? null : EVAL_RANGE.exec(l);
      if (mi) {
        legacy = mi[1];
        cmd.startMs = cmd.endMs = parseTime(mi[2] ?? "");
        cmd.expr = mi[3]!;
      } else if (mr) {
        legacy = mr[1];
        cmd.instant = false;
        cmd.startMs = parseTime(mr[2]!);
        cmd.endMs = parseTime(mr[3]!);
        cmd.stepMs = parseTime(mr[4]!);
        cmd.expr = mr[5]!;
      } else throw new ScriptError(`line ${lineNo}: bad eval ${l}`);
      if (legacy === "fail") cmd.fail = {};
      if (legacy === "warn") cmd.warn.any = true;
      if (legacy === "info") cmd.info.any = true;
      if (legacy === "ordered") cmd.ordered = true;
      const end = blockEnd(i + 1);
      for (let j = i + 1; j < end; j++) {
        const b = lines[j]!;
        const em = EXPECT.exec(b);
        if (b.split(/\s+/)[0] === "expect" && !/^expect\s+(string|range\s+vector)/.test(b)) {
          if (!em) throw new ScriptError(`line ${j + 1}: bad expect line ${b}`);
          const kind = em[1]!;
          const spec = em[2] ? { [em[2] === "msg" ? "msg" : "regex"]: em[3]!.trim() } : {};
          if (kind === "fail") cmd.fail = spec;
          else if (kind === "ordered") cmd.ordered = true;
          else if (kind === "warn") cmd.warn.lines.push(spec);
          else if (kind === "info") cmd.info.lines.push(spec);
          else if (kind === "no_warn") cmd.warn.none = true;
          else if (kind === "no_info") cmd.info.none = true;
          continue;
        }
        const sm = /^expect\s+string\s+(.+)$/.exec(b);
        if (sm) {
          cmd.string = unquoteGo(sm[1]!.trim());
          continue;
        }
        const rv = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(b);
        if (rv) {
          cmd.rangeVector = {
            startMs: parseTime(rv[1]!),
            endMs: parseTime(rv[2]!),
            stepMs: parseTime(rv[3]!),
          };
          continue;
        }
        if (b.startsWith("expected_fail_message")) {
          cmd.fail = { msg: b.slice("expected_fail_message".length).trim() };
          continue;
        }
        if (b.startsWith("expected_fail_regexp")) {
          cmd.fail = { regex: b.slice("expected_fail_regexp".length).trim() };
          continue;
        }
        const sc = parseScalarLine(b);
        if (sc !== null) {
          cmd.scalar = sc;
          continue;
        }
        cmd.series.push(parseSeriesLine(b, j + 1));
      }
      cmds.push(cmd);
      i = end;
      continue;
    }
    throw new ScriptError(`line ${lineNo}: unknown command ${l}`);
  }
  return cmds;
}

const NH_FUNCTIONS =
  /\b(histogram_count|histogram_sum|histogram_avg|histogram_stddev|histogram_stdvar|histogram_fraction|histogram_quantiles)\s*\(/;

/**
 * The evals that need native histograms, by FORMAT.md §13's heuristic: a `{{…}}` expectation, a
 * native-histogram-only function, or a reference (by name) to a metric that received native
 * histogram samples (from `{{…}}` values or `load_with_nhcb`) since the last `clear`.
 */
export function nativeHistogramEvals(cmds: readonly Command[]): Set<EvalCmd> {
  const out = new Set<EvalCmd>();
  let names = new Set<string>();
  for (const c of cmds) {
    if (c.kind === "clear") names = new Set();
    else if (c.kind === "load") {
      for (const s of c.series) {
        const name = s.labels.find((l) => l.name === "__name__")?.value ?? "";
        if (s.slots.some((x) => x.kind === "histogram")) names.add(name);
        if (c.withNHCB) {
          const base = name.replace(/_(bucket|count|sum)$/, "");
          if (base !== name) names.add(base);
        }
      }
    } else {
      const idents = new Set(c.expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []);
      const usesNH =
        c.series.some((s) => s.slots.some((x) => x.kind === "histogram")) ||
        NH_FUNCTIONS.test(c.expr) ||
        [...names].some((n) => idents.has(n));
      if (usesNH) out.add(c);
    }
  }
  return out;
}
