import { describe, expect, test } from "vitest";
import { labelsToRecord } from "../model/index.js";
import { Engine } from "../promql/index.js";
import { engineSource } from "./source.js";
import { counter, headWith } from "./testdata/fixture.js";

const T0 = 1_700_000_000_000;
const STEP = 60_000;

describe("engineSource range queries in pieces", () => {
  test.each([1, 6, 7, 8, 20, 21, 50])("%i points in pieces of 7 equal one query", async (points) => {
    const { head } = await headWith(
      [
        counter({ __name__: "c", instance: "a" }, 1, T0),
        // b only exists in the second half: it appears in later pieces only
        {
          labels: { __name__: "c", instance: "b" },
          value: (t) => (t >= T0 + 25 * STEP ? t / 1000 : Number.NaN),
        },
      ],
      T0,
      T0 + 60 * STEP,
      15_000,
    );
    const engine = new Engine();
    const whole = engineSource(engine, head, { maxPoints: 1e9 });
    const pieces = engineSource(engine, head, { maxPoints: 7 });
    const expr = "rate(c[2m])";
    const end = T0 + 2 * STEP + (points - 1) * STEP;
    const a = await whole.range(expr, T0 + 2 * STEP, end, STEP);
    const b = await pieces.range(expr, T0 + 2 * STEP, end, STEP);
    const shape = (ms: typeof a) =>
      ms
        .map((m) => ({ labels: labelsToRecord(m.labels), t: [...m.t], v: [...m.v] }))
        .sort((x, y) => (x.labels.instance ?? "").localeCompare(y.labels.instance ?? ""));
    expect(shape(b)).toEqual(shape(a));
    expect(a[0]!.t.length).toBe(points);
  });
});
