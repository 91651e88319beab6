import { InvalidMatcherError, Matcher, type MatchType } from "../model/index.js";

/** Thrown when a matcher string in Alertmanager's syntax is malformed. */
export class MatcherParseError extends Error {
  override name = "MatcherParseError";
}

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const OPS: readonly MatchType[] = ["=~", "!~", "!=", "="];

/**
 * Parses one matcher in Alertmanager's syntax: `name="value"`, `name=~"re"`, `name!=value` (the
 * value may be unquoted; quoted values use Go string escapes).
 * @example parseMatcher('severity=~"critical|warning"').matches("warning") // true
 */
export function parseMatcher(s: string): Matcher {
  const text = s.trim();
  const m = /^([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*)$/s.exec(text);
  if (!m) throw new MatcherParseError(`bad matcher format: ${JSON.stringify(s)}`);
  const name = m[1]!.replace(/^"(.*)"$/, "$1");
  const op = m[2] as MatchType;
  if (!OPS.includes(op)) throw new MatcherParseError(`bad matcher operator in ${JSON.stringify(s)}`);
  if (!NAME_RE.test(name))
    throw new MatcherParseError(`invalid label name ${JSON.stringify(name)} in ${JSON.stringify(s)}`);
  const raw = m[3]!.trim();
  let value = raw;
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"') || (raw.endsWith('\\"') && !raw.endsWith('\\\\"'))) {
      throw new MatcherParseError(`unterminated quoted value in ${JSON.stringify(s)}`);
    }
    try {
      value = JSON.parse(raw) as string;
    } catch {
      throw new MatcherParseError(`invalid quoted value ${raw} in ${JSON.stringify(s)}`);
    }
  }
  try {
    return new Matcher(op, name, value);
  } catch (err) {
    if (err instanceof InvalidMatcherError) throw new MatcherParseError(err.message);
    throw err;
  }
}

/** Splits `{a="b", c=~"d,e"}` (braces optional) at the commas outside quotes. */
function splitMatchers(s: string): string[] {
  let text = s.trim();
  if (text.startsWith("{")) {
    if (!text.endsWith("}")) throw new MatcherParseError(`missing closing brace in ${JSON.stringify(s)}`);
    text = text.slice(1, -1);
  }
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === "\\") {
      cur += c + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) throw new MatcherParseError(`unterminated quoted value in ${JSON.stringify(s)}`);
  out.push(cur);
  const parts = out.map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") return [];
  if (parts.at(-1) === "") parts.pop();
  if (parts.includes("")) throw new MatcherParseError(`empty matcher in ${JSON.stringify(s)}`);
  return parts;
}

/**
 * Parses a list of matchers as Alertmanager does for `matchers:` config entries and `filter`
 * parameters: `{a="b",c=~"d"}` or `a="b", c=~"d"`.
 * @example parseMatchers('{job="node", severity!="info"}').length // 2
 */
export function parseMatchers(s: string): Matcher[] {
  return splitMatchers(s).map(parseMatcher);
}

/** Formats matchers the way Alertmanager prints them in route keys: `{a="b",c=~"d"}`. */
export function formatMatchers(ms: readonly Matcher[]): string {
  return `{${ms.map((m) => m.toString()).join(",")}}`;
}

/** True when every matcher accepts the corresponding label of a plain label record. */
export function matchRecord(ms: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of ms) if (!m.matches(labels[m.name] ?? "")) return false;
  return true;
}
