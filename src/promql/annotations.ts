import type { PositionRange } from "./parser/index.js";

/**
 * Warnings and infos collected while evaluating one query, formatted the way Prometheus prints
 * them (`PromQL warning: <text> (<line>:<col>)`, col = 1-based UTF-8 byte offset).
 */
export class Annotations {
  private readonly warn = new Set<string>();
  private readonly info = new Set<string>();

  constructor(private readonly query: string) {}

  private suffix(pos: PositionRange | null): string {
    if (!pos) return "";
    const before = this.query.slice(0, pos.start);
    const nl = before.lastIndexOf("\n");
    const line = before.split("\n").length;
    const col = Buffer.byteLength(before.slice(nl + 1), "utf8") + 1;
    return ` (${line}:${col})`;
  }

  /** Adds a warning about the sub-expression at `pos`. */
  warning(text: string, pos: PositionRange | null): void {
    this.warn.add(`PromQL warning: ${text}${this.suffix(pos)}`);
  }

  /** Adds an info annotation about the sub-expression at `pos`. */
  infoAt(text: string, pos: PositionRange | null): void {
    this.info.add(`PromQL info: ${text}${this.suffix(pos)}`);
  }

  get warnings(): string[] {
    return [...this.warn];
  }

  get infos(): string[] {
    return [...this.info];
  }
}
