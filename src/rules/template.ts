import { translateRE2 } from "../model/index.js";
import { formatGoFloat, formatGoTime, formatGoValue, goQuoteString, goSprint, goSprintf } from "./gofmt.js";

/**
 * The common part of Go's text/template that Prometheus alert templates use: actions, pipelines,
 * variables, `if`/`else if`/`else`/`with`/`range`/`end`, comments, whitespace trimming (`{{-`,
 * `-}}`), and Prometheus's functions (humanize, humanize1024, humanizeDuration,
 * humanizePercentage, humanizeTimestamp, title, toUpper, toLower, reReplaceAll, match, ...)
 * plus text/template's builtins (printf, print, len, index, eq, lt, and, or, not, ...).
 * `query`, `define` and `template` are not supported and fail at parse time with a clear message.
 */

/** A template that failed to parse or execute; the message starts with `template: NAME:LINE:`. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

type Arg =
  | { k: "dot"; chain: string[] }
  | { k: "var"; name: string; chain: string[] }
  | { k: "ident"; name: string }
  | { k: "lit"; v: unknown }
  | { k: "pipe"; pipe: Pipe; chain: string[] };

interface Cmd {
  args: Arg[];
  text: string;
}

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
  line: number;
}

interface ControlNode {
  k: "if" | "with" | "range";
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

type Node =
  | { k: "text"; s: string }
  | { k: "action"; pipe: Pipe }
  | ControlNode
  | { k: "break" | "continue"; line: number };

/** Functions a template may call, by name. */
export type TemplateFunc = (...args: unknown[]) => unknown;

function toFloat(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string") {
    const t = v.trim();
    const n = /^[+-]?inf(inity)?$/i.test(t) ? (t.startsWith("-") ? -Infinity : Infinity) : Number(t);
    if (t === "" || (Number.isNaN(n) && t.toLowerCase() !== "nan")) {
      throw new Error(`strconv.ParseFloat: parsing ${goQuoteString(v)}: invalid syntax`);
    }
    return n;
  }
  throw new Error(`can't convert ${typeof v} to float`);
}

const g4 = (v: number) => formatGoFloat(v, "g", 4);

/** Prometheus's `humanize`: SI prefixes, four significant digits. */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = "";
    for (const p of ["k", "M", "G", "T", "P", "E", "Z", "Y"]) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = "";
  for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

