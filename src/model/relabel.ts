import { createHash } from "node:crypto";
import { isValidLabelName, type Labels, LabelsBuilder } from "./labels.js";
import { compileAnchoredRE2 } from "./regex.js";

/** The relabelling actions Prometheus knows. */
export const RELABEL_ACTIONS = [
  "replace",
  "keep",
  "drop",
  "keepequal",
  "dropequal",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
] as const;

/** One of {@link RELABEL_ACTIONS}. */
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

const ACTIONS: ReadonlySet<string> = new Set<string>(RELABEL_ACTIONS);

/**
 * One relabelling rule as written in a Prometheus config (`relabel_configs`,
 * `metric_relabel_configs`, `write_relabel_configs`). Absent fields take Prometheus's defaults:
 * separator `;`, regex `(.*)`, replacement `$1`, action `replace`.
 */
export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  /** A regular expression, fully anchored when applied (RE2 syntax mostly shared with JavaScript). */
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly modulus?: number;
  readonly action?: RelabelAction | string;
}

/** Thrown by {@link compileRelabel} for a rule Prometheus would reject. */
export class InvalidRelabelConfigError extends Error {
  override name = "InvalidRelabelConfigError";
}

/** A validated rule with defaults applied and its regular expression compiled. */
export interface CompiledRelabel {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  /** The regex as configured (unanchored text), `(.*)` by default. */
  readonly regexSource: string;
  /** The anchored, compiled regex. */
  readonly regex: RegExp;
  readonly targetLabel: string;
  readonly replacement: string;
  readonly modulus: number;
}

const DEFAULT_SEPARATOR = ";";
const DEFAULT_REGEX = "(.*)";
const DEFAULT_REPLACEMENT = "$1";

/**
 * Compiles a regex the way Prometheus's relabelling does: RE2 syntax wrapped as `^(?s:re)$`.
 * @example compileAnchoredRegex("foo|ba.").test("bar") // true
 */
export function compileAnchoredRegex(source: string): RegExp {
  try {
    return compileAnchoredRE2(source);
  } catch (err) {
    throw new InvalidRelabelConfigError(`invalid regex ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}

const WORD_RE = /\w/;

/**
 * True when `s` is an acceptable `target_label` template for `replace` (or `replacement` for
 * `labelmap`): it starts with a letter, `_` or a `$` reference, and otherwise holds only word
 * characters and `$name`/`${name}` references. Equivalent to Prometheus's `relabelTarget` regex,
 * scanned in linear time.
 */
export function isValidRelabelTarget(s: string): boolean {
  if (s === "") return false;
  let i = 0;
  let first = true;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "$") {
      i++;
      if (s[i] === "{") {
        const start = ++i;
        while (i < s.length && WORD_RE.test(s[i]!)) i++;
        if (i === start || s[i] !== "}") return false;
        i++;
      } else {
        const start = i;
        while (i < s.length && WORD_RE.test(s[i]!)) i++;
        if (i === start) return false;
      }
    } else if (WORD_RE.test(c)) {
      if (first && c >= "0" && c <= "9") return false;
      i++;
    } else {
      return false;
    }
    first = false;
  }
  return true;
}

/**
 * Validates a rule exactly as Prometheus's `relabel.Config.Validate` does, applies defaults and
 * compiles its regex. Throws {@link InvalidRelabelConfigError} with Prometheus's message.
 * @example compileRelabel({ source_labels: ["job"], regex: "node", action: "keep" })
 */
export function compileRelabel(cfg: RelabelConfig): CompiledRelabel {
  const rawAction = cfg.action ?? "replace";
  const action = rawAction.toLowerCase();
  if (action === "" && cfg.action === "")
    throw new InvalidRelabelConfigError("relabel action cannot be empty");
  if (!ACTIONS.has(action))
    throw new InvalidRelabelConfigError(`unknown relabel action ${JSON.stringify(rawAction)}`);
  const a = action as RelabelAction;
  const separator = cfg.separator ?? DEFAULT_SEPARATOR;
  const regexSource = cfg.regex ?? DEFAULT_REGEX;
  const replacement = cfg.replacement ?? DEFAULT_REPLACEMENT;
  const targetLabel = cfg.target_label ?? "";
  const modulus = cfg.modulus ?? 0;
  const sourceLabels = cfg.source_labels ?? [];
  const fail = (msg: string): never => {
    throw new InvalidRelabelConfigError(msg);
  };
  if (!Number.isInteger(modulus) || modulus < 0)
    fail(`relabel modulus must be a non-negative integer, got ${modulus}`);
  if (modulus === 0 && a === "hashmod") fail("relabel configuration for hashmod requires non-zero modulus");
  const needsTarget = a === "replace" || a === "hashmod" || a === "lowercase" || a === "uppercase";
  const isEqual = a === "keepequal" || a === "dropequal";
  if ((needsTarget || isEqual) && targetLabel === "") {
    fail(`relabel configuration for ${a} action requires 'target_label' value`);
  }
  const invalidTarget = () =>
    fail(`${JSON.stringify(targetLabel)} is invalid 'target_label' for ${a} action`);
  if (a === "replace") {
    if (targetLabel.includes("$") ? !isValidRelabelTarget(targetLabel) : !isValidLabelName(targetLabel)) {
      invalidTarget();
    }
  }
  if ((a === "lowercase" || a === "uppercase" || isEqual) && !isValidLabelName(targetLabel)) invalidTarget();
  if ((a === "lowercase" || a === "uppercase" || isEqual) && replacement !== DEFAULT_REPLACEMENT) {
    fail(`'replacement' can not be set for ${a} action`);
  }
  if (a === "labelmap" && !isValidRelabelTarget(replacement)) {
    fail(`${JSON.stringify(replacement)} is invalid 'replacement' for ${a} action`);
  }
  if (a === "hashmod" && !isValidLabelName(targetLabel)) invalidTarget();
  if (isEqual && (regexSource !== DEFAULT_REGEX || modulus !== 0 || separator !== DEFAULT_SEPARATOR)) {
    fail(`${a} action requires only 'source_labels' and \`target_label\`, and no other fields`);
  }
  if (
    (a === "labeldrop" || a === "labelkeep") &&
    (sourceLabels.length > 0 ||
      targetLabel !== "" ||
      modulus !== 0 ||
      separator !== DEFAULT_SEPARATOR ||
      replacement !== DEFAULT_REPLACEMENT)
  ) {
    fail(`${a} action requires only 'regex', and no other fields`);
  }
  for (const name of sourceLabels) {
    if (!isValidLabelName(name)) fail(`${JSON.stringify(name)} is not a valid label name in 'source_labels'`);
  }
  return {
    action: a,
    sourceLabels: [...sourceLabels],
    separator,
    regexSource,
    regex: compileAnchoredRegex(regexSource),
    targetLabel,
    replacement,
    modulus,
  };
}

