/**
 * A malformed exposition body. `line` and `column` are 1-based and point at the offending
 * character (columns count UTF-16 code units from the start of the line); `reason` is the message
 * without the position prefix.
 */
export class ExpositionParseError extends Error {
  override name = "ExpositionParseError";
  /** The 1-based line of the offending character. */
  readonly line: number;
  /** The 1-based column of the offending character. */
  readonly column: number;
  /** What is wrong, without the position prefix. */
  readonly reason: string;

  constructor(line: number, column: number, reason: string) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