/** Prometheus's `humanize1024`: binary prefixes (ki, Mi, ...). */
export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = "";
  for (const p of ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

/** Prometheus's `humanizeDuration`: seconds as `1d 2h 3m 4s`, or `1.5ms` below a second. */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return "0s";
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? "-" : "";
    const a = Math.abs(v);
    const whole = Math.trunc(a);
    const seconds = whole % 60;
    const minutes = Math.trunc(whole / 60) % 60;
    const hours = Math.trunc(whole / 3600) % 24;
    const days = Math.trunc(whole / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(a)}s`;
  }
  let prefix = "";
  for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Prometheus's `humanizePercentage`: a ratio as a percentage, four significant digits. */
export function humanizePercentage(v: number): string {
  return `${g4(v * 100)}%`;
}

/** Prometheus's `humanizeTimestamp`: seconds since the epoch as Go prints a UTC time. */
export function humanizeTimestamp(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  return formatGoTime(Math.trunc(v * 1000));
}

function goTitle(s: string): string {
  let prevLetter = false;
  let out = "";
  for (const ch of s) {
    const isWordChar = /[\p{L}\p{N}_']/u.test(ch);
    out += !prevLetter && isWordChar ? ch.toUpperCase() : ch;
    prevLetter = isWordChar;
  }
  return out;
}

function compileGoRegex(pattern: string, flags = ""): RegExp {
  const src = translateRE2(pattern);
  try {
    return new RegExp(src, `u${flags}`);
  } catch {
    return new RegExp(src, flags);
  }
}

function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "string") return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

function basicCompare(a: unknown, b: unknown): number {
  const na = typeof a === "number" || typeof a === "bigint";
  const nb = typeof b === "number" || typeof b === "bigint";
  if (na && nb) {
    if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") {
    if (a === b) return 0;
    throw new Error("invalid type for comparison");
  }
  throw new Error("incompatible types for comparison");
}

function stripPort(hostPort: string): string {
  if (hostPort.startsWith("[")) {
    const end = hostPort.indexOf("]");
    return end > 0 ? hostPort.slice(1, end) : hostPort;
  }
  const i = hostPort.lastIndexOf(":");
  if (i < 0 || hostPort.indexOf(":") !== i) return hostPort;
  return hostPort.slice(0, i);
}

/** The functions available to every template (Prometheus's and text/template's builtins). */
export const TEMPLATE_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  humanize: (v) => humanize(toFloat(v)),
  humanize1024: (v) => humanize1024(toFloat(v)),
  humanizeDuration: (v) => humanizeDuration(toFloat(v)),
  humanizePercentage: (v) => humanizePercentage(toFloat(v)),
  humanizeTimestamp: (v) => humanizeTimestamp(toFloat(v)),
  toTime: (v) => new Date(Math.trunc(toFloat(v) * 1000)),
  toDuration: (v) => toFloat(v),
  title: (s) => goTitle(String(s)),
  toUpper: (s) => String(s).toUpperCase(),
  toLower: (s) => String(s).toLowerCase(),
  stripPort: (s) => stripPort(String(s)),
  stripDomain: (s) => {
    const hp = String(s);
    const host = stripPort(hp);
    const port = hp.length > host.length ? hp.slice(host.length) : "";
    if (/^[\d.]+$/.test(host) || host.includes(":")) return hp;
    const dot = host.indexOf(".");
    return (dot >= 0 ? host.slice(0, dot) : host) + port;
  },
  match: (re, s) => compileGoRegex(String(re)).test(String(s)),
  reReplaceAll: (re, repl, text) =>
    String(text).replace(
      compileGoRegex(String(re), "g"),
      String(repl).replace(/\$\{(\w+)\}/g, (_m, n: string) => (/^\d+$/.test(n) ? `$${n}` : `$<${n}>`)),
    ),
  safeHtml: (s) => String(s),
  parseDuration: (s) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(String(s));
    if (!m) throw new Error(`not a valid duration string: ${goQuoteString(String(s))}`);
    const mult: Record<string, number> = {
      ms: 0.001,
      s: 1,
      m: 60,
      h: 3600,
      d: 86400,
      w: 604800,
      y: 31536000,
    };
    return Number(m[1]) * mult[m[2]!]!;
  },
  printf: (format, ...args) => goSprintf(String(format), args),
  print: (...args) => goSprint(args),
  println: (...args) => `${args.map(formatGoValue).join(" ")}\n`,
  len: (v) => {
    if (typeof v === "string") return BigInt(Buffer.byteLength(v));
    if (Array.isArray(v)) return BigInt(v.length);
    if (v !== null && typeof v === "object") return BigInt(Object.keys(v).length);
    throw new Error(`len of type ${typeof v}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur)) cur = cur[Number(k)];
      else if (cur !== null && typeof cur === "object") {
        const rec = cur as Record<string, unknown>;
        cur = Object.hasOwn(rec, String(k)) ? rec[String(k)] : "";
      } else throw new Error(`can't index item of type ${typeof cur}`);
    }
    return cur;
  },
  not: (v) => !truthy(v),
  and: (...args) => {
    for (const a of args) if (!truthy(a)) return a;
    return args[args.length - 1];
  },
  or: (...args) => {
    for (const a of args) if (truthy(a)) return a;
    return args[args.length - 1];
  },
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new Error("missing argument for comparison");
    return bs.some((b) => basicCompare(a, b) === 0);
  },
  ne: (a, b) => basicCompare(a, b) !== 0,
  lt: (a, b) => basicCompare(a, b) < 0,
  le: (a, b) => basicCompare(a, b) <= 0,
  gt: (a, b) => basicCompare(a, b) > 0,
  ge: (a, b) => basicCompare(a, b) >= 0,
  html: (...args) =>
    goSprint(args).replace(
      /[<>&'"\0]/g,
      (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\uFFFD" })[c]!,
    ),
  js: (...args) =>
    goSprint(args).replace(
      /[\\'"<>&=\n\r]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`,
    ),
  urlquery: (...args) => encodeURIComponent(goSprint(args)).replace(/%20/g, "+"),
};

const UNSUPPORTED = new Set([
  "query",
  "first",
  "label",
  "value",
  "sortByLabel",
  "strvalue",
  "args",
  "tmpl",
  "graphLink",
  "tableLink",
  "pathPrefix",
  "externalURL",
]);

// ---------------------------------------------------------------------------------------------
// Lexing and parsing

type Tok =
  | { t: "ident" | "field" | "var" | "string" | "number" | "char"; v: string; pos: number }
  | { t: "(" | ")" | "|" | ":=" | "=" | ","; v: string; pos: number };

const KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "define",
  "template",
  "block",
  "break",
  "continue",
]);

