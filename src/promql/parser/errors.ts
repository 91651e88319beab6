import type { PositionRange } from "./ast.js";

const encoder = new TextEncoder();

/** The UTF-8 byte length of `s` (Prometheus counts positions and lengths in bytes). */
export function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Formats the start of a position as Prometheus's `PositionRange.StartPosInput` does:
 * `line:column`, both 1-based, the column counted in UTF-8 bytes from the last line break.
 */
export function startPosInput(query: string, pos: number, lineOffset = 0): string {
  if (query === "") return "unknown position";
  if (pos < 0 || pos > query.length) return "invalid position";
  let line = lineOffset + 1;
  let lastBreak = -1;
  for (let i = 0; i < pos; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  const col = byteLength(query.slice(lastBreak + 1, pos)) + 1;
  return `${line}:${col}`;
}

/**
 * A PromQL syntax or type error. The message is formatted exactly like Prometheus's:
 * `1:7: parse error: unexpected <op:+>`.
 * @example
 * try { parseExpr("1 +") } catch (e) { (e as ParseError).message } // "1:4: parse error: unexpected end of input"
 */
export class ParseError extends Error {
  override name = "ParseError";
  /** Where in the query the error is (string indices). */
  readonly positionRange: PositionRange;
  /** The query that failed. */
  readonly query: string;
  /** The error text without the position prefix, e.g. `unexpected end of input`. */
  readonly detail: string;
  /** 1-based line of the error start (0 when the query is empty). */
  readonly line: number;
  /** 1-based column of the error start, in UTF-8 bytes as Prometheus counts (0 when unknown). */
  readonly column: number;

  constructor(positionRange: PositionRange, query: string, detail: string, lineOffset = 0) {
    const where = startPosInput(query, positionRange.start, lineOffset);
    super(`${where}: parse error: ${detail}`);
    this.positionRange = positionRange;
    this.query = query;
    this.detail = detail;
    const m = /^(\d+):(\d+)$/.exec(where);
    this.line = m ? Number(m[1]) : 0;
    this.column = m ? Number(m[2]) : 0;
  }
}

/** Encodes a string to UTF-8 bytes (shared helper). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
