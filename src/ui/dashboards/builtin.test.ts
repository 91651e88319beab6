import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, test } from "vitest";
import { CATALOGUE } from "../../relay/sdk/catalogue.js";
import { interpolate } from "../lib/templating.js";
import { BUILTIN_DASHBOARDS } from "./builtin.js";

/** Series the dashboards read that the SDK catalogue does not define (written by the server itself). */
const OUTSIDE_CATALOGUE = new Set(["relay_community_health_score", "relay_alerts", "relay_silences"]);

const catalogueNames = new Set(
  Object.values(CATALOGUE).flatMap((m) =>
    m.type === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
  ),
);

function parseErrors(expr: string): string[] {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError)
        errors.push(`error at ${n.from}: ${JSON.stringify(expr.slice(n.from, n.from + 20))}`);
    },
  });
  return errors;
}

test("the eight built-in dashboards have distinct uids, in menu order", () => {
  expect(BUILTIN_DASHBOARDS.map((d) => d.uid)).toEqual([
    "system-overview",
    "application-performance",
    "network-health",
    "community-health",
    "governance",
    "economy",
    "capacity",
    "alerts",
  ]);
});

describe.each(BUILTIN_DASHBOARDS.map((d) => [d.title, d] as const))("%s", (_title, d) => {
  const vars = Object.fromEntries((d.variables ?? []).map((v) => [v.name, ["x"]]));
  const exprs = d.panels.flatMap((p) => p.queries.map((q) => q.expr));

  test("every query is valid PromQL once variables are substituted", () => {
    for (const e of exprs)
      expect(parseErrors(interpolate(e, vars, { intervalS: 15, rangeS: 3600 })), e).toEqual([]);
  });

  test("every relay_ series it reads is in the SDK catalogue (or listed as server-written)", () => {
    const used = new Set(exprs.flatMap((e) => e.match(/\brelay_[a-z0-9_]+/g) ?? []));
    for (const name of used) expect(catalogueNames.has(name) || OUTSIDE_CATALOGUE.has(name), name).toBe(true);
  });

  test("panels fit the 24-column grid and do not overlap", () => {
    const cells = new Set<string>();
    for (const p of d.panels) {
      expect(p.grid.x + p.grid.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.grid.x; x < p.grid.x + p.grid.w; x++) {
        for (let y = p.grid.y; y < p.grid.y + p.grid.h; y++) {
          const k = `${x},${y}`;
          expect(cells.has(k), `${p.title} overlaps at ${k}`).toBe(false);
          cells.add(k);
        }
      }
    }
  });
});