class Parser {
  private i = 0;
  private depthRange = 0;

  constructor(
    private readonly name: string,
    private readonly src: string,
  ) {}

  private lineAt(pos: number): number {
    let line = 1;
    for (let j = 0; j < pos && j < this.src.length; j++) if (this.src.charCodeAt(j) === 10) line++;
    return line;
  }

  fail(pos: number, msg: string): never {
    throw new TemplateError(`template: ${this.name}:${this.lineAt(pos)}: ${msg}`);
  }

  /** Reads the next action or text chunk; returns null at the end. */
  private nextChunk():
    | { kind: "text"; s: string }
    | { kind: "action"; toks: Tok[]; pos: number; trimRight: boolean }
    | null {
    if (this.i >= this.src.length) return null;
    const open = this.src.indexOf("{{", this.i);
    if (open !== this.i) {
      const end = open < 0 ? this.src.length : open;
      let s = this.src.slice(this.i, end);
      this.i = end;
      if (open >= 0 && this.src.startsWith("{{- ", open)) s = s.replace(/[ \t\r\n]+$/, "");
      else if (open >= 0 && /^\{\{-[\t\r\n]/.test(this.src.slice(open, open + 4)))
        s = s.replace(/[ \t\r\n]+$/, "");
      return { kind: "text", s };
    }
    const pos = this.i;
    let j = this.i + 2;
    if (/^-[ \t\r\n]/.test(this.src.slice(j, j + 2))) j++;
    // Comments.
    const afterSpace = this.src.slice(j).match(/^[ \t\r\n]*/)![0].length;
    if (this.src.startsWith("/*", j + afterSpace)) {
      const close = this.src.indexOf("*/", j + afterSpace + 2);
      if (close < 0) this.fail(pos, "unclosed comment");
      let k = close + 2;
      k += this.src.slice(k).match(/^[ \t\r\n]*/)![0].length;
      let trimRight = false;
      if (this.src.startsWith("-}}", k)) {
        trimRight = true;
        k++;
      }
      if (!this.src.startsWith("}}", k)) this.fail(pos, "comment ends before closing delimiter");
      this.i = k + 2;
      if (trimRight) this.skipSpace();
      return { kind: "text", s: "" };
    }
    const toks: Tok[] = [];
    let parenDepth = 0;
    for (;;) {
      if (j >= this.src.length) this.fail(pos, "unclosed action");
      const c = this.src[j]!;
      if (c === "\n" && parenDepth === 0) {
        // Newlines are allowed inside actions in newer Go versions; keep scanning.
        j++;
        continue;
      }
      if (c === " " || c === "\t" || c === "\r" || c === "\n") {
        if (this.src.startsWith("-}}", j + 1) && /[ \t\r\n]/.test(c)) {
          this.i = j + 4;
          this.skipSpace();
          return { kind: "action", toks, pos, trimRight: true };
        }
        j++;
        continue;
      }
      if (this.src.startsWith("}}", j)) {
        this.i = j + 2;
        return { kind: "action", toks, pos, trimRight: false };
      }
      if (c === "(" || c === ")" || c === "|" || c === ",") {
        if (c === "(") parenDepth++;
        if (c === ")") parenDepth--;
        toks.push({ t: c, v: c, pos: j });
        j++;
        continue;
      }
      if (c === ":" && this.src[j + 1] === "=") {
        toks.push({ t: ":=", v: ":=", pos: j });
        j += 2;
        continue;
      }
      if (c === "=") {
        toks.push({ t: "=", v: "=", pos: j });
        j++;
        continue;
      }
      if (c === '"') {
        let k = j + 1;
        while (k < this.src.length && this.src[k] !== '"') {
          if (this.src[k] === "\\") k++;
          if (this.src[k] === "\n") this.fail(j, "unterminated quoted string");
          k++;
        }
        if (k >= this.src.length) this.fail(j, "unterminated quoted string");
        toks.push({ t: "string", v: this.unquote(this.src.slice(j, k + 1), j), pos: j });
        j = k + 1;
        continue;
      }
      if (c === "`") {
        const k = this.src.indexOf("`", j + 1);
        if (k < 0) this.fail(j, "unterminated raw quoted string");
        toks.push({ t: "string", v: this.src.slice(j + 1, k), pos: j });
        j = k + 1;
        continue;
      }
      if (c === "'") {
        const m = /^'(\\.|[^\\'])'/u.exec(this.src.slice(j));
        if (!m) this.fail(j, "unterminated character constant");
        toks.push({ t: "char", v: this.unquote(`"${m[1]}"`, j), pos: j });
        j += m[0].length;
        continue;
      }
      if (c === "$") {
        const m = /^\$[\p{L}_\d]*/u.exec(this.src.slice(j))!;
        toks.push({ t: "var", v: m[0], pos: j });
        j += m[0].length;
        continue;
      }
      if (c === ".") {
        const m = /^\.[\p{L}_][\p{L}_\d]*/u.exec(this.src.slice(j));
        if (m) {
          toks.push({ t: "field", v: m[0].slice(1), pos: j });
          j += m[0].length;
          continue;
        }
        if (!/\d/.test(this.src[j + 1] ?? "")) {
          toks.push({ t: "field", v: "", pos: j });
          j++;
          continue;
        }
      }
      const num =
        /^[+-]?(0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)/.exec(
          this.src.slice(j),
        );
      if (num && num[0] !== "" && num[0] !== "+" && num[0] !== "-") {
        toks.push({ t: "number", v: num[0], pos: j });
        j += num[0].length;
        continue;
      }
      const id = /^[\p{L}_][\p{L}_\d]*/u.exec(this.src.slice(j));
      if (id) {
        toks.push({ t: "ident", v: id[0], pos: j });
        j += id[0].length;
        continue;
      }
      this.fail(j, `unexpected ${goQuoteString(c)} in command`);
    }
  }

