import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYAML } from "yaml";
import { z } from "zod";
import {
  compareLabels,
  formatDuration,
  type Labels,
  labelsFromRecord,
  labelsGet,
  METRIC_NAME,
  parseDuration,
} from "../model/index.js";
import { Engine, parseMetricSelector, parseSeriesDesc } from "../promql/index.js";
import type { Storage } from "../storage/index.js";
import { formatGoFloat, goQuoteString } from "./gofmt.js";
import { Group, NOP_LOGGER } from "./group.js";
import { globFiles } from "./manager.js";
import { buildRules, engineQueryFunc, type Rule } from "./rule.js";
import { formatRuleProblem, parseRuleFile, type RuleFileSpec } from "./rulefmt.js";

const durationField = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(String(v));
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});
const stringMap = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
  .nullish();

const unitTestFileSchema = z.strictObject({
  rule_files: z.array(z.string()).nullish(),
  evaluation_interval: durationField.optional(),
  group_eval_order: z.array(z.string()).nullish(),
  tests: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        interval: durationField.optional(),
        external_labels: stringMap,
        external_url: z.string().optional(),
        input_series: z
          .array(
            z.strictObject({
              series: z.string(),
              values: z.union([z.string(), z.number()]).transform(String).optional(),
            }),
          )
          .nullish(),
        alert_rule_test: z
          .array(
            z.strictObject({
              eval_time: durationField.optional(),
              alertname: z.string().optional(),
              exp_alerts: z
                .array(z.strictObject({ exp_labels: stringMap, exp_annotations: stringMap }))
                .nullish(),
            }),
          )
          .nullish(),
        promql_expr_test: z
          .array(
            z.strictObject({
              expr: z.string(),
              eval_time: durationField.optional(),
              exp_samples: z
                .array(
                  z.strictObject({ labels: z.string(), value: z.union([z.number(), z.string()]).optional() }),
                )
                .nullish(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish(),
});

type UnitTestFile = z.infer<typeof unitTestFileSchema>;
type TestGroup = NonNullable<UnitTestFile["tests"]>[number];

/** Creates a fresh empty store for each test group (the CLI passes the in-memory tsdb Head). */
export type StorageFactory = () => Storage;

/** The outcome of running rule unit tests: a verdict and promtool-style text. */
export interface RuleTestResult {
  readonly passed: boolean;
  readonly output: string;
}

/** Go's `time.Duration.String()` for whole milliseconds: `3m0s`, `1h2m5s`, `1.5s`, `500ms`, `0s`. */
export function goDurationString(ms: number): string {
  if (ms === 0) return "0s";
  const neg = ms < 0;
  let a = Math.abs(ms);
  if (a < 1000) return `${neg ? "-" : ""}${a}ms`;
  const h = Math.floor(a / 3_600_000);
  a -= h * 3_600_000;
  const m = Math.floor(a / 60_000);
  a -= m * 60_000;
  const s = (a / 1000).toString();
  let out = neg ? "-" : "";
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${out}${s}s`;
}

function labelsString(ls: Labels): string {
  return `{${ls.map((l) => `${l.name}=${goQuoteString(l.value)}`).join(", ")}}`;
}

function indentLines(lines: string, indent: string): string {
  return lines.split("\n").join(`\n${indent}`);
}

interface LabelsAndAnnotations {
  labels: Labels;
  annotations: Labels;
}

function laString(la: LabelsAndAnnotations[]): string {
  if (la.length === 0) return "[]";
  const one = (x: LabelsAndAnnotations) =>
    `Labels:${labelsString(x.labels)}\nAnnotations:${labelsString(x.annotations)}`;
  let s = `[\n0:${indentLines(`\n${one(la[0]!)}`, "  ")}`;
  for (let i = 1; i < la.length; i++) s += `,\n${i}:${indentLines(`\n${one(la[i]!)}`, "  ")}`;
  return `${s}\n]`;
}

function laCompare(a: LabelsAndAnnotations, b: LabelsAndAnnotations): number {
  return compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);
}

function laEqual(a: LabelsAndAnnotations[], b: LabelsAndAnnotations[]): boolean {
  return a.length === b.length && a.every((x, i) => laCompare(x, b[i]!) === 0);
}

function sampleString(s: { labels: Labels; v: number }): string {
  return `${labelsString(s.labels)} ${formatGoFloat(s.v, "E", -1)}`;
}

function parseFloatLike(v: number | string | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const t = v.trim();
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  return Number(t);
}

function sameFloat(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Runs one test group; returns its error messages (empty when it passed). */
async function runTestGroup(
  tg: TestGroup,
  evalIntervalMs: number,
  groupOrder: Map<string, number>,
  ruleSpecs: readonly RuleFileSpec[],
  newStorage: StorageFactory,
): Promise<string[]> {
  const seriesIntervalMs = tg.interval ?? evalIntervalMs;
  const storage = newStorage();
  const errs: string[] = [];
  try {
    // Input samples are loaded lazily, up to each evaluation time, as promtool's lazy loader does:
    // rules then write ALERTS and recorded series in time order, never behind the head's window.
    const pending: { labels: Labels; t: number; v: number }[] = [];
    for (const is of tg.input_series ?? []) {
      let desc: ReturnType<typeof parseSeriesDesc>;
      try {
        desc = parseSeriesDesc(`${is.series} ${is.values ?? ""}`);
      } catch (e) {
        return [`${(e as Error).message}`];
      }
      for (let i = 0; i < desc.values.length; i++) {
        const sv = desc.values[i]!;
        if (sv.omitted || sv.histogram) continue;
        pending.push({ labels: desc.labels, t: i * seriesIntervalMs, v: sv.value });
      }
    }
    pending.sort((a, b) => a.t - b.t);
    let loaded = 0;
    const loadTill = async (ts: number) => {
      if (loaded >= pending.length || pending[loaded]!.t > ts) return;
      const app = storage.appender();
      while (loaded < pending.length && pending[loaded]!.t <= ts) {
        const p = pending[loaded++]!;
        app.append(0, p.labels, p.t, p.v);
      }
      await app.commit();
    };

    const engine = new Engine({ defaultEvalIntervalMs: evalIntervalMs });
    const queryFunc = engineQueryFunc(engine, storage);
    const ctx = {
      externalLabels: Object.fromEntries(Object.entries(tg.external_labels ?? {})),
      externalURL: tg.external_url ?? "",
    };
    const deps = {
      queryFunc,
      appendable: storage,
      queryable: storage,
      notify: () => {},
      logger: NOP_LOGGER,
      externalURL: ctx.externalURL,
      resendDelayMs: 60_000,
      outageToleranceMs: 3_600_000,
      forGracePeriodMs: 600_000,
      recordHistory: () => {},
      metrics: null,
    };
    const groups: Group[] = [];
    let fileOrder = 0;
    for (const spec of ruleSpecs) {
      for (const g of spec.groups) {
        const rules: Rule[] = buildRules(g, ctx, true);
        const group = new Group(
          spec.file,
          g.name,
          g.intervalMs || evalIntervalMs,
          g.limit,
          g.queryOffsetMs ?? 0,
          rules,
          false,
          deps,
        );
        (group as Group & { order: number }).order = fileOrder++;
        groups.push(group);
      }
    }
    groups.sort(
      (a, b) =>
        (groupOrder.get(a.name) ?? 0) - (groupOrder.get(b.name) ?? 0) ||
        (a as Group & { order: number }).order - (b as Group & { order: number }).order,
    );

    const alertTests = (tg.alert_rule_test ?? []).map((a) => ({ ...a, eval_time: a.eval_time ?? 0 }));
    for (const a of alertTests) {
      if (!a.alertname) {
        const name = tg.name ? ` (in TestGroup ${tg.name})` : "";
        return [
          `an item under alert_rule_test misses required attribute alertname at eval_time ${formatDuration(a.eval_time)}${name}`,
        ];
      }
    }
    const exprTests = (tg.promql_expr_test ?? []).map((p) => ({ ...p, eval_time: p.eval_time ?? 0 }));
    const maxT = Math.max(0, ...alertTests.map((a) => a.eval_time), ...exprTests.map((p) => p.eval_time));
    const alertTimes = [...new Set(alertTests.map((a) => a.eval_time))].sort((a, b) => a - b);
    let curr = 0;
    const testName = tg.name ? `    name: ${tg.name},\n` : "";

    for (let ts = 0; ts <= maxT; ts += evalIntervalMs) {
      await loadTill(ts);
      const evalErrs: string[] = [];
      for (const g of groups) {
        await g.eval(ts);
        for (const r of g.rules) {
          if (r.lastError !== "")
            evalErrs.push(`    rule: ${r.name}, time: ${goDurationString(ts)}, err: ${r.lastError}`);
        }
      }
      errs.push(...evalErrs);
      if (evalErrs.length > 0) return errs;

      while (curr < alertTimes.length && ts <= alertTimes[curr]! && alertTimes[curr]! < ts + evalIntervalMs) {
        const t = alertTimes[curr]!;
        const present = new Set(alertTests.filter((a) => a.eval_time === t).map((a) => a.alertname!));
        const got = new Map<string, LabelsAndAnnotations[]>();
        for (const g of groups) {
          for (const r of g.alertingRules()) {
            if (!present.has(r.name)) continue;
            const list = got.get(r.name) ?? [];
            for (const a of r.activeAlerts())
              if (a.state === "firing") list.push({ labels: a.labels, annotations: a.annotations });
            got.set(r.name, list);
          }
        }
        for (const tc of alertTests.filter((a) => a.eval_time === t)) {
          const gotAlerts = [...(got.get(tc.alertname!) ?? [])].sort(laCompare);
          const expAlerts = (tc.exp_alerts ?? [])
            .map((e) => ({
              labels: labelsFromRecord({ ...(e.exp_labels ?? {}), alertname: tc.alertname! }),
              annotations: labelsFromRecord(e.exp_annotations ?? {}),
            }))
            .sort(laCompare);
          if (!laEqual(expAlerts, gotAlerts)) {
            errs.push(
              `${testName}    alertname: ${tc.alertname}, time: ${formatDuration(tc.eval_time)}, \n        exp:${indentLines(laString(expAlerts), "            ")}, \n        got:${indentLines(laString(gotAlerts), "            ")}`,
            );
          }
        }
        curr++;
      }
    }

    for (const tc of exprTests) {
      let got: { labels: Labels; v: number }[];
      try {
        got = [...(await queryFunc(tc.expr, tc.eval_time))];
      } catch (e) {
        errs.push(
          `    expr: ${goQuoteString(tc.expr)}, time: ${formatDuration(tc.eval_time)}, err: ${(e as Error).message}`,
        );
        continue;
      }
      const exp: { labels: Labels; v: number }[] = [];
      let bad = false;
      for (const s of tc.exp_samples ?? []) {
        try {
          exp.push({ labels: parseMetricLabels(s.labels), v: parseFloatLike(s.value) });
        } catch (e) {
          errs.push(
            `    expr: ${goQuoteString(tc.expr)}, time: ${formatDuration(tc.eval_time)}, err: labels ${goQuoteString(s.labels)}: ${(e as Error).message}`,
          );
          bad = true;
          break;
        }
      }
      if (bad) continue;
      exp.sort((a, b) => compareLabels(a.labels, b.labels));
      got.sort((a, b) => compareLabels(a.labels, b.labels));
      const equal =
        exp.length === got.length &&
        exp.every((e, i) => compareLabels(e.labels, got[i]!.labels) === 0 && sameFloat(e.v, got[i]!.v));
      if (!equal) {
        const str = (xs: typeof exp) => (xs.length === 0 ? "nil" : xs.map(sampleString).join(", "));
        errs.push(
          `    expr: ${goQuoteString(tc.expr)}, time: ${formatDuration(tc.eval_time)},\n        exp: ${str(exp)}\n        got: ${str(got)}`,
        );
      }
    }
    return errs;
  } finally {
    await storage.close();
  }
}

/** Parses `metric{a="b"}` (or `{__name__="m"}`) into a label set, as promtool's ParseMetric. */
function parseMetricLabels(s: string): Labels {
  const ms = parseMetricSelector(s);
  const rec: Record<string, string> = {};
  for (const m of ms) {
    if (m.type !== "=") throw new Error(`expected label matcher "=" in ${s}`);
    rec[m.name] = m.value;
  }
  const ls = labelsFromRecord(rec);
  if (labelsGet(ls, METRIC_NAME) === "" && !s.trim().startsWith("{")) throw new Error(`bad metric ${s}`);
  return ls;
}

async function ruleUnitTest(file: string, newStorage: StorageFactory, out: string[]): Promise<string[]> {
  out.push(`Unit Testing:  ${file}`);
  let raw: unknown;
  try {
    raw = parseYAML(readFileSync(file, "utf8"));
  } catch (e) {
    return [(e as Error).message];
  }
  const parsed = unitTestFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return [
      `yaml: unmarshal errors:\n${parsed.error.issues
        .map(
          (i) =>
            `  ${i.path.join(".")}: ${i.code === "unrecognized_keys" ? `field ${i.keys.join(", ")} not found` : i.message}`,
        )
        .join("\n")}`,
    ];
  }
  const utf = parsed.data;
  const base = dirname(file);
  const ruleFiles: string[] = [];
  for (const rf of utf.rule_files ?? []) {
    const p = rf !== "" && !isAbsolute(rf) ? join(base, rf) : rf;
    const m = globFiles(p);
    if (m.length === 0) out.push(`  WARNING: no file match pattern ${p}`);
    ruleFiles.push(...m);
  }
  const evalIntervalMs = utf.evaluation_interval || 60_000;
  const order = new Map<string, number>();
  for (const [i, gn] of (utf.group_eval_order ?? []).entries()) {
    if (order.has(gn)) return [`group name repeated in evaluation order: ${gn}`];
    order.set(gn, i);
  }
  const specs: RuleFileSpec[] = [];
  const loadErrs: string[] = [];
  for (const f of ruleFiles) {
    const r = parseRuleFile(f);
    loadErrs.push(...r.problems.map(formatRuleProblem));
    if (r.spec) specs.push(r.spec);
  }
  if (loadErrs.length > 0) return loadErrs;
  const errs: string[] = [];
  for (const tg of utf.tests ?? [])
    errs.push(...(await runTestGroup(tg, evalIntervalMs, order, specs, newStorage)));
  return errs;
}

/**
 * Runs rule unit-test files in promtool's `test rules` format (rule_files, evaluation_interval,
 * group_eval_order, tests with input_series, alert_rule_test and promql_expr_test) and reports
 * like promtool: `Unit Testing:  FILE`, then `  SUCCESS` or `  FAILED:` with each failure.
 * @example const { passed, output } = await testRuleFiles(["pack/relay-default.test.yml"], () => new Head());
 */
export async function testRuleFiles(
  files: readonly string[],
  newStorage: StorageFactory,
): Promise<RuleTestResult> {
  const out: string[] = [];
  let failed = false;
  for (const f of files) {
    const errs = await ruleUnitTest(f, newStorage, out);
    if (errs.length > 0) {
      out.push("  FAILED:");
      for (const e of errs) out.push(e, "");
      failed = true;
    } else out.push("  SUCCESS");
    out.push("");
  }
  return { passed: !failed, output: `${out.join("\n")}\n` };
}
