/**
 * The PromQL lexer: a state machine modelled on Prometheus's `lex.go`, with the same token kinds,
 * error messages and context rules (keywords are plain identifiers inside braces, duration
 * expressions inside brackets, the series-description mode of test scripts).
 */

/** Token kinds. Operators, aggregators and keywords are their own kinds so errors can describe them. */
export type TokenType =
  | "EOF"
  | "ERROR"
  | "COMMENT"
  | "IDENTIFIER"
  | "METRIC_IDENTIFIER"
  | "NUMBER"
  | "DURATION"
  | "STRING"
  | "LEFT_PAREN"
  | "RIGHT_PAREN"
  | "LEFT_BRACE"
  | "RIGHT_BRACE"
  | "LEFT_BRACKET"
  | "RIGHT_BRACKET"
  | "COMMA"
  | "EQL"
  | "COLON"
  | "DOUBLE_COLON"
  | "SPACE"
  | "BLANK"
  | "TIMES"
  | "OPEN_HIST"
  | "CLOSE_HIST"
  | "HIST_DESC"
  | "COUNTER_RESET_HINT"
  // Operators.
  | "ADD"
  | "SUB"
  | "MUL"
  | "DIV"
  | "MOD"
  | "POW"
  | "EQLC"
  | "NEQ"
  | "LTE"
  | "LSS"
  | "GTE"
  | "GTR"
  | "EQL_REGEX"
  | "NEQ_REGEX"
  | "AT"
  | "ATAN2"
  | "LAND"
  | "LOR"
  | "LUNLESS"
  | "TRIM_UPPER"
  | "TRIM_LOWER"
  // Aggregators (the value holds the operator name).
  | "AGGREGATOR"
  // Keywords.
  | "BOOL"
  | "BY"
  | "WITHOUT"
  | "ON"
  | "IGNORING"
  | "GROUP_LEFT"
  | "GROUP_RIGHT"
  | "OFFSET"
  | "SMOOTHED"
  | "ANCHORED"
  | "FILL"
  | "FILL_LEFT"
  | "FILL_RIGHT"
  // Preprocessors and duration functions.
  | "START"
  | "END"
  | "STEP"
  | "RANGE"
  | "MIN_OF"
  | "MAX_OF";

/** One token: its kind, its start index in the input and its text (for ERROR, the message). */
export interface Token {
  type: TokenType;
  pos: number;
  val: string;
}

const KEYWORDS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ["and", "LAND"],
  ["or", "LOR"],
  ["unless", "LUNLESS"],
  ["atan2", "ATAN2"],
  ["sum", "AGGREGATOR"],
  ["avg", "AGGREGATOR"],
  ["count", "AGGREGATOR"],
  ["min", "AGGREGATOR"],
  ["max", "AGGREGATOR"],
  ["group", "AGGREGATOR"],
  ["stddev", "AGGREGATOR"],
  ["stdvar", "AGGREGATOR"],
  ["topk", "AGGREGATOR"],
  ["bottomk", "AGGREGATOR"],
  ["count_values", "AGGREGATOR"],
  ["quantile", "AGGREGATOR"],
  ["limitk", "AGGREGATOR"],
  ["limit_ratio", "AGGREGATOR"],
  ["offset", "OFFSET"],
  ["smoothed", "SMOOTHED"],
  ["anchored", "ANCHORED"],
  ["by", "BY"],
  ["without", "WITHOUT"],
  ["on", "ON"],
  ["ignoring", "IGNORING"],
  ["group_left", "GROUP_LEFT"],
  ["group_right", "GROUP_RIGHT"],
  ["fill", "FILL"],
  ["fill_left", "FILL_LEFT"],
  ["fill_right", "FILL_RIGHT"],
  ["bool", "BOOL"],
  ["start", "START"],
  ["end", "END"],
  ["step", "STEP"],
  ["range", "RANGE"],
  ["inf", "NUMBER"],
  ["nan", "NUMBER"],
]);

const DURATION_KEYWORDS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ["step", "STEP"],
  ["range", "RANGE"],
  ["min_of", "MIN_OF"],
  ["max_of", "MAX_OF"],
]);

const HIST_DESC = new Set([
  "sum",
  "count",
  "schema",
  "offset",
  "n_offset",
  "buckets",
  "n_buckets",
  "z_bucket",
  "z_bucket_w",
  "custom_values",
  "counter_reset_hint",
]);

