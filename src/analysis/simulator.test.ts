/**
 * The anomaly detector measured on the Relay network simulator: the faults it injects are found
 * (recall ≥ 0.9) while normal days stay quiet (precision ≥ 0.9), with the default configuration.
 *
 * Matching rule. Each fault kind affects a known set of watched series (AFFECTS below, from the
 * simulator's fault effects in src/relay/sim/DESIGN.md). An anomaly episode matches a fault when
 * it is on a series the fault affects and its [start, end] overlaps the fault window extended by
 * the detector's step plus the 5-minute rate window, [fault.start, fault.end + 10m] (a rate over
 * 5 minutes still sees the fault for 5 minutes after it ends, and grid points are 5 minutes
 * apart). Recall is the share of faults matched by at least one episode; precision is the share
 * of episodes that match some fault. Episodes on any series count, including ones no fault
 * affects.
 */
import { describe, expect, test } from "vitest";
import { Engine } from "../promql/index.js";
import { COFFEE_SHOP, type Fault, type FaultKind, Simulation, writeHistory } from "../relay/index.js";
import { Head } from "../tsdb/index.js";
import { anomalyConfigSchema } from "./config.js";
import { type Anomaly, AnomalyDetector } from "./detector.js";
import { engineSource } from "./source.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Watched series each fault kind moves in the simulator. */
const AFFECTS: Record<FaultKind, readonly string[]> = {
  latency_spike: ["propagation_p95", "consensus_duration", "p95_latency", "error_ratio"],
  slow_consensus: ["consensus_duration", "propagation_p95"],
  db_slowdown: ["db_max_tx_duration", "p95_latency", "error_ratio"],
  toxic_burst: ["moderation_rate", "message_volume", "request_rate"],
  node_down: ["consensus_participants", "message_volume", "request_rate"],
};

/** How long after a fault's end its effect may still show: the rate window plus one step. */
const TAIL = 10 * MIN;

/** Recall and precision of `anomalies` against `faults` under the matching rule above. */
function scoreAgainstFaults(
  anomalies: readonly Anomaly[],
  faults: readonly Fault[],
): {
  recall: number;
  precision: number;
  alarmPrecision: number;
  alarms: number;
  missed: Fault[];
  falseEpisodes: Anomaly[];
} {
  const matches = (a: Anomaly, f: Fault) =>
    AFFECTS[f.kind].includes(a.series) && a.start <= f.end + TAIL && a.end >= f.start;
  const missed = faults.filter((f) => !anomalies.some((a) => matches(a, f)));
  const falseEpisodes = anomalies.filter((a) => !faults.some((f) => matches(a, f)));
  const alarms = groupAlarms(anomalies);
  const falseAlarms = alarms.filter((g) => g.every((a) => falseEpisodes.includes(a))).length;
  return {
    recall: faults.length === 0 ? 1 : (faults.length - missed.length) / faults.length,
    precision: anomalies.length === 0 ? 1 : (anomalies.length - falseEpisodes.length) / anomalies.length,
    alarmPrecision: alarms.length === 0 ? 1 : (alarms.length - falseAlarms) / alarms.length,
    alarms: alarms.length,
    missed,
    falseEpisodes,
  };
}

/**
 * Episodes of one watched series that overlap in time (the same event seen on several instances or
 * channels) grouped into one alarm, so an event seen five times counts once either way.
 */
function groupAlarms(anomalies: readonly Anomaly[]): Anomaly[][] {
  const out: Anomaly[][] = [];
  const sorted = [...anomalies].sort((a, b) => a.series.localeCompare(b.series) || a.start - b.start);
  let end = Number.NEGATIVE_INFINITY;
  for (const a of sorted) {
    const last = out.at(-1);
    if (last && last[0]!.series === a.series && a.start <= end) {
      last.push(a);
      end = Math.max(end, a.end);
    } else {
      out.push([a]);
      end = a.end;
    }
  }
  return out;
}

describe("scoreAgainstFaults (the matching rule)", () => {
  const fault: Fault = { id: "f", kind: "db_slowdown", target: "db", start: 0, end: 20 * MIN, source: "api" };
  const ep = (series: string, start: number, end: number) => ({ series, start, end }) as unknown as Anomaly;
  test.each([
    ["an affected series inside the window", ep("db_max_tx_duration", 5 * MIN, 10 * MIN), 1],
    ["an affected series in the rate tail", ep("p95_latency", 25 * MIN, 40 * MIN), 1],
    ["an affected series after the tail", ep("p95_latency", 31 * MIN, 40 * MIN), 0],
    ["an unaffected series inside the window", ep("consensus_participants", 5 * MIN, 10 * MIN), 0],
    ["an affected series before the fault", ep("error_ratio", -20 * MIN, -MIN), 0],
  ])("%s", (_name, episode, matched) => {
    const r = scoreAgainstFaults([episode], [fault]);
    expect(r.recall).toBe(matched);
    expect(r.precision).toBe(matched);
  });
});