/** Compiles a list of rules; the error names the index of the first bad rule. */
export function compileRelabels(cfgs: readonly RelabelConfig[] | undefined): CompiledRelabel[] {
  const out: CompiledRelabel[] = [];
  (cfgs ?? []).forEach((cfg, i) => {
    try {
      out.push(compileRelabel(cfg));
    } catch (err) {
      throw new InvalidRelabelConfigError(`relabel rule ${i}: ${(err as Error).message}`);
    }
  });
  return out;
}

const NAME_CHAR_RE = /[\p{L}\p{Nd}_]/u;

/**
 * Expands a replacement template against a regex match like Go's `regexp.Expand`: `$1`, `${1}`,
 * `$name`, `${name}`, and `$$` for a literal dollar. `$name` takes the longest run of letters,
 * digits and underscores (so `$1x` means group `1x`). Unknown or unmatched groups expand to "".
 * A malformed reference is kept as text.
 * @example expandTemplate("ch${1}", /^(?:f(.*))$/u.exec("foo")!) // "choo"
 */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf("$", i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    let j = i;
    const brace = template[j] === "{";
    if (brace) j++;
    const start = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR_RE.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(start, j);
    if (name === "" || (brace && template[j] !== "}")) {
      out += "$";
      continue;
    }
    if (brace) j++;
    i = j;
    out += groupValue(m, name);
  }
  return out;
}

function groupValue(m: RegExpExecArray, name: string): string {
  if (/^[0-9]+$/.test(name) && (name.length === 1 || name[0] !== "0") && name.length <= 8) {
    return m[Number(name)] ?? "";
  }
  return m.groups?.[name] ?? "";
}

function hashmod(val: string, modulus: number): string {
  const digest = createHash("md5").update(val, "utf8").digest();
  return (digest.readBigUInt64BE(8) % BigInt(modulus)).toString();
}

function applyOne(rule: CompiledRelabel, lb: LabelsBuilder): boolean {
  let val = "";
  for (let i = 0; i < rule.sourceLabels.length; i++) {
    if (i > 0) val += rule.separator;
    val += lb.get(rule.sourceLabels[i]!);
  }
  switch (rule.action) {
    case "drop":
      return !rule.regex.test(val);
    case "keep":
      return rule.regex.test(val);
    case "dropequal":
      return lb.get(rule.targetLabel) !== val;
    case "keepequal":
      return lb.get(rule.targetLabel) === val;
    case "replace": {
      if (
        val === "" &&
        rule.regexSource === DEFAULT_REGEX &&
        !rule.targetLabel.includes("$") &&
        !rule.replacement.includes("$")
      ) {
        lb.set(rule.targetLabel, rule.replacement);
        return true;
      }
      const m = rule.regex.exec(val);
      if (m === null) return true;
      const target = expandTemplate(rule.targetLabel, m);
      if (!isValidLabelName(target)) return true;
      lb.set(target, expandTemplate(rule.replacement, m));
      return true;
    }
    case "lowercase":
      lb.set(rule.targetLabel, val.toLowerCase());
      return true;
    case "uppercase":
      lb.set(rule.targetLabel, val.toUpperCase());
      return true;
    case "hashmod":
      lb.set(rule.targetLabel, hashmod(val, rule.modulus));
      return true;
    case "labelmap":
      lb.forEach((name, value) => {
        const m = rule.regex.exec(name);
        if (m !== null) lb.set(expandTemplate(rule.replacement, m), value);
      });
      return true;
    case "labeldrop":
      lb.forEach((name) => {
        if (rule.regex.test(name)) lb.del(name);
      });
      return true;
    case "labelkeep":
      lb.forEach((name) => {
        if (!rule.regex.test(name)) lb.del(name);
      });
      return true;
  }
}

/**
 * Applies rules in order to a label set, as Prometheus's `relabel.Process`. Returns the new set,
 * or null when a rule dropped it. The input is not modified.
 * @example relabel(labelsFromRecord({ a: "foo" }), [compileRelabel({ source_labels: ["a"], regex: "f.*", action: "drop" })]) // null
 */
export function relabel(labels: Labels, rules: readonly CompiledRelabel[]): Labels | null {
  if (rules.length === 0) return labels;
  const lb = new LabelsBuilder(labels);
  for (const rule of rules) if (!applyOne(rule, lb)) return null;
  return lb.labels();
}
