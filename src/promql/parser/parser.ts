import {
  InvalidMatcherError,
  Matcher,
  type MatchType,
  METRIC_NAME,
  parseDuration,
} from "../../model/index.js";
import {
  AGGREGATORS_WITH_PARAM,
  type AggregateExpr,
  type AggregateOp,
  type BinaryExpr,
  type BinaryOp,
  type Call,
  type DurationExpr,
  EXPERIMENTAL_AGGREGATORS,
  type Expr,
  exprType,
  isComparisonOp,
  isSetOp,
  type MatrixSelector,
  type NumberLiteral,
  type PositionRange,
  type StringLiteral,
  type SubqueryExpr,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from "./ast.js";
import { DurationExprError, durationExprIsDynamic, evalDurationMs } from "./durations.js";
import { ParseError } from "./errors.js";
import { FUNCTIONS, RENAMED_FUNCTIONS } from "./functions.js";
import { describeToken, goQuote, Lexer, type Token, type TokenType, unquote } from "./lexer.js";

/** Options of the parser. Every experimental feature is enabled unless switched off. */
export interface ParseOptions {
  /** Accept functions and aggregations marked experimental (Prometheus: `promql-experimental-functions`). Default true. */
  enableExperimentalFunctions?: boolean;
  /** Accept duration expressions such as `[5m+1m]` and `offset step()`. Default true. */
  enableDurationExpressions?: boolean;
  /** Accept `anchored` and `smoothed` range modifiers. Default true. */
  enableExtendedRangeSelectors?: boolean;
  /** Accept the `fill`, `fill_left`, `fill_right` binary-operator modifiers. Default true. */
  enableBinopFillModifiers?: boolean;
}

const BINARY_PRECEDENCE: Partial<Record<TokenType, number>> = {
  LOR: 1,
  LAND: 2,
  LUNLESS: 2,
  EQLC: 3,
  NEQ: 3,
  LTE: 3,
  LSS: 3,
  GTE: 3,
  GTR: 3,
  ADD: 4,
  SUB: 4,
  MUL: 5,
  DIV: 5,
  MOD: 5,
  ATAN2: 5,
  TRIM_UPPER: 5,
  TRIM_LOWER: 5,
  POW: 6,
};

const UNARY_OPERAND_PRECEDENCE = 6;

const BINARY_OPS: Partial<Record<TokenType, BinaryOp>> = {
  LOR: "or",
  LAND: "and",
  LUNLESS: "unless",
  EQLC: "==",
  NEQ: "!=",
  LTE: "<=",
  LSS: "<",
  GTE: ">=",
  GTR: ">",
  ADD: "+",
  SUB: "-",
  MUL: "*",
  DIV: "/",
  MOD: "%",
  ATAN2: "atan2",
  TRIM_UPPER: "</",
  TRIM_LOWER: ">/",
  POW: "^",
};

const MATCH_OPS: Partial<Record<TokenType, MatchType>> = {
  EQL: "=",
  NEQ: "!=",
  EQL_REGEX: "=~",
  NEQ_REGEX: "!~",
};

/** Tokens that may name a metric in selector position (Prometheus's `metric_identifier`). */
const METRIC_IDENTIFIER_TOKENS: ReadonlySet<TokenType> = new Set<TokenType>([
  "IDENTIFIER",
  "METRIC_IDENTIFIER",
  "AGGREGATOR",
  "BY",
  "WITHOUT",
  "LAND",
  "LOR",
  "LUNLESS",
  "OFFSET",
  "START",
  "END",
]);

/** Tokens after which an aggregation keyword is read as a metric name rather than an aggregation. */
const FOLLOWS_EXPRESSION: ReadonlySet<TokenType> = new Set<TokenType>([
  "LEFT_BRACE",
  "EOF",
  "RIGHT_PAREN",
  "RIGHT_BRACKET",
  "COMMA",
  "LEFT_BRACKET",
  "OFFSET",
  "AT",
  "ANCHORED",
  "SMOOTHED",
  ...(Object.keys(BINARY_PRECEDENCE) as TokenType[]),
]);

/** Tokens that may be a label name in grouping clauses (Prometheus's `maybe_label`). */
const MAYBE_LABEL_TOKENS: ReadonlySet<TokenType> = new Set<TokenType>([
  "IDENTIFIER",
  "METRIC_IDENTIFIER",
  "AGGREGATOR",
  "BOOL",
  "BY",
  "GROUP_LEFT",
  "GROUP_RIGHT",
  "IGNORING",
  "LAND",
  "LOR",
  "LUNLESS",
  "OFFSET",
  "ON",
  "WITHOUT",
  "START",
  "END",
  "STEP",
  "RANGE",
  "ATAN2",
  "SMOOTHED",
  "ANCHORED",
  "FILL",
  "FILL_LEFT",
  "FILL_RIGHT",
]);

const LEGACY_LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const DOCUMENTED_TYPE: Record<ValueType, string> = {
  vector: "instant vector",
  matrix: "range vector",
  scalar: "scalar",
  string: "string",
};

/** Parses a Go-style number literal as Prometheus does (`strconv.ParseInt(s, 0, 64)`, then `ParseFloat`). */
export function parseNumberLiteral(text: string): number {
  const s = text;
  const lower = s.toLowerCase();
  const unsigned = lower.replace(/^[+-]/, "");
  if (unsigned === "inf" || unsigned === "infinity") return lower.startsWith("-") ? -Infinity : Infinity;
  if (unsigned === "nan") return Number.NaN;
  const clean = s.replace(/_/g, "");
  let m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(clean);
  if (m) {
    const big = BigInt(`0x${m[2]}`);
    if (big <= 2n ** 63n - 1n) return (m[1] === "-" ? -1 : 1) * Number(big);
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`);
  }
  m = /^([+-]?)0([0-7]+)$/.exec(clean);
  if (m) return (m[1] === "-" ? -1 : 1) * Number(BigInt(`0o${m[2]}`));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) {
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`);
  }
  const v = Number(clean);
  if (!Number.isFinite(v)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`);
  return v;
}

function tokenRange(t: Token): PositionRange {
  return { start: t.pos, end: t.pos + t.val.length };
}

function isValidLegacyLabel(s: string): boolean {
  return LEGACY_LABEL_RE.test(s);
}

/**
 * A single-use recursive-descent / precedence-climbing parser over one query. The grammar,
 * precedences and error messages follow Prometheus's `generated_parser.y` and `parse.go`.
 */
class Parser {
  private readonly input: string;
  private readonly toks: Token[] = [];
  private i = 0;
  private lastClosing = 0;
  private readonly ctx: string[] = [];
  private readonly opts: Required<ParseOptions>;

  constructor(input: string, opts: ParseOptions | undefined, seriesDesc = false) {
    this.input = input;
    this.opts = {
      enableExperimentalFunctions: opts?.enableExperimentalFunctions ?? true,
      enableDurationExpressions: opts?.enableDurationExpressions ?? true,
      enableExtendedRangeSelectors: opts?.enableExtendedRangeSelectors ?? true,
      enableBinopFillModifiers: opts?.enableBinopFillModifiers ?? true,
    };
    const lex = new Lexer(input, seriesDesc);
    for (;;) {
      const t = lex.next();
      if (t.type === "COMMENT") continue;
      this.toks.push(t);
      if (t.type === "EOF" || t.type === "ERROR") break;
    }
  }

  // Token helpers.

  /** The current token; an ERROR token is reported as soon as the parser looks at it. */
  peek(): Token {
    const t = this.toks[this.i]!;
    if (t.type === "ERROR") this.fail({ start: t.pos, end: this.input.length }, t.val);
    return t;
  }

  /** The token after the current one, without reporting errors. */
  peek2(): Token {
    return this.toks[Math.min(this.i + 1, this.toks.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (t.type !== "EOF") this.i++;
    switch (t.type) {
      case "RIGHT_BRACE":
      case "RIGHT_PAREN":
      case "RIGHT_BRACKET":
      case "DURATION":
      case "NUMBER":
        this.lastClosing = t.pos + t.val.length;
    }
    return t;
  }

  fail(range: PositionRange, msg: string): never {
    throw new ParseError(range, this.input, msg);
  }

  /** Reports the current token as unexpected, as Prometheus's `parser.unexpected`. */
  unexpected(context?: string, expected?: string): never {
    const t = this.peek();
    let msg = `unexpected ${describeToken(t)}`;
    const c = context ?? this.ctx[this.ctx.length - 1];
    if (c) msg += ` in ${c}`;
    if (expected) msg += `, expected ${expected}`;
    const range = t.type === "EOF" ? { start: t.pos, end: t.pos } : tokenRange(t);
    this.fail(range, msg);
  }

  expect(type: TokenType, context?: string, expected?: string): Token {
    if (this.peek().type !== type) this.unexpected(context, expected);
    return this.next();
  }

  // Entry points.

  parseTop(): Expr {
    if (this.peek().type === "EOF") this.fail({ start: 0, end: 0 }, "no expression found in input");
    const e = this.parseBinary(0);
    if (this.peek().type !== "EOF") this.unexpected("", "");
    return e;
  }

  parseSelectorTop(): VectorSelector {
    const t = this.peek();
    let vs: VectorSelector;
    if (t.type === "LEFT_BRACE") vs = this.parseVectorSelector(null);
    else if (METRIC_IDENTIFIER_TOKENS.has(t.type)) vs = this.parseVectorSelector(this.next());
    else this.unexpected("", "");
    if (this.peek().type !== "EOF") this.unexpected("", "");
    return vs;
  }

  // Expressions.

  parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const prec = BINARY_PRECEDENCE[t.type];
      if (prec === undefined || prec < minPrec) return lhs;
      this.next();
      const be = this.parseBinModifiers(BINARY_OPS[t.type]!);
      const rhs = this.parseBinary(t.type === "POW" ? prec : prec + 1);
      be.lhs = lhs;
      be.rhs = rhs;
      be.posRange = { start: lhs.posRange.start, end: rhs.posRange.end };
      lhs = be;
    }
  }

  parseUnary(): Expr {
    const t = this.peek();
    if (t.type === "ADD" || t.type === "SUB") {
      this.next();
      const operand = this.parseBinary(UNARY_OPERAND_PRECEDENCE);
      if (operand.kind === "NumberLiteral") {
        if (t.type === "SUB") operand.value = -operand.value;
        operand.posRange.start = t.pos;
        return operand;
      }
      return {
        kind: "UnaryExpr",
        op: t.type === "SUB" ? "-" : "+",
        expr: operand,
        posRange: { start: t.pos, end: operand.posRange.end },
      };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  parsePrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case "NUMBER":
      case "DURATION":
        return this.parseNumberOrDuration();
      case "STRING": {
        this.next();
        const lit: StringLiteral = { kind: "StringLiteral", value: this.unquote(t), posRange: tokenRange(t) };
        return lit;
      }
      case "LEFT_PAREN": {
        this.next();
        const e = this.parseBinary(0);
        const close = this.expect("RIGHT_PAREN");
        return { kind: "ParenExpr", expr: e, posRange: { start: t.pos, end: close.pos + 1 } };
      }
      case "LEFT_BRACE":
        return this.parseVectorSelector(null);
      case "AGGREGATOR":
        if (FOLLOWS_EXPRESSION.has(this.peek2().type)) return this.parseVectorSelector(this.next());
        return this.parseAggregate();
      case "IDENTIFIER":
      case "START":
      case "END":
      case "STEP":
      case "RANGE":
        if (this.peek2().type === "LEFT_PAREN") return this.parseCall();
        if (t.type === "STEP" || t.type === "RANGE") this.unexpected();
        return this.parseVectorSelector(this.next());
      default:
        if (METRIC_IDENTIFIER_TOKENS.has(t.type)) return this.parseVectorSelector(this.next());
        this.unexpected();
    }
  }

  parseNumberOrDuration(): NumberLiteral {
    const t = this.next();
    if (t.type === "DURATION") {
      return {
        kind: "NumberLiteral",
        value: this.durationMs(t) / 1000,
        duration: true,
        posRange: tokenRange(t),
      };
    }
    let v: number;
    try {
      v = parseNumberLiteral(t.val);
    } catch (err) {
      this.fail(tokenRange(t), `error parsing number: ${(err as Error).message}`);
    }
    return { kind: "NumberLiteral", value: v, duration: false, posRange: tokenRange(t) };
  }

  durationMs(t: Token): number {
    try {
      return parseDuration(t.val);
    } catch (err) {
      this.fail(tokenRange(t), (err as Error).message);
    }
  }

  unquote(t: Token): string {
    return unquote(t.val);
  }

  parseCall(): Call {
    const name = this.next();
    const fname = name.type === "IDENTIFIER" ? name.val : name.val.toLowerCase();
    // Prometheus 2's names (holt_winters) are accepted as aliases of their Prometheus 3 names.
    const func = FUNCTIONS.get(fname) ?? FUNCTIONS.get(RENAMED_FUNCTIONS.get(fname) ?? "");
    if (!func) this.fail(tokenRange(name), `unknown function with name ${goQuote(name.val)}`);
    if (func.experimental && !this.opts.enableExperimentalFunctions) {
      this.fail(tokenRange(name), `function ${goQuote(name.val)} is not enabled`);
    }
    const args = this.parseCallBody();
    return { kind: "Call", func, args, posRange: { start: name.pos, end: this.lastClosing } };
  }

  parseCallBody(): Expr[] {
    this.expect("LEFT_PAREN");
    const args: Expr[] = [];
    if (this.peek().type === "RIGHT_PAREN") {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.parseBinary(0));
      const t = this.peek();
      if (t.type === "COMMA") {
        this.next();
        if (this.peek().type === "RIGHT_PAREN") {
          this.fail(tokenRange(t), "trailing commas not allowed in function call args");
        }
        continue;
      }
      if (t.type === "RIGHT_PAREN") {
        this.next();
        return args;
      }
      this.unexpected();
    }
  }

  parseAggregate(): AggregateExpr {
    const opTok = this.next();
    const op = opTok.val.toLowerCase() as AggregateOp;
    this.ctx.push("aggregation");
    let grouping: string[] = [];
    let without = false;
    let haveModifier = false;
    const t = this.peek();
    if (t.type === "BY" || t.type === "WITHOUT") {
      this.next();
      without = t.type === "WITHOUT";
      grouping = this.parseGroupingLabels();
      haveModifier = true;
    }
    if (this.peek().type !== "LEFT_PAREN") this.unexpected("aggregation", "");
    const args = this.parseCallBody();
    if (!haveModifier) {
      const t2 = this.peek();
      if (t2.type === "BY" || t2.type === "WITHOUT") {
        this.next();
        without = t2.type === "WITHOUT";
        grouping = this.parseGroupingLabels();
      }
    }
    this.ctx.pop();
    const posRange = { start: opTok.pos, end: this.lastClosing };
    if (args.length === 0) this.fail(posRange, "no arguments for aggregate expression provided");
    let desired = 1;
    let param: Expr | null = null;
    if (AGGREGATORS_WITH_PARAM.has(op)) {
      if (EXPERIMENTAL_AGGREGATORS.has(op) && !this.opts.enableExperimentalFunctions) {
        this.fail(
          posRange,
          `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`,
        );
      }
      desired = 2;
      param = args[0]!;
    }
    if (args.length !== desired) {
      this.fail(
        posRange,
        `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`,
      );
    }
    return { kind: "AggregateExpr", op, expr: args[desired - 1]!, param, grouping, without, posRange };
  }

  parseGroupingLabels(): string[] {
    if (this.peek().type !== "LEFT_PAREN") this.unexpected("grouping opts", '"("');
    this.next();
    const out: string[] = [];
    if (this.peek().type === "RIGHT_PAREN") {
      this.next();
      return out;
    }
    for (;;) {
      const t = this.peek();
      if (t.type === "STRING") {
        this.next();
        out.push(this.unquote(t));
      } else if (MAYBE_LABEL_TOKENS.has(t.type)) {
        if (!isValidLegacyLabel(t.val)) this.unexpected("grouping opts", "label");
        this.next();
        out.push(t.val);
      } else {
        this.unexpected("grouping opts", "label");
      }
      const s = this.peek();
      if (s.type === "COMMA") {
        this.next();
        if (this.peek().type === "RIGHT_PAREN") {
          this.next();
          return out;
        }
        continue;
      }
      if (s.type === "RIGHT_PAREN") {
        this.next();
        return out;
      }
      this.unexpected("grouping opts", '"," or ")"');
    }
  }

  parseBinModifiers(op: BinaryOp): BinaryExpr {
    const vm: VectorMatching = {
      card: "one-to-one",
      matchingLabels: [],
      on: false,
      include: [],
      fillValues: { lhs: null, rhs: null },
    };
    const be: BinaryExpr = {
      kind: "BinaryExpr",
      op,
      lhs: null as unknown as Expr,
      rhs: null as unknown as Expr,
      returnBool: false,
      vectorMatching: vm,
      posRange: { start: 0, end: 0 },
    };
    if (this.peek().type === "BOOL") {
      this.next();
      be.returnBool = true;
    }
    let t = this.peek();
    if (t.type === "ON" || t.type === "IGNORING") {
      this.next();
      vm.on = t.type === "ON";
      vm.matchingLabels = this.parseGroupingLabels();
      t = this.peek();
      if (t.type === "GROUP_LEFT" || t.type === "GROUP_RIGHT") {
        this.next();
        vm.card = t.type === "GROUP_LEFT" ? "many-to-one" : "one-to-many";
        if (this.peek().type === "LEFT_PAREN") vm.include = this.parseGroupingLabels();
      }
    }
    let fillStart = -1;
    for (;;) {
      t = this.peek();
      if (t.type !== "FILL" && t.type !== "FILL_LEFT" && t.type !== "FILL_RIGHT") break;
      if (fillStart < 0) fillStart = t.pos;
      this.next();
      this.expect("LEFT_PAREN", "fill modifier", "number");
      const v = this.parseSignedNumber("fill modifier");
      this.expect("RIGHT_PAREN", "fill modifier", '")"');
      if (t.type !== "FILL_RIGHT") vm.fillValues.lhs = v;
      if (t.type !== "FILL_LEFT") vm.fillValues.rhs = v;
    }
    if (fillStart >= 0 && !this.opts.enableBinopFillModifiers) {
      this.fail(
        { start: fillStart, end: this.lastClosing },
        "binop fill modifiers are experimental and not enabled",
      );
    }
    return be;
  }

  parseSignedNumber(context: string): number {
    let sign = 1;
    const t = this.peek();
    if (t.type === "ADD" || t.type === "SUB") {
      this.next();
      if (t.type === "SUB") sign = -1;
    }
    const n = this.peek();
    if (n.type !== "NUMBER" && n.type !== "DURATION") this.unexpected(context, "number");
    return sign * this.parseNumberOrDuration().value;
  }

  // Selectors.

  parseVectorSelector(nameTok: Token | null): VectorSelector {
    const vs: VectorSelector = {
      kind: "VectorSelector",
      name: nameTok ? nameTok.val : "",
      matchers: [],
      originalOffset: 0,
      offsetExpr: null,
      offset: 0,
      timestamp: null,
      startOrEnd: null,
      bypassEmptyMatcherCheck: false,
      anchored: false,
      smoothed: false,
      posRange: nameTok ? tokenRange(nameTok) : { start: this.peek().pos, end: 0 },
    };
    if (this.peek().type === "LEFT_BRACE") {
      this.next();
      vs.matchers = this.parseLabelMatchers();
      vs.posRange.end = this.lastClosing;
    }
    if (vs.name !== "") vs.matchers.push(new Matcher("=", METRIC_NAME, vs.name));
    return vs;
  }

  parseLabelMatchers(): Matcher[] {
    const out: Matcher[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === "RIGHT_BRACE") {
        this.next();
        return out;
      }
      if (t.type === "IDENTIFIER" || t.type === "STRING") {
        this.next();
        const name = t.type === "STRING" ? this.unquote(t) : t.val;
        const opTok = this.peek();
        const mt = MATCH_OPS[opTok.type];
        if (mt === undefined) {
          if (t.type === "STRING") {
            out.push(new Matcher("=", METRIC_NAME, name));
          } else {
            this.unexpected("label matching", "label matching operator");
          }
        } else {
          this.next();
          const v = this.peek();
          if (v.type !== "STRING") this.unexpected("label matching", "string");
          this.next();
          try {
            out.push(new Matcher(mt, name, this.unquote(v)));
          } catch (err) {
            if (err instanceof InvalidMatcherError) {
              this.fail({ start: t.pos, end: v.pos + v.val.length }, err.message);
            }
            throw err;
          }
        }
      } else {
        this.unexpected("label matching", 'identifier or "}"');
      }
      const s = this.peek();
      if (s.type === "COMMA") {
        this.next();
        continue;
      }
      if (s.type !== "RIGHT_BRACE") this.unexpected("label matching", '"," or "}"');
    }
  }

  // Postfix modifiers: ranges, subqueries, offset, @, anchored, smoothed.

  parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek();
      switch (t.type) {
        case "LEFT_BRACKET":
          e = this.parseRangeOrSubquery(e);
          break;
        case "OFFSET":
          this.next();
          this.parseOffset(e);
          break;
        case "AT":
          this.next();
          this.parseAt(e);
          break;
        case "ANCHORED":
        case "SMOOTHED":
          this.next();
          this.setExtended(e, t);
          break;
        default:
          return e;
      }
    }
  }

  parseRangeOrSubquery(e: Expr): Expr {
    const open = this.next();
    if (!this.startsDuration(this.peek())) this.unexpected("subquery selector", "number or duration");
    const range = this.parseDurationExpr(0);
    const t = this.peek();
    if (t.type === "RIGHT_BRACKET") {
      const close = this.next();
      let errMsg = "";
      if (e.kind !== "VectorSelector") errMsg = "ranges only allowed for vector selectors";
      else if (e.originalOffset !== 0 || e.offsetExpr !== null)
        errMsg = "no offset modifiers allowed before range";
      else if (e.timestamp !== null || e.startOrEnd !== null) errMsg = "no @ modifiers allowed before range";
      if (errMsg) this.fail({ start: open.pos, end: close.pos + 1 }, errMsg);
      const ms: MatrixSelector = {
        kind: "MatrixSelector",
        vectorSelector: e as VectorSelector,
        range: 0,
        rangeExpr: null,
        posRange: { start: e.posRange.start, end: close.pos + 1 },
      };
      [ms.range, ms.rangeExpr] = this.resolveDuration(range, false);
      return ms;
    }
    if (t.type !== "COLON") this.unexpected("subquery or range", '":" or "]"');
    this.next();
    let step: Expr | null = null;
    if (this.peek().type !== "RIGHT_BRACKET") {
      if (!this.startsDuration(this.peek())) {
        this.unexpected("subquery selector", 'number or duration or "]"');
      }
      step = this.parseDurationExpr(0);
    }
    if (this.peek().type !== "RIGHT_BRACKET") this.unexpected("subquery selector", '"]"');
    const close = this.next();
    const sq: SubqueryExpr = {
      kind: "SubqueryExpr",
      expr: e,
      range: 0,
      rangeExpr: null,
      step: 0,
      stepExpr: null,
      originalOffset: 0,
      offsetExpr: null,
      offset: 0,
      timestamp: null,
      startOrEnd: null,
      posRange: { start: e.posRange.start, end: close.pos + 1 },
    };
    [sq.range, sq.rangeExpr] = this.resolveDuration(range, false);
    if (step) [sq.step, sq.stepExpr] = this.resolveDuration(step, false);
    return sq;
  }

  /** Turns a parsed duration into milliseconds plus the expression to keep for printing. */
  resolveDuration(d: Expr, allowNegative: boolean): [number, DurationExpr | null] {
    if (d.kind === "NumberLiteral") {
      const ms = Math.trunc(Math.round(d.value * 1e9) / 1e6);
      if (!allowNegative && ms < 0) {
        this.fail(d.posRange, "duration must be greater than 0");
      }
      return [ms, null];
    }
    const de = d as DurationExpr;
    if (!this.opts.enableDurationExpressions)
      this.fail(de.posRange, "experimental duration expression is not enabled");
    if (durationExprIsDynamic(de)) return [0, de];
    try {
      return [evalDurationMs(de, { stepMs: 0, rangeMs: 0 }, allowNegative), de];
    } catch (err) {
      if (err instanceof DurationExprError) this.fail(de.posRange, err.message);
      throw err;
    }
  }

  startsDuration(t: Token): boolean {
    switch (t.type) {
      case "NUMBER":
      case "DURATION":
      case "ADD":
      case "SUB":
      case "LEFT_PAREN":
      case "STEP":
      case "RANGE":
      case "MIN_OF":
      case "MAX_OF":
        return true;
      case "IDENTIFIER":
        return t.val === "min_of" || t.val === "max_of";
      default:
        return false;
    }
  }

  /** Parses a duration expression with arithmetic precedence (inside brackets or parentheses). */
  parseDurationExpr(minPrec: number): Expr {
    let lhs = this.parseDurationUnary();
    for (;;) {
      const t = this.peek();
      const prec = BINARY_PRECEDENCE[t.type];
      if (
        prec === undefined ||
        prec < 4 ||
        t.type === "ATAN2" ||
        t.type === "TRIM_LOWER" ||
        t.type === "TRIM_UPPER"
      ) {
        return lhs;
      }
      if (prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseDurationExpr(t.type === "POW" ? prec : prec + 1);
      const de: DurationExpr = {
        kind: "DurationExpr",
        op: BINARY_OPS[t.type] as DurationExpr["op"],
        lhs,
        rhs,
        wrapped: false,
        posRange: { start: lhs.posRange.start, end: rhs.posRange.end },
      };
      lhs = de;
    }
  }

  parseDurationUnary(): Expr {
    const t = this.peek();
    if (t.type === "ADD" || t.type === "SUB") {
      this.next();
      const operand = this.parseDurationExpr(UNARY_OPERAND_PRECEDENCE);
      return this.applyDurationUnary(t, operand);
    }
    return this.parseDurationPrimary();
  }

  applyDurationUnary(t: Token, operand: Expr): Expr {
    if (operand.kind === "NumberLiteral") {
      if (t.type === "SUB") operand.value = -operand.value;
      if (Math.abs(operand.value) > 2 ** 63 / 1e9) this.fail(tokenRange(t), "duration out of range");
      operand.posRange.start = t.pos;
      return operand;
    }
    if (t.type === "SUB") {
      return {
        kind: "DurationExpr",
        op: "-",
        lhs: null,
        rhs: operand,
        wrapped: false,
        posRange: { start: t.pos, end: operand.posRange.end },
      };
    }
    return operand;
  }

  parseDurationPrimary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case "NUMBER":
      case "DURATION":
        return this.parseNumberOrDuration();
      case "LEFT_PAREN": {
        this.next();
        const inner = this.parseDurationExpr(0);
        const close = this.expect("RIGHT_PAREN", "duration expression", '")"');
        return this.wrapParen(inner, t.pos, close.pos + 1);
      }
      case "STEP":
      case "RANGE": {
        this.next();
        this.expect("LEFT_PAREN", "duration expression", '"("');
        const close = this.expect("RIGHT_PAREN", "duration expression", '")"');
        return {
          kind: "DurationExpr",
          op: t.type === "STEP" ? "step" : "range",
          lhs: null,
          rhs: null,
          wrapped: false,
          posRange: { start: t.pos, end: close.pos + 1 },
        };
      }
      case "MIN_OF":
      case "MAX_OF":
      case "IDENTIFIER": {
        const name = t.val.toLowerCase();
        if (name !== "min_of" && name !== "max_of")
          this.unexpected("duration expression", "number or duration");
        this.next();
        this.expect("LEFT_PAREN", "duration expression", '"("');
        const a = this.parseDurationExpr(0);
        this.expect("COMMA", "duration expression", '","');
        const b = this.parseDurationExpr(0);
        const close = this.expect("RIGHT_PAREN", "duration expression", '")"');
        return {
          kind: "DurationExpr",
          op: name as "min_of" | "max_of",
          lhs: a,
          rhs: b,
          wrapped: false,
          posRange: { start: t.pos, end: close.pos + 1 },
        };
      }
      default:
        this.unexpected("duration expression", "number or duration");
    }
  }

  wrapParen(e: Expr, start: number, end: number): DurationExpr {
    if (e.kind === "DurationExpr") {
      e.wrapped = true;
      e.posRange = { start, end };
      return e;
    }
    return { kind: "DurationExpr", op: "+", lhs: null, rhs: e, wrapped: true, posRange: { start, end } };
  }

  parseOffset(e: Expr): void {
    const t = this.peek();
    let d: Expr;
    if (t.type === "ADD" || t.type === "SUB") {
      this.next();
      d = this.applyDurationUnary(t, this.parseOffsetPrimary());
    } else {
      d = this.parseOffsetPrimary();
    }
    let target: VectorSelector | SubqueryExpr;
    if (e.kind === "VectorSelector" || e.kind === "SubqueryExpr") target = e;
    else if (e.kind === "MatrixSelector") target = e.vectorSelector;
    else {
      this.fail(
        e.posRange,
        "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
      );
    }
    if (target.originalOffset !== 0 || target.offsetExpr !== null) {
      this.fail(e.posRange, "offset may not be set multiple times");
    }
    const [ms, expr] = this.resolveDuration(d, true);
    target.originalOffset = ms;
    target.offset = ms;
    target.offsetExpr = expr;
    e.posRange.end = this.lastClosing;
  }

  parseOffsetPrimary(): Expr {
    const t = this.peek();
    if (!this.startsDuration(t) || t.type === "ADD" || t.type === "SUB") {
      this.unexpected("offset", "number or duration");
    }
    return this.parseDurationPrimary();
  }

  parseAt(e: Expr): void {
    const t = this.peek();
    let target: VectorSelector | SubqueryExpr;
    const resolveTarget = (): VectorSelector | SubqueryExpr => {
      if (e.kind === "VectorSelector" || e.kind === "SubqueryExpr") target = e;
      else if (e.kind === "MatrixSelector") target = e.vectorSelector;
      else {
        this.fail(
          e.posRange,
          "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
        );
      }
      if (target.timestamp !== null || target.startOrEnd !== null) {
        this.fail(e.posRange, "@ <timestamp> may not be set multiple times");
      }
      return target;
    };
    if (t.type === "START" || t.type === "END") {
      this.next();
      this.expect("LEFT_PAREN", "@", "timestamp");
      this.expect("RIGHT_PAREN", "@", "timestamp");
      resolveTarget().startOrEnd = t.type === "START" ? "start" : "end";
      e.posRange.end = this.lastClosing;
      return;
    }
    let sign = 1;
    if (t.type === "ADD" || t.type === "SUB") {
      this.next();
      if (t.type === "SUB") sign = -1;
    }
    const n = this.peek();
    if (n.type !== "NUMBER" && n.type !== "DURATION") this.unexpected("@", "timestamp");
    const ts = sign * this.parseNumberOrDuration().value;
    if (!Number.isFinite(ts) || Math.abs(ts) >= 2 ** 63) {
      this.fail(e.posRange, `timestamp out of bounds for @ modifier: ${formatGoF(ts)}`);
    }
    resolveTarget().timestamp = Math.round(ts * 1000);
    e.posRange.end = this.lastClosing;
  }

  setExtended(e: Expr, t: Token): void {
    const which = t.type === "ANCHORED" ? "anchored" : "smoothed";
    if (!this.opts.enableExtendedRangeSelectors)
      this.fail(e.posRange, `${which} modifier is experimental and not enabled`);
    let vs: VectorSelector;
    if (e.kind === "VectorSelector") vs = e;
    else if (e.kind === "MatrixSelector") vs = e.vectorSelector;
    else if (e.kind === "SubqueryExpr")
      this.fail(e.posRange, `${which} modifier is not supported for subqueries`);
    else this.fail(e.posRange, `${which} modifier not implemented`);
    if (which === "anchored") vs.anchored = true;
    else vs.smoothed = true;
    if (vs.anchored && vs.smoothed)
      this.fail(e.posRange, "anchored and smoothed modifiers cannot be used together");
    e.posRange.end = t.pos + t.val.length;
  }

  // Type checking, as Prometheus's checkAST.

  checkAST(node: Expr): ValueType {
    const typ = exprType(node);
    switch (node.kind) {
      case "AggregateExpr": {
        this.expectType(node.expr, "vector", "aggregation expression");
        const op = node.op;
        if (
          op === "topk" ||
          op === "bottomk" ||
          op === "quantile" ||
          op === "limitk" ||
          op === "limit_ratio"
        ) {
          this.expectType(node.param!, "scalar", "aggregation parameter");
        }
        if (op === "count_values") this.expectType(node.param!, "string", "aggregation parameter");
        break;
      }
      case "BinaryExpr":
        this.checkBinary(node);
        break;
      case "Call":
        this.checkCall(node);
        break;
      case "ParenExpr":
      case "StepInvariantExpr":
        this.checkAST(node.expr);
        break;
      case "UnaryExpr": {
        const t = this.checkAST(node.expr);
        if (t !== "scalar" && t !== "vector") {
          this.fail(
            node.posRange,
            `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(DOCUMENTED_TYPE[t])}`,
          );
        }
        break;
      }
      case "SubqueryExpr": {
        const t = this.checkAST(node.expr);
        if (t !== "vector")
          this.fail(node.posRange, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case "MatrixSelector":
        this.checkAST(node.vectorSelector);
        break;
      case "VectorSelector":
        this.checkVectorSelector(node);
        break;
      default:
        break;
    }
    return typ;
  }

  expectType(node: Expr, want: ValueType, context: string): void {
    const t = this.checkAST(node);
    if (t !== want) {
      this.fail(
        node.posRange,
        `expected type ${DOCUMENTED_TYPE[want]} in ${context}, got ${DOCUMENTED_TYPE[t]}`,
      );
    }
  }

  checkBinary(n: BinaryExpr): void {
    const lt = this.checkAST(n.lhs);
    const rt = this.checkAST(n.rhs);
    const opRange = (): PositionRange => {
      let start = n.lhs.posRange.end;
      while (/\s/.test(this.input[start] ?? "")) start++;
      let end = n.rhs.posRange.start - 1;
      while (/\s/.test(this.input[end] ?? "")) end--;
      return { start, end };
    };
    if (n.returnBool && !isComparisonOp(n.op))
      this.fail(opRange(), "bool modifier can only be used on comparison operators");
    if (isComparisonOp(n.op) && !n.returnBool && lt === "scalar" && rt === "scalar") {
      this.fail(opRange(), "comparisons between scalars must use BOOL modifier");
    }
    const vm = n.vectorMatching!;
    if (isSetOp(n.op) && vm.card === "one-to-one") vm.card = "many-to-many";
    if (vm.on) {
      for (const l of vm.matchingLabels) {
        if (vm.include.includes(l))
          this.fail(opRange(), `label ${goQuote(l)} must not occur in ON and GROUP clause at once`);
      }
    }
    if (lt !== "scalar" && lt !== "vector") {
      this.fail(n.lhs.posRange, "binary expression must contain only scalar and instant vector types");
    }
    if (rt !== "scalar" && rt !== "vector") {
      this.fail(n.rhs.posRange, "binary expression must contain only scalar and instant vector types");
    }
    const hasFill = vm.fillValues.lhs !== null || vm.fillValues.rhs !== null;
    if (lt !== "vector" || rt !== "vector") {
      if (vm.matchingLabels.length > 0)
        this.fail(n.posRange, "vector matching only allowed between instant vectors");
      if (hasFill) this.fail(n.posRange, "filling in missing series only allowed between instant vectors");
      n.vectorMatching = null;
    } else if (isSetOp(n.op)) {
      if (vm.card === "one-to-many" || vm.card === "many-to-one") {
        this.fail(n.posRange, `no grouping allowed for ${goQuote(n.op)} operation`);
      }
      if (vm.card !== "many-to-many") this.fail(n.posRange, "set operations must always be many-to-many");
      if (hasFill) this.fail(n.posRange, "filling in missing series not allowed for set operators");
    }
    if ((lt === "scalar" || rt === "scalar") && isSetOp(n.op)) {
      this.fail(n.posRange, `set operator ${goQuote(n.op)} not allowed in binary scalar expression`);
    }
  }

  checkCall(n: Call): void {
    const f = n.func;
    const nargs = f.argTypes.length;
    if (f.variadic === 0) {
      if (nargs !== n.args.length) {
        this.fail(
          n.posRange,
          `expected ${nargs} argument(s) in call to ${goQuote(f.name)}, got ${n.args.length}`,
        );
      }
    } else {
      const na = nargs - 1;
      if (na > n.args.length) {
        this.fail(
          n.posRange,
          `expected at least ${na} argument(s) in call to ${goQuote(f.name)}, got ${n.args.length}`,
        );
      }
      const max = na + f.variadic;
      if (f.variadic > 0 && max < n.args.length) {
        this.fail(
          n.posRange,
          `expected at most ${max} argument(s) in call to ${goQuote(f.name)}, got ${n.args.length}`,
        );
      }
    }
    if (f.name === "info" && n.args.length > 1) {
      const a = n.args[1]!;
      const t = exprType(a);
      if (t !== "vector") {
        this.fail(
          n.posRange,
          `expected type ${DOCUMENTED_TYPE.vector} in call to function ${goQuote(f.name)}, got ${DOCUMENTED_TYPE[t]}`,
        );
      }
      if (a.kind === "VectorSelector" && a.name !== "") {
        this.fail(a.posRange, "expected label selectors only, got vector selector instead");
      } else if (a.kind === "VectorSelector") {
        a.bypassEmptyMatcherCheck = true;
      } else {
        this.fail(a.posRange, "expected label selectors only");
      }
    }
    for (let i = 0; i < n.args.length; i++) {
      let k = i;
      if (k >= nargs) {
        if (f.variadic === 0) break;
        k = nargs - 1;
      }
      const arg = n.args[i]!;
      const t = this.checkAST(arg);
      if (t !== f.argTypes[k]) {
        this.fail(
          arg.posRange,
          `expected type ${DOCUMENTED_TYPE[f.argTypes[k]!]} in call to function ${goQuote(f.name)}, got ${DOCUMENTED_TYPE[t]}`,
        );
      }
    }
  }

  checkVectorSelector(n: VectorSelector): void {
    if (n.name !== "") {
      for (let i = 0; i < n.matchers.length - 1; i++) {
        const m = n.matchers[i]!;
        if (m.name === METRIC_NAME) {
          this.fail(
            n.posRange,
            `metric name must not be set twice: ${goQuote(n.name)} or ${goQuote(m.value)}`,
          );
        }
      }
      return;
    }
    if (!n.bypassEmptyMatcherCheck && !n.matchers.some((m) => !m.matchesEmpty())) {
      this.fail(n.posRange, "vector selector must contain at least one non-empty matcher");
    }
  }
}

/** Formats a float like Go's `%f` (six decimals; `+Inf`, `-Inf`, `NaN`). */
function formatGoF(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return v.toFixed(6);
}

/**
 * Parses a PromQL expression into a type-checked syntax tree. Throws `ParseError` with a
 * Prometheus-formatted message (`1:7: parse error: ...`) on the first syntax or type error.
 * @example parseExpr('sum by (job) (rate(http_requests_total[5m]))').kind // "AggregateExpr"
 */
export function parseExpr(input: string, opts?: ParseOptions): Expr {
  const p = new Parser(input, opts);
  const e = p.parseTop();
  p.checkAST(e);
  return e;
}

/**
 * Parses a series selector as used by `match[]` parameters (`up{job="x"}`, `{__name__=~"a.*"}`)
 * into its matchers. Like Prometheus, it does not require a non-empty matcher; callers that
 * need one check it themselves.
 * @example parseMetricSelector('up{job="api"}').length // 2
 */
export function parseMetricSelector(input: string): Matcher[] {
  const p = new Parser(input, undefined);
  return p.parseSelectorTop().matchers;
}

/** @internal Creates a parser in series-description mode (used by series.ts). */
export function newSeriesParser(input: string): {
  peek(): Token;
  next(): Token;
  unexpected(context?: string, expected?: string): never;
  fail(range: PositionRange, msg: string): never;
} {
  return new Parser(input, undefined, true);
}
