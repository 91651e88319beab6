import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import { isValidLabelName, isValidMetricName, parseDuration, SEVERITIES } from "../model/index.js";
import { parseExpr } from "../promql/index.js";
import { parseAlertTemplate } from "./template.js";

/** One rule as written in a rule file (durations in ms, 0 when absent). */
export interface RuleSpec {
  /** Set for recording rules. */
  readonly record?: string;
  /** Set for alerting rules. */
  readonly alert?: string;
  readonly expr: string;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** 1-based line of the rule in its file (0 when unknown). */
  readonly line: number;
}

/** A rule group as written in a rule file. */
export interface RuleGroupSpec {
  readonly name: string;
  /** Evaluation interval in ms; 0 means the global evaluation interval. */
  readonly intervalMs: number;
  /** Most alerts (or series, for recording rules) a rule may produce; 0 = no limit. */
  readonly limit: number;
  /** Query offset in ms, or null for the default (0). */
  readonly queryOffsetMs: number | null;
  /** Labels added to every rule of the group (newer Prometheus). */
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: readonly RuleSpec[];
}

/** A parsed rule file. */
export interface RuleFileSpec {
  readonly file: string;
  readonly groups: readonly RuleGroupSpec[];
}

/**
 * One problem in a rule file, printed the way promtool prints it:
 * `file: 5:15: group "g", rule 1, "name": could not parse expression: ...`.
 */
export interface RuleProblem {
  readonly file: string;
  /** The group's name, when the problem is inside a group. */
  readonly group?: string;
  /** 1-based index of the rule in its group, when the problem is about a rule. */
  readonly rule?: number;
  readonly ruleName?: string;
  /** Position prefix such as `5:15: ` or `14:17: 13:16: ` (may be empty). */
  readonly position: string;
  readonly message: string;
}

/** Formats a problem as promtool does. */
export function formatRuleProblem(p: RuleProblem): string {
  if (p.rule !== undefined) {
    return `${p.file}: ${p.position}group ${JSON.stringify(p.group ?? "")}, rule ${p.rule}, ${JSON.stringify(p.ruleName ?? "")}: ${p.message}`;
  }
  return `${p.file}: ${p.position}${p.message}`;
}

/** A rule file (or a set of them) that cannot be loaded; `problems` lists every error found. */
export class RuleLoadError extends Error {
  override name = "RuleLoadError";
  constructor(readonly problems: readonly RuleProblem[]) {
    super(problems.map(formatRuleProblem).join("\n"));
  }
}

/** A warning about a rule file that does not stop it loading (Relay's conventions, duplicates). */
export interface RuleWarning {
  readonly file: string;
  readonly message: string;
}

const GROUPS_KEYS = new Set(["groups"]);
const GROUP_KEYS = new Set(["name", "interval", "query_offset", "limit", "rules", "labels"]);
const RULE_KEYS = new Set(["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"]);

/** Thrown inside the parser for errors that stop decoding the whole file (as yaml.Decode does). */
class DecodeError extends Error {}

/**
 * Parses and validates rule file content like Prometheus's `rulefmt.Parse` with strict fields:
 * unknown keys, bad durations and wrong types stop the file; rule-level problems are collected.
 * Returns the groups and the problems (the file is usable only when `problems` is empty).
 */