  private skipSpace(): void {
    while (this.i < this.src.length && /[ \t\r\n]/.test(this.src[this.i]!)) this.i++;
  }

  private unquote(q: string, pos: number): string {
    try {
      return JSON.parse(q.replace(/\\x([\da-fA-F]{2})/g, "\\u00$1").replace(/\\'/g, "'")) as string;
    } catch {
      return this.fail(pos, `invalid syntax: ${q}`);
    }
  }

  parse(): Node[] {
    const [list, end] = this.parseList();
    if (end !== null) this.fail(end.pos, `unexpected {{${end.word}}}`);
    return list;
  }

  /** Parses nodes until {{end}} / {{else}} (returned) or the end of input (null). */
  private parseList(): [Node[], { word: string; toks: Tok[]; pos: number } | null] {
    const list: Node[] = [];
    for (;;) {
      const ch = this.nextChunk();
      if (ch === null) return [list, null];
      if (ch.kind === "text") {
        if (ch.s !== "") list.push({ k: "text", s: ch.s });
        continue;
      }
      const toks = ch.toks;
      if (toks.length === 0) this.fail(ch.pos, "missing value for command");
      const first = toks[0]!;
      if (first.t === "ident" && KEYWORDS.has(first.v)) {
        switch (first.v) {
          case "end":
          case "else":
            return [list, { word: first.v, toks: toks.slice(1), pos: ch.pos }];
          case "if":
          case "with":
          case "range":
            list.push(this.parseControl(first.v, toks.slice(1), ch.pos));
            continue;
          case "break":
          case "continue":
            if (this.depthRange === 0) this.fail(ch.pos, `{{${first.v}}} outside {{range}}`);
            list.push({ k: first.v, line: this.lineAt(ch.pos) });
            continue;
          default:
            this.fail(ch.pos, `{{${first.v}}} is not supported in alert templates`);
        }
      }
      list.push({ k: "action", pipe: this.parsePipe(toks, ch.pos, false) });
    }
  }

  private parseControl(word: "if" | "with" | "range", toks: Tok[], pos: number): Node {
    const pipe = this.parsePipe(toks, pos, word === "range");
    if (word === "range") this.depthRange++;
    const [list, end] = this.parseList();
    if (word === "range") this.depthRange--;
    if (end === null) this.fail(this.src.length, "unexpected EOF");
    let elseList: Node[] | null = null;
    if (end.word === "else") {
      if (
        end.toks.length > 0 &&
        end.toks[0]!.t === "ident" &&
        (end.toks[0]!.v === "if" || end.toks[0]!.v === "with")
      ) {
        // {{else if ...}} chains: the rest is a nested control ending with the same {{end}}.
        const nested = this.parseControl(end.toks[0]!.v as "if" | "with", end.toks.slice(1), end.pos);
        elseList = [nested];
      } else {
        if (end.toks.length > 0) this.fail(end.pos, `unexpected ${end.toks[0]!.v} in else`);
        const [el, end2] = this.parseList();
        if (end2 === null) this.fail(this.src.length, "unexpected EOF");
        if (end2.word !== "end") this.fail(end2.pos, `expected end; found {{${end2.word}}}`);
        elseList = el;
      }
    } else if (end.toks.length > 0) this.fail(end.pos, `unexpected ${end.toks[0]!.v} in end`);
    return { k: word, pipe, list, elseList };
  }

  private parsePipe(toks: Tok[], pos: number, allowTwoVars: boolean): Pipe {
    const line = this.lineAt(pos);
    let i = 0;
    const decl: string[] = [];
    let assign = false;
    // Declarations: $x := / $x = / $k, $v :=
    const t0 = toks[0];
    if (t0?.t === "var") {
      if (toks[1]?.t === ":=" || toks[1]?.t === "=") {
        decl.push(t0.v);
        assign = toks[1].t === "=";
        i = 2;
      } else if (allowTwoVars && toks[1]?.t === "," && toks[2]?.t === "var" && toks[3]?.t === ":=") {
        decl.push(t0.v, toks[2].v);
        i = 4;
      }
    }
    const cmds: Cmd[] = [];
    const [parsed, next] = this.parseCommands(toks, i, pos, false);
    cmds.push(...parsed);
    if (next !== toks.length)
      this.fail(toks[next]!.pos, `unexpected ${goQuoteString(toks[next]!.v)} in operand`);
    if (cmds.length === 0) this.fail(pos, "missing value for command");
    return { decl, assign, cmds, line };
  }

  /** Parses `cmd | cmd | ...` from toks[i]; stops at `)` when inParen. */
  private parseCommands(toks: Tok[], i: number, pos: number, inParen: boolean): [Cmd[], number] {
    const cmds: Cmd[] = [];
    let args: Arg[] = [];
    let start = i;
    const flush = (at: number) => {
      if (args.length === 0) this.fail(pos, "missing value for command");
      const text = toks
        .slice(start, at)
        .map((t) => (t.t === "field" ? `.${t.v}` : t.t === "string" ? goQuoteString(t.v) : t.v))
        .join(" ");
      cmds.push({ args, text });
      args = [];
    };
    while (i < toks.length) {
      const t = toks[i]!;
      if (t.t === ")") {
        if (!inParen) this.fail(t.pos, "unexpected right paren");
        flush(i);
        return [cmds, i];
      }
      if (t.t === "|") {
        flush(i);
        i++;
        start = i;
        continue;
      }
      const [arg, ni] = this.parseOperand(toks, i, pos);
      args.push(arg);
      i = ni;
    }
    if (inParen) this.fail(pos, "unclosed left paren");
    if (args.length > 0 || cmds.length > 0) flush(i);
    return [cmds, i];
  }

  private parseOperand(toks: Tok[], i: number, pos: number): [Arg, number] {
    const t = toks[i]!;
    let arg: Arg;
    i++;
    switch (t.t) {
      case "field":
        arg = { k: "dot", chain: t.v === "" ? [] : [t.v] };
        break;
      case "var":
        arg = { k: "var", name: t.v, chain: [] };
        break;
      case "string":
        arg = { k: "lit", v: t.v };
        break;
      case "char":
        arg = { k: "lit", v: BigInt(t.v.codePointAt(0) ?? 0) };
        break;
      case "number": {
        const s = t.v.replace(/_/g, "");
        const isInt = /^[+-]?(0[xX][\da-fA-F]+|0[bB][01]+|0[oO][0-7]+|\d+)$/.test(s);
        if (isInt) {
          const neg = s.startsWith("-");
          const body = s.replace(/^[+-]/, "");
          const b = BigInt(/^0\d/.test(body) ? `0o${body.slice(1)}` : body);
          arg = { k: "lit", v: neg ? -b : b };
        } else arg = { k: "lit", v: Number(s) };
        break;
      }
      case "ident":
        if (t.v === "true" || t.v === "false") arg = { k: "lit", v: t.v === "true" };
        else if (t.v === "nil") arg = { k: "lit", v: null };
        else if (KEYWORDS.has(t.v)) this.fail(t.pos, `unexpected <${t.v}> in command`);
        else {
          if (UNSUPPORTED.has(t.v))
            this.fail(t.pos, `function ${goQuoteString(t.v)} is not supported by Relay Monitor's templates`);
          if (!Object.hasOwn(TEMPLATE_FUNCS, t.v))
            this.fail(t.pos, `function ${goQuoteString(t.v)} not defined`);
          arg = { k: "ident", name: t.v };
        }
        break;
      case "(": {
        const [cmds, close] = this.parseCommands(toks, i, pos, true);
        arg = { k: "pipe", pipe: { decl: [], assign: false, cmds, line: this.lineAt(pos) }, chain: [] };
        i = close + 1;
        break;
      }
      default:
        this.fail(t.pos, `unexpected ${goQuoteString(t.v)} in operand`);
    }
    // Field chains directly after an operand: $labels.instance, (...).Field
    while (
      i < toks.length &&
      toks[i]!.t === "field" &&
      toks[i]!.v !== "" &&
      toks[i]!.pos === this.endOf(toks[i - 1]!)
    ) {
      if (arg.k === "dot" || arg.k === "var" || arg.k === "pipe") arg.chain.push(toks[i]!.v);
      else this.fail(toks[i]!.pos, `unexpected . after term`);
      i++;
    }
    return [arg, i];
  }

  private endOf(t: Tok): number {
    if (t.t === "field") return t.pos + 1 + t.v.length;
    if (t.t === "string") return this.src.indexOf(this.src[t.pos]!, t.pos + 1) + 1;
    if (t.t === ")") return t.pos + 1;
    return t.pos + t.v.length;
  }
}

// ---------------------------------------------------------------------------------------------
// Execution

class BreakSignal {
  constructor(readonly cont: boolean) {}
}

class Exec {
  private readonly vars: { name: string; v: unknown }[] = [];
  private out = "";

  constructor(
    private readonly name: string,
    root: unknown,
  ) {
    this.vars.push({ name: "$", v: root });
  }

  run(list: Node[], dot: unknown): string {
    this.walk(list, dot);
    return this.out;
  }

  private fail(line: number, at: string, msg: string): never {
    throw new TemplateError(
      `template: ${this.name}:${line}: executing ${goQuoteString(this.name)} at <${at}>: ${msg}`,
    );
  }

  private walk(list: Node[], dot: unknown): void {
    for (const n of list) {
      switch (n.k) {
        case "text":
          this.out += n.s;
          break;
        case "action": {
          const v = this.pipe(n.pipe, dot);
          if (n.pipe.decl.length === 0) this.out += v === undefined ? "<no value>" : formatGoValue(v);
          break;
        }
        case "if":
        case "with": {
          const mark = this.vars.length;
          const v = this.pipe(n.pipe, dot);
          if (truthy(v)) this.walk(n.list, n.k === "with" ? v : dot);
          else if (n.elseList) this.walk(n.elseList, dot);
          this.vars.length = mark;
          break;
        }
        case "range":
          this.range(n, dot);
          break;
        case "break":
        case "continue":
          throw new BreakSignal(n.k === "continue");
      }
    }
  }

  private range(n: ControlNode, dot: unknown): void {
    const mark = this.vars.length;
    const decl = n.pipe.decl;
    const v = this.pipe({ ...n.pipe, decl: [] }, dot);
    let entries: [unknown, unknown][];
    if (Array.isArray(v)) entries = v.map((x, i) => [BigInt(i), x]);
    else if (typeof v === "bigint")
      entries = Array.from({ length: Number(v) }, (_x, i) => [BigInt(i), BigInt(i)]);
    else if (v !== null && typeof v === "object") {
      const rec = v as Record<string, unknown>;
      entries = Object.keys(rec)
        .sort()
        .map((k) => [k, rec[k]]);
    } else if (v === null || v === undefined) entries = [];
    else this.fail(n.pipe.line, n.pipe.cmds[0]!.text, `range can't iterate over ${formatGoValue(v)}`);
    if (entries.length === 0) {
      if (n.elseList) this.walk(n.elseList, dot);
      return;
    }
    for (const [k, x] of entries) {
      this.vars.length = mark;
      if (decl.length === 1) this.vars.push({ name: decl[0]!, v: x });
      if (decl.length === 2) this.vars.push({ name: decl[0]!, v: k }, { name: decl[1]!, v: x });
      try {
        this.walk(n.list, x);
      } catch (e) {
        if (!(e instanceof BreakSignal)) throw e;
        if (!e.cont) break;
      }
    }
    this.vars.length = mark;
  }

  private lookupVar(name: string, line: number): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.v;
    return this.fail(line, name, `undefined variable: ${name}`);
  }

  private pipe(p: Pipe, dot: unknown): unknown {
    let v: unknown;
    let has = false;
    for (const c of p.cmds) {
      v = this.command(c, dot, has ? { v } : null, p.line);
      has = true;
    }
    if (p.decl.length > 0) {
      if (p.assign) {
        for (let i = this.vars.length - 1; i >= 0; i--) {
          if (this.vars[i]!.name === p.decl[0]) {
            this.vars[i]!.v = v;
            return v;
          }
        }
        this.fail(p.line, p.decl[0]!, `undefined variable: ${p.decl[0]}`);
      }
      this.vars.push({ name: p.decl[0]!, v });
    }
    return v;
  }

  private command(c: Cmd, dot: unknown, final: { v: unknown } | null, line: number): unknown {
    const first = c.args[0]!;
    if (first.k === "ident") {
      const args = c.args.slice(1).map((a) => this.operand(a, dot, line, c.text));
      if (final) args.push(final.v);
      try {
        return TEMPLATE_FUNCS[first.name]!(...args);
      } catch (e) {
        return this.fail(line, c.text, `error calling ${first.name}: ${(e as Error).message}`);
      }
    }
    if (c.args.length > 1 || final) {
      return this.fail(line, c.text, `can't give argument to non-function ${c.text.split(" ")[0]}`);
    }
    return this.operand(first, dot, line, c.text);
  }

  private operand(a: Arg, dot: unknown, line: number, text: string): unknown {
    switch (a.k) {
      case "lit":
        return a.v;
      case "ident":
        return this.fail(line, text, `${a.name} is a function, call it without arguments with (${a.name})`);
      case "dot":
        return this.chain(dot, a.chain, line, text);
      case "var":
        return this.chain(this.lookupVar(a.name, line), a.chain, line, text);
      case "pipe":
        return this.chain(this.pipe(a.pipe, dot), a.chain, line, text);
    }
  }

  private chain(v: unknown, chain: string[], line: number, text: string): unknown {
    let cur = v;
    for (const f of chain) {
      if (cur !== null && typeof cur === "object" && !Array.isArray(cur)) {
        const rec = cur as Record<string, unknown>;
        if (Object.hasOwn(rec, f)) cur = rec[f];
        else if ((cur as { __struct?: boolean }).__struct) {
          return this.fail(line, text, `can't evaluate field ${f} in type struct`);
        } else cur = "";
      } else {
        return this.fail(
          line,
          text,
          `can't evaluate field ${f} in type ${cur === null || cur === undefined ? "interface {}" : typeof cur}`,
        );
      }
    }
    return cur;
  }
}

/** A parsed template, ready to execute many times. */
export class Template {
  private constructor(
    readonly name: string,
    private readonly nodes: Node[],
  ) {}