const DAYS = 17;
const SCORED_DAYS = 3;
const NOW = Date.UTC(2024, 4, 20, 0, 0, 0);

/** Extra faults every few hours across the scored days, cycling kinds and targets. */
function extraFaults(sim: Simulation): void {
  const kinds: FaultKind[] = ["latency_spike", "db_slowdown", "toxic_burst", "slow_consensus", "node_down"];
  const channels = sim.network.world.channels.map((c) => c.slug);
  const busy = sim.faults.faults();
  let k = 0;
  for (let t = NOW - SCORED_DAYS * DAY + 3 * HOUR + 17 * MIN; t < NOW - 2 * HOUR; t += 3 * HOUR + 10 * MIN) {
    if (busy.some((f) => f.start < t + 3 * HOUR && f.end > t - 2 * HOUR)) continue;
    const kind = kinds[k % kinds.length]!;
    const n = Math.floor(k / kinds.length);
    const target =
      kind === "latency_spike"
        ? n % 2 === 0
          ? "network"
          : sim.nodeNames[n % sim.nodeNames.length]
        : kind === "node_down"
          ? sim.nodeNames[(n + 1) % sim.nodeNames.length]
          : kind === "toxic_burst"
            ? n % 2 === 0
              ? COFFEE_SHOP.slug
              : channels[(3 * n) % channels.length]
            : undefined;
    sim.faults.schedule({ kind, at: t, durationMs: (10 + 5 * (k % 4)) * MIN, target });
    k++;
  }
}

describe("anomaly detector on the Relay simulator", () => {
  test("finds ≥ 90 % of injected faults with ≥ 90 % of its episodes on a fault", {
    timeout: 120_000,
  }, async () => {
    const t0 = performance.now();
    const sim = new Simulation({ seed: 42, days: DAYS, now: NOW, clock: () => NOW });
    extraFaults(sim);
    const head = new Head();
    await writeHistory({ simulation: sim, appendable: head });
    const tHistory = performance.now() - t0;
    const source = engineSource(new Engine({ maxSamples: 1e9 }), head);
    const detector = new AnomalyDetector({ source, config: anomalyConfigSchema.parse({}), now: () => NOW });
    const from = NOW - SCORED_DAYS * DAY;
    const report = await detector.detect({ from, to: NOW });
    const tDetect = performance.now() - t0 - tHistory;
    const faults = sim.faults.faults().filter((f) => f.start >= from && f.end <= NOW);
    const anomalies = report.anomalies.filter((a) => a.end >= from);
    const r = scoreAgainstFaults(anomalies, faults);
    const fmt = (t: number) => new Date(t).toISOString().slice(5, 16);
    console.log(
      `simulator: ${faults.length} faults, ${anomalies.length} episodes in ${r.alarms} alarms; recall ${r.recall.toFixed(3)}, precision ${r.precision.toFixed(3)} (per alarm ${r.alarmPrecision.toFixed(3)}); history ${(tHistory / 1000).toFixed(1)} s, detect ${(tDetect / 1000).toFixed(1)} s`,
    );
    for (const f of r.missed) console.log(`missed ${f.kind} ${f.target} ${fmt(f.start)}–${fmt(f.end)}`);
    for (const a of r.falseEpisodes)
      console.log(
        `false ${a.series} ${JSON.stringify(a.labels)} ${fmt(a.start)}–${fmt(a.end)} score ${a.score.toFixed(1)} value ${a.peak.value.toPrecision(3)} expected ${a.expected.median.toPrecision(3)}`,
      );
    const asRule = await new AnomalyDetector({
      source,
      config: anomalyConfigSchema.parse({ threshold: 6, min_points: 1 }),
      now: () => NOW,
    }).detect({ from, to: NOW });
    const rule = scoreAgainstFaults(
      asRule.anomalies.filter((a) => a.end >= from),
      faults,
    );
    console.log(
      `simulator, RelayAnomalyDetected's view (one point, |z| > 6): ${asRule.anomalies.length} episodes in ${rule.alarms} alarms; recall ${rule.recall.toFixed(3)}, precision ${rule.precision.toFixed(3)} (per alarm ${rule.alarmPrecision.toFixed(3)})`,
    );
    for (const a of rule.falseEpisodes)
      console.log(
        `rule false ${a.series} ${JSON.stringify(a.labels)} ${fmt(a.start)} score ${a.score.toFixed(1)}`,
      );
    expect(report.skipped).toEqual([]);
    expect(faults.length).toBeGreaterThanOrEqual(20);
    expect(new Set(faults.map((f) => f.kind)).size).toBe(5);
    expect(r.recall).toBeGreaterThanOrEqual(0.9);
    expect(r.precision).toBeGreaterThanOrEqual(0.9);
    expect(r.alarmPrecision).toBeGreaterThanOrEqual(0.9);
    expect(rule.alarmPrecision).toBeGreaterThanOrEqual(0.9);
  });
});
