/**
 * Go's number and value formatting (strconv.FormatFloat and the common fmt verbs), so that
 * alert templates render `{{ $value }}`, `humanize` and `printf` byte for byte as Prometheus does.
 */

/** A Go integer in a template (an int literal, `len`, ...); floats are plain JS numbers. */
export type GoInt = bigint;

/** A decimal digit string with the position of the decimal point (Go's `decimal`). */
interface Digits {
  d: string;
  dp: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The exact decimal expansion of a finite positive double. */
function exactDigits(v: number): Digits {
  f64[0] = v;
  const hi = u32[1]!;
  const lo = u32[0]!;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = bexp - 1075;
  }
  if (mant === 0n) return { d: "", dp: 0 };
  let s: string;
  let dp: number;
  if (e >= 0) {
    s = (mant << BigInt(e)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-e)).toString();
    dp = s.length + e;
  }
  return trimZeros({ d: s, dp });
}

function trimZeros(x: Digits): Digits {
  let n = x.d.length;
  while (n > 0 && x.d[n - 1] === "0") n--;
  return n === x.d.length ? x : { d: x.d.slice(0, n), dp: x.dp };
}

/** Rounds to `nd` digits, half to even on exact ties (the digits are exact). */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0) return { d: "", dp: x.dp };
  if (nd >= x.d.length) return x;
  const c = x.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (c > 5) up = true;
  else if (c < 5) up = false;
  else if (nd + 1 < x.d.length) up = true;
  else up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!up) return trimZeros({ d: x.d.slice(0, nd), dp: x.dp });
  let i = nd - 1;
  const arr = x.d.slice(0, nd).split("");
  while (i >= 0 && arr[i] === "9") i--;
  if (i < 0) return { d: "1", dp: x.dp + 1 };
  arr[i] = String.fromCharCode(arr[i]!.charCodeAt(0) + 1);
  return { d: arr.slice(0, i + 1).join(""), dp: x.dp };
}

/** The shortest digits that round-trip (the same digits Go's shortest formatting picks). */
function shortestDigits(v: number): Digits {
  const s = v.toExponential();
  const e = s.indexOf("e");
  const mant = s.slice(0, e).replace(".", "");
  return trimZeros({ d: mant, dp: Number(s.slice(e + 1)) + 1 });
}

function fmtE(neg: boolean, x: Digits, prec: number, ch: string): string {
  let out = neg ? "-" : "";
  out += x.d.length === 0 ? "0" : x.d[0];
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) out += i < x.d.length ? x.d[i] : "0";
  }
  const exp = x.d.length === 0 ? 0 : x.dp - 1;
  const a = Math.abs(exp);
  return `${out}${ch}${exp < 0 ? "-" : "+"}${a < 10 ? "0" : ""}${a}`;
}

function fmtF(neg: boolean, x: Digits, prec: number): string {
  let out = neg ? "-" : "";
  if (x.dp > 0) {
    const m = Math.min(x.d.length, x.dp);
    out += x.d.slice(0, m) + "0".repeat(x.dp - m);
  } else out += "0";
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = x.dp + i - 1;
      out += j >= 0 && j < x.d.length ? x.d[j] : "0";
    }
  }
  return out;
}

/**
 * Go's `strconv.FormatFloat(v, fmt, prec, 64)` for fmt `e`, `E`, `f`, `g`, `G`; prec -1 means
 * the shortest representation that round-trips.
 * @example formatGoFloat(1234567, "g", 4) // "1.235e+06"
 */
export function formatGoFloat(v: number, fmt: "e" | "E" | "f" | "g" | "G", prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  const shortest = prec < 0;
  let x: Digits;
  if (a === 0) x = { d: "", dp: 0 };
  else if (shortest) x = shortestDigits(a);
  else {
    const exact = exactDigits(a);
    switch (fmt) {
      case "e":
      case "E":
        x = roundDigits(exact, prec + 1);
        break;
      case "f":
        x = roundDigits(exact, exact.dp + prec);
        break;
      default:
        x = roundDigits(exact, prec === 0 ? 1 : prec);
    }
  }
  switch (fmt) {
    case "e":
    case "E":
      return fmtE(neg, x, shortest ? Math.max(x.d.length - 1, 0) : prec, fmt);
    case "f":
      return fmtF(neg, x, shortest ? Math.max(x.d.length - x.dp, 0) : prec);
    default: {
      let p = shortest ? 6 : prec === 0 ? 1 : prec;
      let eprec = p;
      if (shortest) eprec = 6;
      else if (eprec > x.d.length && x.d.length >= x.dp) eprec = x.d.length;
      const exp = x.dp - 1;
      if (x.d.length > 0 && (exp < -4 || exp >= eprec)) {
        if (shortest) p = x.d.length;
        else if (p > x.d.length) p = x.d.length;
        return fmtE(neg, x, p - 1, fmt === "g" ? "e" : "E");
      }
      if (shortest) p = x.d.length;
      else if (p > x.dp) p = x.d.length;
      return fmtF(neg, x, Math.max(p - x.dp, 0));
    }
  }
}

/** Go's name of a template value's type, as fmt prints it in `%!d(float64=1.5)`. */
export function goTypeName(v: unknown): string {
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "float64";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (v === null || v === undefined) return "<nil>";
  if (v instanceof Map || (typeof v === "object" && !Array.isArray(v))) return "map[string]string";
  if (Array.isArray(v)) return "[]interface {}";
  return typeof v;
}

