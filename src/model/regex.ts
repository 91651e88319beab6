/** Thrown when a regular expression cannot be compiled. */
export class InvalidRegexError extends Error {
  override name = "InvalidRegexError";
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-/:-@[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

const SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

function isLetter(c: string): boolean {
  return c.toLowerCase() !== c.toUpperCase();
}

/** Both cases of a letter as a class body (`aA`), or the escaped character itself. */
function bothCases(c: string): string {
  const lo = c.toLowerCase();
  const up = c.toUpperCase();
  return lo === up ? c : lo.length === 1 && up.length === 1 ? `${lo}${up}` : c;
}

/**
 * Translates Go RE2 syntax (what Prometheus accepts) to an equivalent JavaScript source:
 * `(?P<name>`, scoped and global inline flags (`(?i)`, `(?i:...)`, `(?s)`, `(?-s:...)`) which
 * Node 20 cannot scope, `\A`, `\z`, `\Q...\E`, POSIX classes (`[[:alpha:]]`) and `\pL`. Dot
 * matches newlines by default (Prometheus compiles `^(?s:re)$`).
 */
export function translateRE2(source: string): string {
  let out = "";
  let i = 0;
  // Flag state per open group: case-insensitive and dot-all.
  const stack: { ci: boolean; dotall: boolean }[] = [];
  let ci = false;
  let dotall = true;
  const n = source.length;

  const readFlags = (s: string): { on: string; off: string } => {
    const [on = "", off = ""] = s.split("-");
    for (const f of on + off) {
      if (!"imsU".includes(f)) throw new InvalidRegexError(`invalid or unsupported Perl syntax: (?${s}`);
    }
    return { on, off };
  };
  const apply = (f: { on: string; off: string }) => {
    if (f.on.includes("i")) ci = true;
    if (f.off.includes("i")) ci = false;
    if (f.on.includes("s")) dotall = true;
    if (f.off.includes("s")) dotall = false;
  };

  while (i < n) {
    const c = source[i]!;
    if (c === "\\") {
      const d = source[i + 1];
      if (d === undefined) throw new InvalidRegexError("trailing backslash at end of expression");
      if (d === "Q") {
        const end = source.indexOf("\\E", i + 2);
        const lit = source.slice(i + 2, end < 0 ? n : end);
        for (const ch of lit) out += literal(ch, ci);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (d === "A") {
        out += "^";
        i += 2;
        continue;
      }
      if (d === "z") {
        out += "$";
        i += 2;
        continue;
      }
      if (d === "p" || d === "P") {
        const [cls, next] = unicodeClass(source, i);
        out += cls;
        i = next;
        continue;
      }
      if (/[a-zA-Z0-9]/.test(d)) {
        out += `\\${d}`;
      } else {
        out += SYNTAX.has(d) ? `\\${d}` : literal(d, false);
      }
      i += 2;
      continue;
    }
    if (c === "[") {
      const [cls, next] = translateClass(source, i, ci);
      out += cls;
      i = next;
      continue;
    }
    if (c === "(") {
      if (source[i + 1] === "?") {
        if (source[i + 2] === "P" && source[i + 3] === "<") {
          stack.push({ ci, dotall });
          out += "(?<";
          i += 4;
          continue;
        }
        if ((source[i + 2] === "<" && /[A-Za-z_]/.test(source[i + 3] ?? "")) || source[i + 2] === ":") {
          stack.push({ ci, dotall });
          out += source[i + 2] === "<" ? "(?<" : "(?:";
          i += 3;
          continue;
        }
        const m = /^\(\?([a-zA-Z-]*)([:)])/.exec(source.slice(i));
        if (!m) throw new InvalidRegexError(`invalid or unsupported Perl syntax at position ${i}`);
        const flags = readFlags(m[1]!);
        if (m[2] === ")") {
          apply(flags);
        } else {
          stack.push({ ci, dotall });
          apply(flags);
          out += "(?:";
        }
        i += m[0].length;
        continue;
      }
      stack.push({ ci, dotall });
      out += "(";
      i++;
      continue;
    }
    if (c === ")") {
      const prev = stack.pop();
      if (prev) {
        ci = prev.ci;
        dotall = prev.dotall;
      }
      out += ")";
      i++;
      continue;
    }
    if (c === ".") {
      out += dotall ? "[^]" : "[^\\n]";
      i++;
      continue;
    }
    out += ci && isLetter(c) ? literal(c, true) : c;
    i++;
  }
  return out;
}

/** Translates `\pX`, `\p{Name}`, `\PX`, `\P{Name}` at `i`: RE2 names are categories (1–2 letters) or scripts. */
function unicodeClass(source: string, i: number): [string, number] {
  const d = source[i + 1]!;
  let name: string;
  let next: number;
  if (source[i + 2] === "{") {
    const end = source.indexOf("}", i + 3);
    if (end < 0) throw new InvalidRegexError("invalid character class range: missing }");
    name = source.slice(i + 3, end);
    next = end + 1;
  } else {
    name = source[i + 2] ?? "";
    next = i + 3;
  }
  let neg = d === "P";
  if (name.startsWith("^")) {
    neg = !neg;
    name = name.slice(1);
  }
  const prop = name.length <= 2 ? name : `Script=${name}`;
  return [`\\${neg ? "P" : "p"}{${prop}}`, next];
}

function literal(ch: string, ci: boolean): string {
  if (ci && isLetter(ch)) {
    const b = bothCases(ch);
    return b.length > 1 ? `[${b}]` : b;
  }
  if (SYNTAX.has(ch)) return `\\${ch}`;
  return ch;
}

/** Translates a character class starting at `source[start] === "["`; returns it and the next index. */
function translateClass(source: string, start: number, ci: boolean): [string, number] {
  let i = start + 1;
  let body = "";
  let negate = false;
  if (source[i] === "^") {
    negate = true;
    i++;
  }
  let first = true;
  const extra: string[] = [];
  while (i < source.length) {
    const c = source[i]!;
    if (c === "]" && !first) break;
    first = false;
    if (c === "[" && source[i + 1] === ":") {
      const end = source.indexOf(":]", i + 2);
      if (end < 0) throw new InvalidRegexError("missing closing ]");
      let name = source.slice(i + 2, end);
      const neg = name.startsWith("^");
      if (neg) name = name.slice(1);
      const cls = POSIX_CLASSES[name];
      if (cls === undefined) throw new InvalidRegexError(`invalid character class range: [:${name}:]`);
      if (neg) throw new InvalidRegexError(`negated POSIX class [:^${name}:] is not supported`);
      body += cls;
      i = end + 2;
      continue;
    }
    if (c === "\\") {
      const d = source[i + 1];
      if (d === undefined) throw new InvalidRegexError("missing closing ]");
      if (d === "p" || d === "P") {
        const [cls, next] = unicodeClass(source, i);
        body += cls;
        i = next;
        continue;
      }
      body += /[a-zA-Z0-9]/.test(d) || SYNTAX.has(d) || d === "-" ? `\\${d}` : d;
      i += 2;
      continue;
    }
    if (c === "[") {
      body += "\\[";
      i++;
      continue;
    }
    if (ci && isLetter(c)) {
      // A range like a-z: add the other case of the whole range.
      if (
        source[i + 1] === "-" &&
        source[i + 2] !== undefined &&
        source[i + 2] !== "]" &&
        isLetter(source[i + 2]!)
      ) {
        const hi = source[i + 2]!;
        body += `${c}-${hi}`;
        const lo2 = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        const hi2 = hi === hi.toLowerCase() ? hi.toUpperCase() : hi.toLowerCase();
        if (lo2.length === 1 && hi2.length === 1 && lo2 !== c) extra.push(`${lo2}-${hi2}`);
        i += 3;
        continue;
      }
      body += bothCases(c);
      i++;
      continue;
    }
    body += c;
    i++;
  }
  if (i >= source.length) throw new InvalidRegexError("missing closing ]");
  return [`[${negate ? "^" : ""}${body}${extra.join("")}]`, i + 1];
}

/**
 * Compiles an RE2 pattern fully anchored, as Prometheus compiles matchers and relabel regexes
 * (`^(?s:re)$`).
 * @example compileAnchoredRE2("(?i)get|post").test("GET") // true
 */
export function compileAnchoredRE2(source: string): RegExp {
  const body = translateRE2(source);
  try {
    return new RegExp(`^(?:${body})$`, "u");
  } catch (unicodeErr) {
    try {
      return new RegExp(`^(?:${body})$`);
    } catch {
      throw new InvalidRegexError((unicodeErr as Error).message.replace(/^Invalid regular expression: /, ""));
    }
  }
}