export function parseRules(
  content: string,
  file: string,
): { spec: RuleFileSpec | null; problems: RuleProblem[]; warnings: RuleWarning[] } {
  const lc = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  const problems: RuleProblem[] = [];
  const warnings: RuleWarning[] = [];
  const top = (message: string): RuleProblem => ({ file, position: "", message });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    return {
      spec: null,
      problems: [
        top(
          `yaml: ${pos ? `line ${pos.line}: ` : ""}${e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
        ),
      ],
      warnings,
    };
  }
  const pos = (n: Node | null | undefined): string => {
    if (!n?.range) return "0:0: ";
    const p = lc.linePos(n.range[0]);
    return `${p.line}:${p.col}: `;
  };
  const lineOf = (n: Node | null | undefined): number => (n?.range ? lc.linePos(n.range[0]).line : 0);
  const unknown: string[] = [];
  const checkKeys = (m: YAMLMap, allowed: Set<string>, type: string) => {
    for (const p of m.items as Pair<Node, Node>[]) {
      const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
      if (!allowed.has(k)) unknown.push(`  line ${lineOf(p.key)}: field ${k} not found in type ${type}`);
    }
  };
  const str = (n: Node | null | undefined, what: string): string => {
    if (n === null || n === undefined) return "";
    if (!isScalar(n))
      throw new DecodeError(
        `yaml: line ${lineOf(n)}: cannot unmarshal ${isSeq(n) ? "!!seq" : "!!map"} into ${what}`,
      );
    if (n.value === null) return "";
    if (n.type === "PLAIN" && typeof n.source === "string") return n.source;
    return String(n.value);
  };
  const dur = (n: Node | null | undefined): number => {
    const s = str(n, "model.Duration");
    if (s === "") return 0;
    try {
      return parseDuration(s);
    } catch (e) {
      throw new DecodeError((e as Error).message);
    }
  };
  const strMap = (n: Node | null | undefined, what: string): Record<string, string> => {
    const out: Record<string, string> = {};
    if (n === null || n === undefined || (isScalar(n) && n.value === null)) return out;
    if (!isMap(n))
      throw new DecodeError(
        `yaml: line ${lineOf(n)}: cannot unmarshal !!${isSeq(n) ? "seq" : "str"} into ${what}`,
      );
    for (const p of n.items as Pair<Node, Node>[]) out[str(p.key, "string")] = str(p.value, "string");
    return out;
  };
  const get = (m: YAMLMap, key: string): Node | undefined => m.get(key, true) as Node | undefined;

  let groups: RuleGroupSpec[] = [];
  try {
    const root = doc.contents as Node | null;
    if (root !== null && !(isScalar(root) && root.value === null)) {
      if (!isMap(root))
        throw new DecodeError(
          `yaml: unmarshal errors:\n  line ${lineOf(root)}: cannot unmarshal !!${isSeq(root) ? "seq" : "str"} into rulefmt.RuleGroups`,
        );
      checkKeys(root, GROUPS_KEYS, "rulefmt.RuleGroups");
      const gs = get(root, "groups");
      const gItems =
        gs === undefined || (isScalar(gs) && gs.value === null)
          ? []
          : isSeq(gs)
            ? (gs.items as Node[])
            : null;
      if (gItems === null)
        throw new DecodeError(
          `yaml: unmarshal errors:\n  line ${lineOf(gs)}: cannot unmarshal !!${isMap(gs) ? "map" : "str"} into []rulefmt.RuleGroup`,
        );
      groups = gItems.map((gn) => {
        if (!isMap(gn))
          throw new DecodeError(
            `yaml: unmarshal errors:\n  line ${lineOf(gn)}: cannot unmarshal !!${isSeq(gn) ? "seq" : "str"} into rulefmt.RuleGroup`,
          );
        checkKeys(gn, GROUP_KEYS, "rulefmt.RuleGroup");
        const rs = get(gn, "rules");
        const rItems =
          rs === undefined || (isScalar(rs) && rs.value === null)
            ? []
            : isSeq(rs)
              ? (rs.items as Node[])
              : null;
        if (rItems === null)
          throw new DecodeError(
            `yaml: unmarshal errors:\n  line ${lineOf(rs)}: cannot unmarshal into []rulefmt.Rule`,
          );
        const limitStr = str(get(gn, "limit"), "int");
        if (limitStr !== "" && !/^-?\d+$/.test(limitStr)) {
          throw new DecodeError(
            `yaml: unmarshal errors:\n  line ${lineOf(get(gn, "limit"))}: cannot unmarshal !!str \`${limitStr}\` into int`,
          );
        }
        const qo = get(gn, "query_offset");
        return {
          name: str(get(gn, "name"), "string"),
          intervalMs: dur(get(gn, "interval")),
          limit: limitStr === "" ? 0 : Number(limitStr),
          queryOffsetMs: qo === undefined ? null : dur(qo),
          labels: strMap(get(gn, "labels"), "map[string]string"),
          node: gn,
          rules: rItems.map((rn) => {
            if (!isMap(rn))
              throw new DecodeError(
                `yaml: unmarshal errors:\n  line ${lineOf(rn)}: cannot unmarshal into rulefmt.RuleNode`,
              );
            checkKeys(rn, RULE_KEYS, "rulefmt.RuleNode");
            const record = str(get(rn, "record"), "string");
            const alert = str(get(rn, "alert"), "string");
            return {
              ...(record !== "" ? { record } : {}),
              ...(alert !== "" ? { alert } : {}),
              expr: str(get(rn, "expr"), "string"),
              forMs: dur(get(rn, "for")),
              keepFiringForMs: dur(get(rn, "keep_firing_for")),
              labels: strMap(get(rn, "labels"), "map[string]string"),
              annotations: strMap(get(rn, "annotations"), "map[string]string"),
              line: lineOf(rn),
              nodes: { record: get(rn, "record"), alert: get(rn, "alert"), expr: get(rn, "expr") },
            };
          }),
        };
      }) as unknown as RuleGroupSpec[];
    }
    if (unknown.length > 0) throw new DecodeError(`yaml: unmarshal errors:\n${unknown.join("\n")}`);
  } catch (e) {
    if (e instanceof DecodeError) return { spec: null, problems: [top(e.message)], warnings };
    throw e;
  }

  const seen = new Set<string>();
  for (const g of groups as (RuleGroupSpec & { node: Node })[]) {
    if (g.name === "") problems.push(top(`${pos(g.node)}Groupname must not be empty`));
    if (seen.has(g.name))
      problems.push(top(`${pos(g.node)}groupname: "${g.name}" is repeated in the same file`));
    seen.add(g.name);
    for (const [k, v] of Object.entries(g.labels)) {
      if (!isValidLabelName(k) || k === "__name__") problems.push(top(`invalid label name: ${k}`));
      if (!isValidUTF8(v)) problems.push(top(`invalid label value: ${v}`));
    }
    g.rules.forEach((r0, i) => {
      const r = r0 as RuleSpec & { nodes: Record<string, Node | undefined> };
      const add = (position: string, message: string) =>
        problems.push({
          file,
          group: g.name,
          rule: i + 1,
          ruleName: r.alert ?? r.record ?? "",
          position,
          message,
        });
      for (const m of validateRule(r)) {
        const position =
          m.node === "both"
            ? `${pos(r.nodes.record)}${pos(r.nodes.alert)}`
            : m.node === null
              ? ""
              : pos(r.nodes[m.node]);
        add(position, m.message);
      }
      if (r.alert !== undefined) warnings.push(...relayConventionWarnings(file, g.name, i + 1, r));
      delete (r as { nodes?: unknown }).nodes;
    });
    delete (g as { node?: unknown }).node;
  }
  for (const d of findDuplicates(groups)) warnings.push({ file, message: d });
  return { spec: { file, groups }, problems, warnings };
}

