import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import knownFailures from "./known-failures.json" with { type: "json" };
import { ScriptRunner } from "./runner.js";
import { type EvalCmd, nativeHistogramEvals, parseScript } from "./script.js";

const DIR = fileURLToPath(new URL("../../../../shared/conformance/promql/", import.meta.url));

/** Files skipped wholesale, with the reason. */
const SKIPPED_FILES: Record<string, string> = {
  "native_histograms.test": "native histograms are not supported",
  "limit.test": "every query mixes native histograms into the data",
  "start_timestamps.test": "needs per-sample start timestamps in storage (use-start-timestamps)",
};

/** Every file of the suite, in a fixed order. */
const FILES = [
  "aggregators.test",
  "at_modifier.test",
  "collision.test",
  "duration_expression.test",
  "extended_vectors.test",
  "fill-modifier.test",
  "functions.test",
  "histograms.test",
  "info.test",
  "limit.test",
  "literals.test",
  "name_label_dropping.test",
  "native_histograms.test",
  "operators.test",
  "range_queries.test",
  "selectors.test",
  "staleness.test",
  "start_timestamps.test",
  "subquery.test",
  "trig_functions.test",
  "type_and_unit.test",
];

interface KnownFailure {
  file: string;
  line: number;
  reason: string;
}

const known = new Map<string, string>();
for (const k of knownFailures as KnownFailure[]) known.set(`${k.file}:${k.line}`, k.reason);

const failures: { file: string; line: number; expr: string; error: string }[] = [];
const summary: {
  file: string;
  passed: number;
  failed: number;
  known: number;
  nh: number;
  skipped: string;
}[] = [];

for (const file of FILES) {
  if (SKIPPED_FILES[file]) {
    summary.push({ file, passed: 0, failed: 0, known: 0, nh: 0, skipped: SKIPPED_FILES[file]! });
    describe.skip(`${file} (${SKIPPED_FILES[file]})`, () => {
      it("skipped", () => {});
    });
    continue;
  }
  const cmds = parseScript(readFileSync(DIR + file, "utf8"));
  const nh = nativeHistogramEvals(cmds);
  const row = { file, passed: 0, failed: 0, known: 0, nh: 0, skipped: "" };
  summary.push(row);
  describe(file, () => {
    const runner = new ScriptRunner(cmds);
    cmds.forEach((c, idx) => {
      if (c.kind !== "eval") return;
      const e = c as EvalCmd;
      const title = `line ${e.line}: ${e.instant ? "instant" : "range"} ${e.expr}`;
      if (nh.has(e)) {
        row.nh++;
        it.skip(`${title} — needs native histograms`, () => {});
        return;
      }
      const reason = known.get(`${file}:${e.line}`);
      if (reason) {
        row.known++;
        it.skip(`${title} — known failure: ${reason}`, () => {});
        return;
      }
      it(title, async () => {
        const err = await runner.runEval(idx);
        if (err === null) row.passed++;
        else {
          row.failed++;
          failures.push({ file, line: e.line, expr: e.expr, error: err });
        }
        expect(err).toBeNull();
      });
    });
  });
}

afterAll(() => {
  // PROMQL_CONFORMANCE_REPORT=path writes the failures as JSON (to maintain known-failures.json).
  const report = process.env.PROMQL_CONFORMANCE_REPORT;
  if (report) writeFileSync(report, JSON.stringify(failures, null, 1));
  const lines = summary.map(
    (r) =>
      `${r.file.padEnd(28)} ${r.skipped ? `skipped: ${r.skipped}` : `passed ${String(r.passed).padStart(4)}  failed ${String(r.failed).padStart(3)}  known failures ${String(r.known).padStart(3)}  native-histogram evals skipped ${String(r.nh).padStart(3)}`}`,
  );
  console.log(`PromQL conformance\n${lines.join("\n")}`);
});
