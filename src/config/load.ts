import { readFile } from "node:fs/promises";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { notifyConfigWarnings } from "../notify/index.js";
import { configSchema, PENDING_SECTIONS, type RawConfig } from "./schema.js";

/** One problem found in a configuration, with where it is. */
export interface ConfigProblem {
  /** Dotted path like `scrape_configs[2].scrape_interval`, or "" for the whole file. */
  readonly path: string;
  /** Line (1-based) in the file when known. */
  readonly line?: number;
  readonly message: string;
}

/** A configuration that cannot be used; `problems` lists every mistake found, not just the first. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], source = "config") {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map(formatProblem).join("\n")}`,
    );
    this.problems = problems;
  }
}

/** Renders a problem as `path: message (line N)`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.path === "" ? "" : `${p.path}: `;
  return `${where}${p.message}${p.line !== undefined ? ` (line ${p.line})` : ""}`;
}

/** A scrape job with every default resolved (global interval/timeout applied). */
export type ScrapeJobConfig = Omit<
  RawConfig["scrape_configs"][number],
  "scrape_interval" | "scrape_timeout"
> & {
  scrape_interval: number;
  scrape_timeout: number;
};

/** The validated, frozen configuration that components receive. */
export interface Config extends Omit<RawConfig, "scrape_configs"> {
  readonly scrape_configs: readonly ScrapeJobConfig[];
  /** Non-fatal remarks (sections accepted but not used yet). */
  readonly warnings: readonly string[];
  /** The YAML text it came from ("" for the built-in defaults). */
  readonly text: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

function zodMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const got = (issue as { input?: unknown }).input;
      return `expected ${issue.expected}, got ${got === undefined ? "nothing" : Array.isArray(got) ? "a list" : typeof got === "object" && got !== null ? "a mapping" : JSON.stringify(got)}`;
    }
    default:
      return issue.message;
  }
}

/**
 * Parses and validates configuration text. Every problem is reported at once with its path and,
 * where the YAML shows it, its line.
 * @example parseConfig("global:\n  scrape_interval: 15s\n")
 */
export function parseConfig(text: string, source = "config"): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
        return { path: "", line, message: `invalid YAML: ${e.message.split("\n")[0]}` };
      }),
      source,
    );
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([{ path: "", message: "expected a mapping at the top level" }], source);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => {
      const located = (path: readonly PropertyKey[], message: string): ConfigProblem => {
        const offset = parentOffset(doc, path);
        const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
        return { path: formatPath(path), line, message };
      };
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) =>
          located([...issue.path, k], "unknown field (check its spelling and section)"),
        );
      }
      return [located(issue.path, zodMessage(issue))];
    });
    throw new ConfigError(problems, source);
  }
  return finish(result.data, text);
}

/** The offset of the YAML key (or node) at `path`, or of its nearest ancestor that exists. */
function parentOffset(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
): number | undefined {
  for (let n = path.length; n >= 1; n--) {
    const parent = doc.getIn(path.slice(0, n - 1) as PropertyKey[], true) as unknown;
    const key = path[n - 1];
    if (parent && isMap(parent)) {
      const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      const r = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (r) return r[0];
    }
    if (parent && isSeq(parent) && typeof key === "number") {
      const r = (parent.items[key] as { range?: [number, number, number] } | undefined)?.range;
      if (r) return r[0];
    }
  }
  return undefined;
}

function finish(raw: RawConfig, text: string): Config {
  const g = raw.global;
  const scrape_configs = raw.scrape_configs.map((sc) => {
    const scrape_interval = sc.scrape_interval ?? g.scrape_interval;
    const scrape_timeout = sc.scrape_timeout ?? Math.min(g.scrape_timeout, scrape_interval);
    return { ...sc, scrape_interval, scrape_timeout };
  });
  const warnings: string[] = [];
  const rec = raw as Record<string, unknown>;
  warnings.push(...notifyConfigWarnings(raw.notify));
  for (const key of PENDING_SECTIONS) {
    if (rec[key] !== undefined)
      warnings.push(`section ${JSON.stringify(key)} is accepted but not used by this version`);
  }
  return deepFreeze({ ...raw, scrape_configs, warnings, text });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Reads and validates a configuration file. */
export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError([{ path: "", message: `cannot read file: ${(err as Error).message}` }], path);
  }
  return parseConfig(text, path);
}

/** The configuration used when no file is given: Prometheus's defaults with 15 s scrapes. */
export function defaultConfig(): Config {
  return parseConfig("global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n", "defaults");
}