const COUNTER_RESET_HINTS = new Set(["unknown", "reset", "not_reset", "gauge"]);

const OPERATOR_TYPES: ReadonlySet<TokenType> = new Set<TokenType>([
  "ADD",
  "SUB",
  "MUL",
  "DIV",
  "MOD",
  "POW",
  "EQLC",
  "NEQ",
  "LTE",
  "LSS",
  "GTE",
  "GTR",
  "EQL_REGEX",
  "NEQ_REGEX",
  "AT",
  "ATAN2",
  "LAND",
  "LOR",
  "LUNLESS",
  "TRIM_UPPER",
  "TRIM_LOWER",
]);

const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set<TokenType>([
  "BOOL",
  "BY",
  "WITHOUT",
  "ON",
  "IGNORING",
  "GROUP_LEFT",
  "GROUP_RIGHT",
  "OFFSET",
  "SMOOTHED",
  "ANCHORED",
  "FILL",
  "FILL_LEFT",
  "FILL_RIGHT",
]);

/** True for tokens that are binary or matching operators. */
export function isOperatorToken(t: TokenType): boolean {
  return OPERATOR_TYPES.has(t);
}

/** True for keyword tokens (`by`, `offset`, `bool`, ...). */
export function isKeywordToken(t: TokenType): boolean {
  return KEYWORD_TYPES.has(t);
}

/**
 * Describes a token the way Prometheus's `Item.desc()` does in "unexpected ..." messages:
 * `<op:+>`, `<aggr:sum>`, `<by>`, `identifier "foo"`, `"("`, `end of input`.
 */
export function describeToken(tok: Token): string {
  switch (tok.type) {
    case "EOF":
      return "end of input";
    case "ERROR":
      return tok.val;
    case "IDENTIFIER":
      return `identifier ${goQuote(tok.val)}`;
    case "METRIC_IDENTIFIER":
      return `metric identifier ${goQuote(tok.val)}`;
    case "STRING":
      return `string ${shortQuote(tok.val)}`;
    case "NUMBER":
      return `number ${shortQuote(tok.val)}`;
    case "DURATION":
      return `duration ${shortQuote(tok.val)}`;
    case "COMMENT":
      return `comment ${shortQuote(tok.val)}`;
    case "AGGREGATOR":
      return `<aggr:${tok.val}>`;
    case "SPACE":
      return "<space>";
    default:
      if (OPERATOR_TYPES.has(tok.type)) return `<op:${tok.val}>`;
      if (KEYWORD_TYPES.has(tok.type)) return `<${tok.val}>`;
      return goQuote(tok.val);
  }
}

function shortQuote(s: string): string {
  if (s.length > 10) return `${goQuote(s.slice(0, 10))}...`;
  return goQuote(s);
}

/**
 * Quotes a string like Go's `strconv.Quote`: `\a \b \f \n \r \t \v \\ \"` escapes, `\xNN` for other
 * control bytes and for bytes that were invalid UTF-8 (kept as U+DC80..U+DCFF, see `unquote`),
 * `\uNNNN` for other non-printable characters.
 */
export function goQuote(s: string): string {
  return `"${goEscape(s, '"')}"`;
}

/** Quotes a single character like Go's `%q` on a rune: `'x'`. */
export function goQuoteRune(ch: string): string {
  if (ch === "") return "'\\uffff'";
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  return `'${goEscape(ch, "'")}'`;
}

function goEscape(s: string, quote: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      const ch = s[i]!;
      out += ch === quote || ch === "\\" ? `\\${ch}` : ch;
      continue;
    }
    switch (c) {
      case 7:
        out += "\\a";
        continue;
      case 8:
        out += "\\b";
        continue;
      case 12:
        out += "\\f";
        continue;
      case 10:
        out += "\\n";
        continue;
      case 13:
        out += "\\r";
        continue;
      case 9:
        out += "\\t";
        continue;
      case 11:
        out += "\\v";
        continue;
    }
    if (c < 0x20 || c === 0x7f) {
      out += `\\x${c.toString(16).padStart(2, "0")}`;
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out += `\\x${(c - 0xdc00).toString(16).padStart(2, "0")}`;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += "\\ufffd";
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += "\\ufffd";
    } else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0xfeff || (c >= 0x2028 && c <= 0x2029)) {
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    } else {
      out += s[i]!;
    }
  }
  return out;
}