function isValidUTF8(s: string): boolean {
  return !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""));
}

/** Rule-level checks (Prometheus's `Rule.Validate`); `node` tells which YAML node to point at. */
function validateRule(r: RuleSpec): { node: "record" | "alert" | "expr" | "both" | null; message: string }[] {
  const out: { node: "record" | "alert" | "expr" | "both" | null; message: string }[] = [];
  if (r.record !== undefined && r.alert !== undefined)
    out.push({ node: "both", message: "only one of 'record' and 'alert' must be set" });
  if (r.record === undefined && r.alert === undefined)
    out.push({ node: "both", message: "one of 'record' or 'alert' must be set" });
  if (r.expr === "") out.push({ node: "expr", message: "field 'expr' must be set in rule" });
  else {
    try {
      parseExpr(r.expr);
    } catch (e) {
      out.push({ node: "expr", message: `could not parse expression: ${(e as Error).message}` });
    }
  }
  if (r.record !== undefined) {
    if (Object.keys(r.annotations).length > 0)
      out.push({ node: "record", message: "invalid field 'annotations' in recording rule" });
    if (r.forMs !== 0) out.push({ node: "record", message: "invalid field 'for' in recording rule" });
    if (r.keepFiringForMs !== 0)
      out.push({ node: "record", message: "invalid field 'keep_firing_for' in recording rule" });
    if (!isValidMetricName(r.record))
      out.push({ node: "record", message: `invalid recording rule name: ${r.record}` });
  }
  for (const [k, v] of Object.entries(r.labels)) {
    if (!isValidLabelName(k) || k === "__name__")
      out.push({ node: null, message: `invalid label name: ${k}` });
    if (!isValidUTF8(v)) out.push({ node: null, message: `invalid label value: ${v}` });
  }
  for (const k of Object.keys(r.annotations)) {
    if (!isValidLabelName(k)) out.push({ node: null, message: `invalid annotation name: ${k}` });
  }
  if (r.alert !== undefined) {
    for (const [k, v] of Object.entries(r.labels)) {
      try {
        parseAlertTemplate(r.alert, v);
      } catch (e) {
        out.push({ node: null, message: `label ${JSON.stringify(k)}: ${(e as Error).message}` });
      }
    }
    for (const [k, v] of Object.entries(r.annotations)) {
      try {
        parseAlertTemplate(r.alert, v);
      } catch (e) {
        out.push({ node: null, message: `annotation ${JSON.stringify(k)}: ${(e as Error).message}` });
      }
    }
  }
  return out;
}