  /**
   * Parses `text`. Throws a {@link TemplateError} naming the template and line for a syntax
   * error, an unknown function or an unsupported construct.
   * @example Template.parse("__alert_X", "{{ $value | humanize }}")
   */
  static parse(name: string, text: string, predeclared: readonly string[] = []): Template {
    const nodes = new Parser(name, text).parse();
    checkVars(name, text, nodes, new Set(["$", ...predeclared]));
    return new Template(name, nodes);
  }

  /** Executes the template with `data` as `.` and `vars` as predeclared variables (`$labels`). */
  execute(data: unknown, vars: Readonly<Record<string, unknown>> = {}): string {
    const ex = new Exec(this.name, data);
    for (const k of Object.keys(vars))
      (ex as unknown as { vars: { name: string; v: unknown }[] }).vars.push({ name: k, v: vars[k] });
    return ex.run(this.nodes, data);
  }
}

function checkVars(name: string, src: string, nodes: Node[], scope: Set<string>): void {
  const lineErr = (line: number, v: string): never => {
    void src;
    throw new TemplateError(`template: ${name}:${line}: undefined variable "${v}"`);
  };
  const visitPipe = (p: Pipe, sc: Set<string>) => {
    for (const c of p.cmds) {
      for (const a of c.args) {
        if (a.k === "var" && !sc.has(a.name)) lineErr(p.line, a.name);
        if (a.k === "pipe") visitPipe(a.pipe, sc);
      }
    }
    if (p.assign && !sc.has(p.decl[0]!)) lineErr(p.line, p.decl[0]!);
  };
  const visit = (list: Node[], sc: Set<string>) => {
    for (const n of list) {
      if (n.k === "action") {
        visitPipe(n.pipe, sc);
        if (!n.pipe.assign) for (const d of n.pipe.decl) sc.add(d);
      } else if (n.k === "if" || n.k === "with" || n.k === "range") {
        const inner = new Set(sc);
        visitPipe({ ...n.pipe, decl: n.k === "range" ? [] : n.pipe.decl }, inner);
        for (const d of n.pipe.assign ? [] : n.pipe.decl) inner.add(d);
        visit(n.list, inner);
        if (n.elseList) visit(n.elseList, new Set(sc));
      }
    }
  };
  visit(nodes, scope);
}

/** What an alert template sees: Prometheus's `AlertTemplateData`. */
export interface AlertTemplateData {
  labels: Readonly<Record<string, string>>;
  externalLabels: Readonly<Record<string, string>>;
  externalURL: string;
  value: number;
}

const ALERT_VARS = ["$labels", "$externalLabels", "$externalURL", "$value"];

/**
 * Parses an alert label or annotation template the way Prometheus does (with `$labels`,
 * `$externalLabels`, `$externalURL` and `$value` predeclared). Throws {@link TemplateError}.
 */
export function parseAlertTemplate(alertName: string, text: string): Template {
  return Template.parse(`__alert_${alertName}`, text, ALERT_VARS);
}

const cache = new Map<string, Template>();

/** Parses with a small cache (alert templates are expanded on every evaluation). */
function cachedAlertTemplate(alertName: string, text: string): Template {
  const key = `${alertName}\xff${text}`;
  let t = cache.get(key);
  if (t === undefined) {
    t = parseAlertTemplate(alertName, text);
    if (cache.size >= 4096) cache.clear();
    cache.set(key, t);
  }
  return t;
}

/**
 * Expands an alert template; a failure yields Prometheus's `<error expanding template: ...>`
 * text instead of throwing, as alert annotations do.
 * @example expandAlertTemplate("HighCPU", "{{ $value | humanizePercentage }}", data) // "85.67%"
 */
export function expandAlertTemplate(alertName: string, text: string, data: AlertTemplateData): string {
  if (!text.includes("{{")) return text;
  try {
    const t = cachedAlertTemplate(alertName, text);
    const dot = {
      __struct: true,
      Labels: data.labels,
      ExternalLabels: data.externalLabels,
      ExternalURL: data.externalURL,
      Value: data.value,
    };
    return t.execute(dot, {
      $labels: data.labels,
      $externalLabels: data.externalLabels,
      $externalURL: data.externalURL,
      $value: data.value,
    });
  } catch (e) {
    return `<error expanding template: ${(e as Error).message}>`;
  }
}