enum Mode {
  Statements,
  InsideBraces,
  DurationExpr,
  ValueSequence,
  Histogram,
  Buckets,
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isAlpha(c: string): boolean {
  return c === "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

function isAlphaNumeric(c: string): boolean {
  return isAlpha(c) || isDigit(c);
}

/**
 * A pull lexer over one input. `next()` returns tokens until EOF or the first ERROR (after which
 * it keeps returning EOF). Comments are returned as COMMENT tokens; the parser skips them.
 */
export class Lexer {
  readonly input: string;
  private pos = 0;
  private start = 0;
  private mode: Mode = Mode.Statements;
  private parenDepth = 0;
  private bracketOpen = false;
  private gotColon = false;
  private gotDuration = false;
  private stringOpen = "";
  private done = false;
  private histPending: "" | "x" | "+" | "-" = "";
  /** True when lexing a series description (`load` lines of test scripts). */
  readonly seriesDesc: boolean;

  constructor(input: string, seriesDesc = false) {
    this.input = input;
    this.seriesDesc = seriesDesc;
  }

  private peek(): string {
    return this.pos < this.input.length ? this.input[this.pos]! : "";
  }

  private nextCh(): string {
    if (this.pos >= this.input.length) {
      this.pos++;
      return "";
    }
    return this.input[this.pos++]!;
  }

  private backup(): void {
    this.pos--;
  }

  private accept(valid: string): boolean {
    const c = this.peek();
    if (c !== "" && valid.includes(c)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private is(valid: string): boolean {
    const c = this.peek();
    return c !== "" && valid.includes(c);
  }

  private emit(type: TokenType): Token {
    const tok: Token = { type, pos: this.start, val: this.input.slice(this.start, this.pos) };
    this.start = this.pos;
    return tok;
  }

  private error(msg: string): Token {
    this.done = true;
    return { type: "ERROR", pos: this.start, val: msg };
  }

  private skipSpaces(): void {
    while (isSpace(this.peek())) this.pos++;
    this.start = this.pos;
  }

  /** Returns the next token. */
  next(): Token {
    if (this.done) return { type: "EOF", pos: this.input.length, val: "" };
    for (;;) {
      let tok: Token | null;
      switch (this.mode) {
        case Mode.Statements:
          tok = this.lexStatements();
          break;
        case Mode.InsideBraces:
          tok = this.lexInsideBraces();
          break;
        case Mode.DurationExpr:
          tok = this.lexDurationExpr();
          break;
        case Mode.ValueSequence:
          tok = this.lexValueSequence();
          break;
        case Mode.Histogram:
          tok = this.lexHistogram();
          break;
        case Mode.Buckets:
          tok = this.lexBuckets();
          break;
      }
      if (tok !== null) {
        if (tok.type === "EOF") this.done = true;
        return tok;
      }
    }
  }

  private lexComment(): Token {
    this.pos++;
    while (this.pos < this.input.length && this.input[this.pos] !== "\n" && this.input[this.pos] !== "\r") {
      this.pos++;
    }
    return this.emit("COMMENT");
  }

  private lexStatements(): Token | null {
    if (this.input.startsWith("#", this.pos)) return this.lexComment();
    const r = this.nextCh();
    if (r === "") {
      this.pos = this.input.length;
      if (this.parenDepth !== 0) {
        this.start = this.pos;
        return this.error("unclosed left parenthesis");
      }
      if (this.bracketOpen) {
        this.start = this.pos;
        return this.error("unclosed left bracket");
      }
      return this.emit("EOF");
    }
    switch (r) {
      case ",":
        return this.emit("COMMA");
      case "*":
        return this.emit("MUL");
      case "/":
        return this.emit("DIV");
      case "%":
        return this.emit("MOD");
      case "+":
        return this.emit("ADD");
      case "-":
        return this.emit("SUB");
      case "^":
        return this.emit("POW");
      case "=": {
        const t = this.peek();
        if (t === "=") {
          this.pos++;
          return this.emit("EQLC");
        }
        if (t === "~") return this.error(`unexpected character after '=': ${goQuoteRune(t)}`);
        return this.emit("EQL");
      }
      case "!": {
        const t = this.nextCh();
        if (t !== "=") return this.error(`unexpected character after '!': ${goQuoteRune(t)}`);
        return this.emit("NEQ");
      }
      case "<": {
        const t = this.peek();
        if (t === "=") {
          this.pos++;
          return this.emit("LTE");
        }
        if (t === "/") {
          this.pos++;
          return this.emit("TRIM_UPPER");
        }
        return this.emit("LSS");
      }
      case ">": {
        const t = this.peek();
        if (t === "=") {
          this.pos++;
          return this.emit("GTE");
        }
        if (t === "/") {
          this.pos++;
          return this.emit("TRIM_LOWER");
        }
        return this.emit("GTR");
      }
      case '"':
      case "'":
        this.stringOpen = r;
        return this.lexString();
      case "`":
        return this.lexRawString();
      case "(":
        this.parenDepth++;
        return this.emit("LEFT_PAREN");
      case ")": {
        const tok = this.emit("RIGHT_PAREN");
        this.parenDepth--;
        if (this.parenDepth < 0) {
          this.start = this.pos;
          return this.error("unexpected right parenthesis ')'");
        }
        return tok;
      }
      case "{":
        this.mode = Mode.InsideBraces;
        return this.emit("LEFT_BRACE");
      case "[": {
        if (this.bracketOpen) return this.error("unexpected left bracket '['");
        this.gotColon = false;
        this.gotDuration = false;
        const tok = this.emit("LEFT_BRACKET");
        this.skipSpaces();
        this.bracketOpen = true;
        this.mode = Mode.DurationExpr;
        return tok;
      }
      case "]":
        if (!this.bracketOpen) return this.error("unexpected right bracket ']'");
        this.bracketOpen = false;
        return this.emit("RIGHT_BRACKET");
      case "@":
        return this.emit("AT");
    }
    if (isSpace(r)) {
      this.skipSpaces();
      return null;
    }
    if (isDigit(r) || (r === "." && isDigit(this.peek()))) {
      this.backup();
      return this.lexNumberOrDuration();
    }
    if (isAlpha(r) || r === ":") {
      if (!this.bracketOpen) {
        this.backup();
        return this.lexKeywordOrIdentifier();
      }
      if (r === ":") {
        if (this.gotColon) return this.error(`unexpected colon ${goQuoteRune(r)}`);
        this.gotColon = true;
        if (this.peek() === ":") {
          this.pos++;
          return this.emit("DOUBLE_COLON");
        }
        return this.emit("COLON");
      }
      const kw = this.scanDurationKeyword();
      if (kw) return kw;
      return this.error(`unexpected character: ${goQuoteRune(r)}, expected ':'`);
    }
    return this.error(`unexpected character: ${goQuoteRune(r)}`);
  }

  private scanDurationKeyword(): Token | null {
    while (isAlpha(this.peek())) this.pos++;
    const word = this.input.slice(this.start, this.pos).toLowerCase();
    const t = DURATION_KEYWORDS.get(word);
    return t ? this.emit(t) : null;
  }

  private lexDurationExpr(): Token | null {
    const r = this.nextCh();
    if (r === "") {
      this.pos = this.input.length;
      return this.error("unexpected end of input in duration expression");
    }
    switch (r) {
      case "]":
        this.bracketOpen = false;
        this.gotColon = false;
        this.mode = Mode.Statements;
        return this.emit("RIGHT_BRACKET");
      case ":": {
        if (!this.gotDuration) return this.error("unexpected colon before duration in duration expression");
        if (this.gotColon) return this.error("unexpected repeated colon in duration expression");
        this.gotColon = true;
        if (this.peek() === ":") {
          this.pos++;
          return this.emit("DOUBLE_COLON");
        }
        return this.emit("COLON");
      }
      case "(":
        this.parenDepth++;
        return this.emit("LEFT_PAREN");
      case ")": {
        const tok = this.emit("RIGHT_PAREN");
        this.parenDepth--;
        if (this.parenDepth < 0) return this.error("unexpected right parenthesis ')'");
        return tok;
      }
      case "+":
        return this.emit("ADD");
      case "-":
        return this.emit("SUB");
      case "*":
        return this.emit("MUL");
      case "/":
        return this.emit("DIV");
      case "%":
        return this.emit("MOD");
      case "^":
        return this.emit("POW");
      case ",":
        return this.emit("COMMA");
    }
    if (isSpace(r)) {
      this.skipSpaces();
      return null;
    }
    if (isAlpha(r)) {
      const kw = this.scanDurationKeyword();
      if (kw) return kw;
      return this.error(`unexpected character in duration expression: ${goQuoteRune(r)}`);
    }
    if (isDigit(r) || (r === "." && isDigit(this.peek()))) {
      this.backup();
      this.gotDuration = true;
      const tok = this.lexNumberOrDuration();
      if (tok.type !== "ERROR") this.mode = Mode.Statements;
      return tok;
    }
    return this.error(`unexpected character in duration expression: ${goQuoteRune(r)}`);
  }

  private lexInsideBraces(): Token | null {
    if (this.input.startsWith("#", this.pos)) return this.lexComment();
    const r = this.nextCh();
    if (r === "") {
      this.pos = this.input.length;
      return this.error("unexpected end of input inside braces");
    }
    if (isSpace(r)) {
      this.skipSpaces();
      return null;
    }
    if (isAlpha(r)) {
      while (isAlphaNumeric(this.peek())) this.pos++;
      return this.emit("IDENTIFIER");
    }
    switch (r) {
      case ",":
        return this.emit("COMMA");
      case '"':
      case "'":
        this.stringOpen = r;
        return this.lexString();
      case "`":
        return this.lexRawString();
      case "=":
        if (this.peek() === "~") {
          this.pos++;
          return this.emit("EQL_REGEX");
        }
        return this.emit("EQL");
      case "!": {
        const nr = this.nextCh();
        if (nr === "~") return this.emit("NEQ_REGEX");
        if (nr === "=") return this.emit("NEQ");
        return this.error(`unexpected character after '!' inside braces: ${goQuoteRune(nr)}`);
      }
      case "{":
        return this.error("unexpected left brace '{'");
      case "}":
        this.mode = this.seriesDesc ? Mode.ValueSequence : Mode.Statements;
        return this.emit("RIGHT_BRACE");
    }
    return this.error(`unexpected character inside braces: ${goQuoteRune(r)}`);
  }

  private lexString(): Token {
    const q = this.stringOpen;
    for (;;) {
      const c = this.nextCh();
      if (c === "\\") {
        const err = this.lexEscape();
        if (err) return this.error(err);
        continue;
      }
      if (c === "" || c === "\n") {
        if (c === "") this.pos = this.input.length;
        return this.error("unterminated quoted string");
      }
      if (c === q) break;
    }
    const tok = this.emit("STRING");
    return tok;
  }

  private lexEscape(): string | null {
    let ch = this.nextCh();
    let n: number;
    let base: number;
    let max: number;
    switch (ch) {
      case "a":
      case "b":
      case "f":
      case "n":
      case "r":
      case "t":
      case "v":
      case "\\":
      case this.stringOpen:
        return null;
      case "0":
      case "1":
      case "2":
      case "3":
      case "4":
      case "5":
      case "6":
      case "7":
        n = 3;
        base = 8;
        max = 255;
        break;
      case "x":
        ch = this.nextCh();
        n = 2;
        base = 16;
        max = 255;
        break;
      case "u":
        ch = this.nextCh();
        n = 4;
        base = 16;
        max = 0x10ffff;
        break;
      case "U":
        ch = this.nextCh();
        n = 8;
        base = 16;
        max = 0x10ffff;
        break;
      case "":
        return "escape sequence not terminated";
      default:
        return `unknown escape sequence ${goRuneU(ch)}`;
    }
    let x = 0;
    while (n > 0) {
      const d = digitVal(ch);
      if (d >= base) {
        if (ch === "") return "escape sequence not terminated";
        return `illegal character ${goRuneU(ch)} in escape sequence`;
      }
      x = x * base + d;
      n--;
      if (n > 0) ch = this.nextCh();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) return "escape sequence is an invalid Unicode code point";
    return null;
  }

  private lexRawString(): Token {
    for (;;) {
      const c = this.nextCh();
      if (c === "") {
        this.pos = this.input.length;
        return this.error("unterminated raw string");
      }
      if (c === "`") break;
    }
    return this.emit("STRING");
  }

  private lexNumberOrDuration(): Token {
    if (this.scanNumber()) return this.emit("NUMBER");
    if (this.acceptRemainingDuration()) {
      this.backup();
      return this.emit("DURATION");
    }
    return this.error(`bad number or duration syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
  }

  private acceptRemainingDuration(): boolean {
    if (!this.accept("smhdwy")) return false;
    this.accept("s");
    while (this.accept("0123456789")) {
      while (this.accept("0123456789")) {
        /* absorb */
      }
      if (!this.accept("smhdw")) return false;
      this.accept("s");
    }
    return !isAlphaNumeric(this.nextCh());
  }

  private scanNumber(): boolean {
    const initial = this.pos;
    let digits = "0123456789";
    if (!this.seriesDesc && this.accept("0") && this.accept("xX")) {
      this.accept("_");
      digits = "0123456789abcdefABCDEF";
    }
    this.accept(".");
    this.accept(digits);
    let dot = false;
    let exp = false;
    while (this.is(`${digits}._eE`)) {
      if (this.is(".") && dot) {
        this.accept(".");
        return false;
      }
      if (this.is("eE") && exp && digits.length === 10) {
        this.accept("eE");
        return false;
      }
      if (this.accept(".")) {
        dot = true;
        if (this.accept("_.")) return false;
        if (digits.length > 10) return false;
        continue;
      }
      if (digits.length === 10 && this.accept("eE")) {
        exp = true;
        this.accept("+-");
        if (this.accept("._eE") || this.peek() === "") return false;
        continue;
      }
      if (this.accept("_")) {
        if (this.accept("._eE") || this.peek() === "") return false;
        continue;
      }
      while (this.accept(digits)) {
        /* absorb */
      }
    }
    if (this.pos === initial) return false;
    const r = this.peek();
    return (this.seriesDesc && r === "x") || !isAlphaNumeric(r);
  }

  private lexKeywordOrIdentifier(): Token {
    while (isAlphaNumeric(this.peek()) || this.peek() === ":") this.pos++;
    const word = this.input.slice(this.start, this.pos);
    const kw = KEYWORDS.get(word.toLowerCase());
    let tok: Token;
    if (kw !== undefined && !(kw === "FILL" || kw === "FILL_LEFT" || kw === "FILL_RIGHT")) {
      tok = this.emit(kw);
    } else if (kw !== undefined && this.followedByLeftParen()) {
      tok = this.emit(kw);
    } else if (!word.includes(":")) {
      tok = this.emit("IDENTIFIER");
    } else {
      tok = this.emit("METRIC_IDENTIFIER");
    }
    if (this.seriesDesc && this.peek() !== "{") this.mode = Mode.ValueSequence;
    return tok;
  }

  private followedByLeftParen(): boolean {
    let p = this.pos;
    while (p < this.input.length && isSpace(this.input[p]!)) p++;
    return this.input[p] === "(";
  }

  // Series descriptions.

  private lexValueSequence(): Token | null {
    const r = this.nextCh();
    if (r === "") {
      this.pos = this.input.length;
      this.mode = Mode.Statements;
      return null;
    }
    if (r === "{" && this.peek() === "{") {
      this.pos++;
      this.mode = Mode.Histogram;
      return this.emit("OPEN_HIST");
    }
    if (isSpace(r)) {
      while (isSpace(this.peek())) this.pos++;
      return this.emit("SPACE");
    }
    switch (r) {
      case "+":
        return this.emit("ADD");
      case "-":
        return this.emit("SUB");
      case "x":
        return this.emit("TIMES");
      case "_":
        return this.emit("BLANK");
    }
    if (isDigit(r) || (r === "." && isDigit(this.peek()))) {
      this.backup();
      if (!this.scanNumber()) {
        return this.error(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
      return this.emit("NUMBER");
    }
    if (isAlpha(r)) {
      this.backup();
      return this.lexKeywordOrIdentifier();
    }
    return this.error(`unexpected character in series sequence: ${goQuoteRune(r)}`);
  }

  private lexHistogram(): Token | null {
    if (this.histPending !== "") {
      const p = this.histPending;
      this.histPending = "";
      this.pos++;
      this.mode = Mode.ValueSequence;
      return this.emit(p === "x" ? "TIMES" : p === "+" ? "ADD" : "SUB");
    }
    const r = this.nextCh();
    if (isSpace(r)) {
      while (isSpace(this.peek())) this.pos++;
      return this.emit("SPACE");
    }
    if (isAlpha(r) && r !== "x") {
      while (isAlpha(this.peek())) this.pos++;
      const word = this.input.slice(this.start, this.pos).toLowerCase();
      if (HIST_DESC.has(word)) {
        if (this.peek() === ":") return this.emit("HIST_DESC");
        return this.error("missing `:` for histogram descriptor");
      }
      if (word === "inf" || word === "nan") return this.emit("NUMBER");
      if (COUNTER_RESET_HINTS.has(word)) return this.emit("COUNTER_RESET_HINT");
      return this.error(`bad histogram descriptor found: ${goQuote(this.input.slice(this.start, this.pos))}`);
    }
    switch (r) {
      case ":":
        return this.emit("COLON");
      case "-":
        return this.emit("SUB");
      case "x":
        return this.emit("TIMES");
      case "[":
        this.mode = Mode.Buckets;
        return this.emit("LEFT_BRACKET");
      case "}":
        if (this.peek() === "}") {
          this.pos++;
          const tok = this.emit("CLOSE_HIST");
          const n = this.peek();
          if (n === "x" || n === "+" || n === "-") this.histPending = n;
          else this.mode = Mode.ValueSequence;
          return tok;
        }
        break;
    }
    if (isDigit(r)) {
      this.backup();
      if (!this.scanNumber()) {
        return this.error(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
      return this.emit("NUMBER");
    }
    if (r === "") this.pos = this.input.length;
    return this.error(`histogram description incomplete unexpected: ${goQuoteRune(r)}`);
  }

  private lexBuckets(): Token | null {
    const r = this.nextCh();
    if (isSpace(r)) {
      while (isSpace(this.peek())) this.pos++;
      return this.emit("SPACE");
    }
    if (r === "-") return this.emit("SUB");
    if (r === "]") {
      this.mode = Mode.Histogram;
      return this.emit("RIGHT_BRACKET");
    }
    if (isDigit(r)) {
      this.backup();
      if (!this.scanNumber()) {
        return this.error(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
      return this.emit("NUMBER");
    }
    if (isAlpha(r)) {
      while (isAlpha(this.peek())) this.pos++;
      const word = this.input.slice(this.start, this.pos).toLowerCase();
      if (word === "inf" || word === "nan") return this.emit("NUMBER");
    }
    if (r === "") this.pos = this.input.length;
    return this.error(`invalid character in buckets description: ${goQuoteRune(r)}`);
  }
}

function digitVal(ch: string): number {
  if (ch >= "0" && ch <= "9") return ch.charCodeAt(0) - 48;
  if (ch >= "a" && ch <= "f") return ch.charCodeAt(0) - 87;
  if (ch >= "A" && ch <= "F") return ch.charCodeAt(0) - 55;
  return 16;
}

/** Formats a character like Go's `%#U`: `U+0027 '''`. */
function goRuneU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0xfffd;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")} '${ch}'`;
}

/**
 * Resolves the escapes of a lexed string token (quotes included) as Prometheus's
 * `strutil.Unquote` does. Bytes that do not form valid UTF-8 (from `\x` or octal escapes) are
 * kept as the lone surrogates U+DC80..U+DCFF, so no information is lost and `goQuote` prints
 * them back as `\xNN`.
 * @example unquote('"a\\tb"') // "a\tb"
 */
export function unquote(s: string): string {
  const q = s[0];
  if (q === "`") return s.slice(1, -1);
  const body = s.slice(1, -1);
  if (!body.includes("\\")) return body;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      const cp = body.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
      continue;
    }
    const e = body[++i]!;
    switch (e) {
      case "a":
        bytes.push(7);
        break;
      case "b":
        bytes.push(8);
        break;
      case "f":
        bytes.push(12);
        break;
      case "n":
        bytes.push(10);
        break;
      case "r":
        bytes.push(13);
        break;
      case "t":
        bytes.push(9);
        break;
      case "v":
        bytes.push(11);
        break;
      case "x":
        bytes.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case "u":
      case "U": {
        const n = e === "u" ? 4 : 8;
        const cp = Number.parseInt(body.slice(i + 1, i + 1 + n), 16);
        for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
        i += n;
        break;
      }
      default:
        if (e >= "0" && e <= "7") {
          bytes.push(Number.parseInt(body.slice(i, i + 3), 8));
          i += 2;
        } else {
          bytes.push(e.charCodeAt(0));
        }
    }
  }
  return decodeUtf8Lossless(bytes);
}

function decodeUtf8Lossless(bytes: number[]): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b < 0xe0) {
      need = 1;
      cp = b & 0x1f;
      min = 0x80;
    } else if (b >= 0xe0 && b < 0xf0) {
      need = 2;
      cp = b & 0x0f;
      min = 0x800;
    } else if (b >= 0xf0 && b < 0xf5) {
      need = 3;
      cp = b & 0x07;
      min = 0x10000;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    let ok = true;
    for (let j = 1; j <= need; j++) {
      const c = bytes[i + j];
      if (c === undefined || (c & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