/** The default cooldown between two notifications of the same alert (the seed's 5 minutes). */
export const DEFAULT_COOLDOWN_MS = 5 * 60_000;

/**
 * Relay's rule conventions (all optional, all plain labels/annotations so promtool accepts the
 * files): a `severity` label of info|warning|critical, a `channels` label listing notification
 * channels separated by commas, and a `cooldown` annotation holding a duration.
 */
function relayConventionWarnings(file: string, group: string, index: number, r: RuleSpec): RuleWarning[] {
  const out: RuleWarning[] = [];
  const where = `group ${JSON.stringify(group)}, rule ${index}, ${JSON.stringify(r.alert)}`;
  const sev = r.labels.severity;
  if (sev !== undefined && !sev.includes("{{") && !(SEVERITIES as readonly string[]).includes(sev)) {
    out.push({
      file,
      message: `${where}: severity ${JSON.stringify(sev)} is not one of ${SEVERITIES.join(", ")}`,
    });
  }
  const ch = r.labels.channels;
  if (ch !== undefined && !/^[a-zA-Z0-9_-]+(,[a-zA-Z0-9_-]+)*$/.test(ch)) {
    out.push({
      file,
      message: `${where}: channels ${JSON.stringify(ch)} is not a comma-separated list of channel names`,
    });
  }
  const cd = r.annotations.cooldown;
  if (cd !== undefined) {
    try {
      parseDuration(cd);
    } catch {
      out.push({
        file,
        message: `${where}: cooldown ${JSON.stringify(cd)} is not a duration; the default ${DEFAULT_COOLDOWN_MS / 60_000}m applies`,
      });
    }
  }
  return out;
}

/** promtool's duplicate-rules lint: rules of a group with the same name and labels. */
function findDuplicates(groups: readonly RuleGroupSpec[]): string[] {
  const dups: { name: string; labels: Record<string, string> }[] = [];
  for (const g of groups) {
    const seen = new Map<string, number>();
    for (const r of g.rules) {
      const name = r.alert ?? r.record ?? "";
      const key = `${name}\xff${Object.entries(r.labels)
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join("\xff")}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n === 2) dups.push({ name, labels: r.labels });
    }
  }
  if (dups.length === 0) return [];
  let msg = `lint error ${dups.length} duplicate rule(s) found.\n`;
  for (const d of dups) {
    msg += `Metric: ${d.name}\nLabel(s):\n`;
    for (const k of Object.keys(d.labels).sort()) msg += `\t${k}: ${d.labels[k]}\n`;
  }
  msg += "Might cause inconsistency while recording expressions";
  return [msg];
}

/** Reads and parses one rule file; a read error is reported as a problem. */
export function parseRuleFile(file: string): {
  spec: RuleFileSpec | null;
  problems: RuleProblem[];
  warnings: RuleWarning[];
} {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = code === "ENOENT" ? `open ${file}: no such file or directory` : (e as Error).message;
    return { spec: null, problems: [{ file, position: "", message: msg }], warnings: [] };
  }
  return parseRules(content, file);
}

/**
 * Loads rule files, all or nothing: throws a {@link RuleLoadError} listing every problem of every
 * file, so a bad file never replaces working rules.
 */
export function loadRuleFiles(files: readonly string[]): RuleFileSpec[] {
  const specs: RuleFileSpec[] = [];
  const problems: RuleProblem[] = [];
  for (const f of files) {
    const r = parseRuleFile(f);
    problems.push(...r.problems);
    if (r.spec) specs.push(r.spec);
  }
  if (problems.length > 0) throw new RuleLoadError(problems);
  return specs;
}