/** Formats a value as Go's `%v` (and `fmt.Sprint` of one operand) does. */
export function formatGoValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatGoFloat(v, "g", -1);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(formatGoValue).join(" ")}]`;
  if (v instanceof Date) return formatGoTime(v.getTime());
  if (typeof v === "object") {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    return `map[${keys.map((k) => `${k}:${formatGoValue(rec[k])}`).join(" ")}]`;
  }
  return String(v);
}

/** Formats ms since the epoch as Go's `time.Time.String()` in UTC: `1970-01-01 00:00:01.5 +0000 UTC`. */
export function formatGoTime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  let frac = "";
  const milli = ((ms % 1000) + 1000) % 1000;
  if (milli !== 0) frac = `.${String(milli).padStart(3, "0").replace(/0+$/, "")}`;
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${frac} +0000 UTC`;
}

/** Go's `strconv.Quote` for printable text (escapes quotes, backslashes and control characters). */
export function goQuoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width: number;
  prec: number;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width <= s.length) return s;
  const n = spec.width - s.length;
  if (spec.minus) return s + " ".repeat(n);
  if (spec.zero && numeric) {
    const sign = s[0] === "-" || s[0] === "+" || s[0] === " " ? s[0] : "";
    return sign + "0".repeat(n) + s.slice(sign.length);
  }
  return " ".repeat(n) + s;
}

function signed(s: string, spec: Spec): string {
  if (s[0] === "-") return s;
  if (spec.plus) return `+${s}`;
  if (spec.space) return ` ${s}`;
  return s;
}

function bad(verb: string, arg: unknown): string {
  return `%!${verb}(${goTypeName(arg)}=${formatGoValue(arg)})`;
}

function formatOne(verb: string, spec: Spec, arg: unknown): string {
  switch (verb) {
    case "v":
      if (typeof arg === "number") return pad(signed(formatGoFloat(arg, "g", -1), spec), spec, true);
      if (typeof arg === "bigint") return pad(signed(arg.toString(), spec), spec, true);
      return pad(formatGoValue(arg), spec, false);
    case "s":
      if (typeof arg === "string") {
        return pad(spec.prec >= 0 ? [...arg].slice(0, spec.prec).join("") : arg, spec, false);
      }
      if (typeof arg === "number" || typeof arg === "bigint") return bad(verb, arg);
      return pad(formatGoValue(arg), spec, false);
    case "q":
      if (typeof arg === "string") return pad(goQuoteString(arg), spec, false);
      return bad(verb, arg);
    case "d":
      if (typeof arg === "bigint") return pad(signed(arg.toString(), spec), spec, true);
      return bad(verb, arg);
    case "x":
    case "X": {
      let s: string;
      if (typeof arg === "bigint") s = (arg < 0n ? "-" : "") + (arg < 0n ? -arg : arg).toString(16);
      else if (typeof arg === "string") s = Buffer.from(arg, "utf8").toString("hex");
      else return bad(verb, arg);
      if (verb === "X") s = s.toUpperCase();
      return pad(s, spec, true);
    }
    case "t":
      if (typeof arg === "boolean") return pad(arg ? "true" : "false", spec, false);
      return bad(verb, arg);
    case "e":
    case "E":
    case "f":
    case "F":
    case "g":
    case "G": {
      if (typeof arg !== "number") return bad(verb, arg);
      const f = verb === "F" ? "f" : (verb as "e" | "E" | "f" | "g" | "G");
      const prec = spec.prec >= 0 ? spec.prec : f === "g" || f === "G" ? -1 : 6;
      let s = formatGoFloat(arg, f, prec);
      if (s === "+Inf" && !spec.plus) s = "Inf";
      return pad(signed(s, spec), spec, Number.isFinite(arg));
    }
    default:
      return `%!${verb}(${goTypeName(arg)}=${formatGoValue(arg)})`;
  }
}

/**
 * Go's `fmt.Sprintf` for the verbs templates use: `%s %q %d %x %t %v %f %e %g` with flags
 * (`-+ 0#`), width and precision. Wrong types and missing arguments print Go's `%!d(...)` forms.
 * @example goSprintf("%.2f%%", [12.345]) // "12.35%"
 */
export function goSprintf(format: string, args: readonly unknown[]): string {
  let out = "";
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    const spec: Spec = {
      minus: false,
      plus: false,
      space: false,
      zero: false,
      sharp: false,
      width: -1,
      prec: -1,
    };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === " ") spec.space = true;
      else if (f === "0") spec.zero = true;
      else if (f === "#") spec.sharp = true;
      else break;
    }
    let w = "";
    while (i < format.length && format[i]! >= "0" && format[i]! <= "9") w += format[i++];
    if (w !== "") spec.width = Number(w);
    if (format[i] === ".") {
      i++;
      let p = "";
      while (i < format.length && format[i]! >= "0" && format[i]! <= "9") p += format[i++];
      spec.prec = p === "" ? 0 : Number(p);
    }
    const verb = format[i++];
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, spec, args[argi++]);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${goTypeName(a)}=${formatGoValue(a)}`)
      .join(", ")})`;
  }
  return out;
}

/** Go's `fmt.Sprint`: operands concatenated, with a space between two that are not strings. */
export function goSprint(args: readonly unknown[]): string {
  let out = "";
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatGoValue(a);
  }
  return out;
}
