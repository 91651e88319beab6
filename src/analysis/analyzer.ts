import { type Labels, labelsFromRecord, labelsGet } from "../model/index.js";
import type { Appendable } from "../storage/index.js";
import { type Levels, type PerformanceConfig, performanceConfigSchema } from "./config.js";
import { busiestDirectionRate, IGNORED_FSTYPES, METRICS as M } from "./names.js";
import { PeriodicService } from "./periodic.js";
import type { AnalysisSource } from "./source.js";

/** How serious a finding is. */
export type Severity = "CRITICAL" | "WARNING" | "INFO";

/** The area a check belongs to. */
export type Area =
  | "cpu"
  | "memory"
  | "disk"
  | "network"
  | "application"
  | "database"
  | "p2p"
  | "consensus"
  | "community";

/** Where a finding was measured: the identifying labels of its series. */
export interface Where {
  instance?: string;
  channel?: string;
  device?: string;
  mountpoint?: string;
}

/** One finding of a performance analysis. */
export interface Finding {
  /** A stable code, e.g. HIGH_CPU_USAGE. */
  type: string;
  area: Area;
  severity: Severity;
  /** A sentence with the measured value and where. */
  description: string;
  /** The measured value, in `unit`. */
  value: number;
  unit: string;
  /** The level the value crossed. */
  threshold: number;
  where: Where;
  impact: string;
  recommendation: string;
}

/** The findings of one type, merged into one recommendation. */
export interface Recommendation {
  type: string;
  area: Area;
  /** The highest severity among the findings. */
  severity: Severity;
  /** Number of findings of this type. */
  count: number;
  where: Where[];
  recommendation: string;
}

/** The result of {@link PerformanceAnalyzer.analyze}, as the API serves it. */
export interface PerformanceReport {
  /** When the analysis ran (ms). */
  timestamp: number;
  timeRange: { from: number; to: number };
  findings: Finding[];
  recommendations: Recommendation[];
  /** 100 − 20·critical − 10·warning − 2·info, at least 0. */
  score: number;
  /** Checks whose query failed, with the error; the others still ran. */
  errors: { type: string; error: string }[];
  /** Checks that found data to judge; 0 means nothing was measured and the score says nothing. */
  measured: number;
}

/** One check: a PromQL expression whose every sample is compared with levels. */
export interface Check {
  type: string;
  area: Area;
  unit: string;
  /** Builds the query for a range `r` (like `3600s`) of `rangeSeconds`. */
  expr: (r: string, rangeSeconds: number) => string;
  levels: (c: PerformanceConfig) => Levels;
  /** What was measured, e.g. "CPU user time averaged 91.2 %". */
  describe: (value: string) => string;
  impact: string;
  recommendation: string;
}

const SEVERITY_ORDER: Record<Severity, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };
const FS = `fstype!~"${IGNORED_FSTYPES}"`;

/** The checks the analyzer runs, one per finding type, each over the whole range. */
export const CHECKS: readonly Check[] = [
  {
    type: "HIGH_CPU_USAGE",
    area: "cpu",
    unit: "%",
    expr: (r) => `100 * avg by (instance) (rate(${M.cpuSeconds}{mode="user"}[${r}]))`,
    levels: (c) => c.cpu_user_percent,
    describe: (v) => `CPU user time averaged ${v} %`,
    impact: "Performance degradation, increased response times",
    recommendation: "Consider scaling up CPU resources or optimizing CPU-intensive operations",
  },
  {
    type: "HIGH_LOAD_AVERAGE",
    area: "cpu",
    unit: "× cores",
    expr: (r) =>
      `avg by (instance) (avg_over_time(${M.load5}[${r}])) / on (instance) count by (instance) (last_over_time(${M.cpuSeconds}{mode="idle"}[${r}]))`,
    levels: (c) => c.load5_per_core,
    describe: (v) => `load5 averaged ${v} × the number of cores`,
    impact: "System may become unresponsive",
    recommendation: "Investigate high-load processes and consider load balancing",
  },
  {
    type: "HIGH_MEMORY_USAGE",
    area: "memory",
    unit: "%",
    expr: (r) =>
      `100 * (1 - min by (instance) (min_over_time(${M.memAvailable}[${r}])) / on (instance) max by (instance) (max_over_time(${M.memTotal}[${r}])))`,
    levels: (c) => c.memory_percent,
    describe: (v) => `memory use peaked at ${v} %`,
    impact: "Swapping and out-of-memory kills",
    recommendation: "Add memory or reduce the working set (caches, connection pools, leaks)",
  },
  {
    type: "DISK_SPACE_LOW",
    area: "disk",
    unit: "%",
    expr: (r) =>
      `100 * (1 - last_over_time(${M.fsAvail}{${FS}}[${r}]) / last_over_time(${M.fsSize}{${FS}}[${r}]))`,
    levels: (c) => c.disk_percent,
    describe: (v) => `filesystem ${v} % full`,
    impact: "Writes fail once the filesystem is full; databases and the TSDB stop",
    recommendation: "Grow the volume, tighten retention or clean up old data",
  },
  {
    type: "NETWORK_ERRORS",
    area: "network",
    unit: "%",
    expr: (r) =>
      `100 * sum by (instance, device) (increase(${M.netReceiveErrs}[${r}]) + increase(${M.netTransmitErrs}[${r}])) / sum by (instance, device) (increase(${M.netReceivePackets}[${r}]) + increase(${M.netTransmitPackets}[${r}]))`,
    levels: (c) => c.network_error_percent,
    describe: (v) => `${v} % of packets had errors`,
    impact: "Retransmissions, higher latency, failed peer connections",
    recommendation: "Check cabling, NIC drivers and duplex settings of the interface",
  },
  {
    type: "NETWORK_DROPS",
    area: "network",
    unit: "%",
    expr: (r) =>
      `100 * sum by (instance, device) (increase(${M.netReceiveDrop}[${r}]) + increase(${M.netTransmitDrop}[${r}])) / sum by (instance, device) (increase(${M.netReceivePackets}[${r}]) + increase(${M.netTransmitPackets}[${r}]))`,
    levels: (c) => c.network_drop_percent,
    describe: (v) => `${v} % of packets were dropped`,
    impact: "Lost messages and retransmissions",
    recommendation: "Enlarge ring buffers and socket queues, or spread the load over more interfaces",
  },
  {
    type: "NETWORK_SATURATION",
    area: "network",
    unit: "%",
    expr: (r) =>
      `100 * ${busiestDirectionRate(r)} / on (instance, device) max by (instance, device) (last_over_time(${M.netSpeedBytes}[${r}]) > 0)`,
    levels: (c) => c.network_utilisation_percent,
    describe: (v) => `interface utilisation averaged ${v} % of link speed`,
    impact: "Queueing delay and drops at the link",
    recommendation: "Upgrade the link or move traffic (P2P gossip, replication) to other interfaces",
  },
  {
    type: "HIGH_ERROR_RATE",
    area: "application",
    unit: "%",
    expr: (r) =>
      `100 * sum by (instance) (increase(${M.httpRequests}{status=~"5.."}[${r}])) / sum by (instance) (increase(${M.httpRequests}[${r}]))`,
    levels: (c) => c.http_error_percent,
    describe: (v) => `${v} % of HTTP requests failed with 5xx`,
    impact: "Users see failed actions; clients retry and add load",
    recommendation: "Inspect the failing endpoints' logs and recent deployments",
  },
  {
    type: "HIGH_LATENCY",
    area: "application",
    unit: "s",
    expr: (r) => `histogram_quantile(0.95, sum by (instance, le) (rate(${M.httpDuration}_bucket[${r}])))`,
    levels: (c) => c.http_p95_seconds,
    describe: (v) => `p95 HTTP latency was ${v} s`,
    impact: "Slow responses degrade the user experience",
    recommendation: "Profile the slowest endpoints; add caching or capacity",
  },
  {
    type: "SLOW_QUERIES",
    area: "database",
    unit: "s",
    expr: (r) => `max by (instance) (max_over_time(${M.pgMaxTxDuration}{state="active"}[${r}]))`,
    levels: (c) => c.db_slow_query_seconds,
    describe: (v) => `the longest active query ran ${v} s`,
    impact: "Slow queries hold locks and connections, slowing every request behind them",
    recommendation: "Examine execution plans of slow queries and add the missing indexes",
  },
  {
    type: "DB_CONNECTION_SATURATION",
    area: "database",
    unit: "%",
    expr: (r) =>
      `100 * max_over_time((sum by (instance) (${M.pgActivityCount}))[${r}:1m]) / on (instance) max by (instance) (last_over_time(${M.pgMaxConnections}[${r}]))`,
    levels: (c) => c.db_connection_percent,
    describe: (v) => `database connections peaked at ${v} % of max_connections`,
    impact: "New connections are refused once the limit is reached",
    recommendation: "Use a connection pooler or raise max_connections with the memory it needs",
  },
  {
    type: "HIGH_PEER_CHURN",
    area: "p2p",
    unit: "/h",
    expr: (r, secs) =>
      `sum by (instance) (increase(${M.p2pPeerChurn}{event="disconnected"}[${r}])) / on (instance) sum by (instance) (avg_over_time(${M.p2pPeers}[${r}])) / ${secs / 3600}`,
    levels: (c) => c.p2p_churn_per_hour,
    describe: (v) => `peers disconnected at ${v} × the peer count per hour`,
    impact: "Unstable overlay: slower propagation and repeated handshakes",
    recommendation: "Check peer health and NAT/firewall timeouts; prefer stable peers",
  },
  {
    type: "SLOW_PROPAGATION",
    area: "p2p",
    unit: "s",
    expr: (r) =>
      `histogram_quantile(0.95, sum by (instance, le) (rate(${M.p2pMessageLatency}_bucket[${r}])))`,
    levels: (c) => c.p2p_propagation_p95_seconds,
    describe: (v) => `p95 P2P message latency was ${v} s`,
    impact: "Messages and votes reach peers late; consensus slows",
    recommendation: "Add well-connected peers and check bandwidth between regions",
  },
  {
    type: "SLOW_CONSENSUS",
    area: "consensus",
    unit: "s",
    expr: (r) =>
      `sum by (instance) (increase(${M.consensusDuration}_sum[${r}])) / sum by (instance) (increase(${M.consensusDuration}_count[${r}]))`,
    levels: (c) => c.consensus_round_seconds,
    describe: (v) => `consensus rounds averaged ${v} s`,
    impact: "Decisions and transactions take longer to finalise",
    recommendation: "Check validator latency and participation; tune round timeouts",
  },
  {
    type: "HIGH_CONSENSUS_FAILURE_RATE",
    area: "consensus",
    unit: "%",
    expr: (r) =>
      `100 * sum by (instance) (increase(${M.consensusRounds}{result!="success"}[${r}])) / sum by (instance) (increase(${M.consensusRounds}[${r}]))`,
    levels: (c) => c.consensus_failure_percent,
    describe: (v) => `${v} % of consensus rounds failed`,
    impact: "Stalled finality; risk of forks",
    recommendation: "Investigate failing validators, clock skew and network partitions",
  },
  {
    type: "COMMUNITY_HEALTH_DROP",
    area: "community",
    unit: "%",
    expr: (r) =>
      `100 * (1 - last_over_time(${M.communityHealth}[${r}]) / max_over_time(${M.communityHealth}[${r}]))`,
    levels: (c) => c.community_health_drop_percent,
    describe: (v) => `the health score fell ${v} % below its peak`,
    impact: "Members disengage; moderation and governance suffer",
    recommendation: "Review the channel's recent moderation, conflicts and response times",
  },
];

/** The severity for `value` under `levels`, or null when no level is exceeded. */
export function severityFor(value: number, levels: Levels): { severity: Severity; threshold: number } | null {
  if (!Number.isFinite(value)) return null;
  if (levels.critical !== undefined && value > levels.critical)
    return { severity: "CRITICAL", threshold: levels.critical };
  if (levels.warning !== undefined && value > levels.warning)
    return { severity: "WARNING", threshold: levels.warning };
  if (levels.info !== undefined && value > levels.info) return { severity: "INFO", threshold: levels.info };
  return null;
}

/** The seed's score: 100 − 20 per critical, 10 per warning, 2 per info finding, never below 0. */
export function performanceScore(findings: readonly { severity: Severity }[]): number {
  let score = 100;
  for (const f of findings) score -= f.severity === "CRITICAL" ? 20 : f.severity === "WARNING" ? 10 : 2;
  return Math.max(0, score);
}

/** Groups findings by type into one recommendation each, most severe first. */
export function groupRecommendations(findings: readonly Finding[]): Recommendation[] {
  const byType = new Map<string, Recommendation>();
  for (const f of findings) {
    const r = byType.get(f.type);
    if (r === undefined) {
      byType.set(f.type, {
        type: f.type,
        area: f.area,
        severity: f.severity,
        count: 1,
        where: [f.where],
        recommendation: f.recommendation,
      });
    } else {
      r.count++;
      r.where.push(f.where);
      if (SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[r.severity]) r.severity = f.severity;
    }
  }
  return [...byType.values()].sort(
    (a, b) =>
      SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
      b.count - a.count ||
      (a.type < b.type ? -1 : 1),
  );
}

function whereOf(ls: Labels): Where {
  const w: Where = {};
  for (const k of ["instance", "channel", "device", "mountpoint"] as const) {
    const v = labelsGet(ls, k);
    if (v !== "") w[k] = v;
  }
  return w;
}

function formatWhere(w: Where): string {
  const parts: string[] = [];
  if (w.channel) parts.push(`channel ${w.channel}`);
  if (w.mountpoint) parts.push(`${w.mountpoint}`);
  if (w.device) parts.push(`device ${w.device}`);
  if (w.instance) parts.push(`${parts.length > 0 ? "on " : ""}${w.instance}`);
  return parts.length === 0 ? "" : ` (${parts.join(" ")})`;
}

/** Rounds for display: three significant digits (whole numbers from 1000), no exponent. */
export function formatValue(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toString();
  return Number(v.toPrecision(3)).toString();
}

/** Options of a {@link PerformanceAnalyzer}. */
export interface PerformanceAnalyzerOptions {
  source: AnalysisSource;
  /** Where the score series is written (optional: without it the score is only returned). */
  appendable?: Appendable;
  config?: PerformanceConfig;
  /** The clock (ms), for tests. */
  now?: () => number;
  /** Called with an error from a periodic run (default: ignored). */
  onError?: (err: unknown) => void;
}

/**
 * The performance analyzer: runs {@link CHECKS} over a time range and reports findings,
 * recommendations grouped by type, and the seed's score. Life: construct, `applyConfig`, `start`
 * (every `interval` it analyses the last `window` and appends `relay_performance_score`), `stop`.
 * @example
 * const pa = new PerformanceAnalyzer({ source: engineSource(engine, head), appendable: head });
 * const report = await pa.analyze(Date.now() - 3600_000, Date.now());
 */
export class PerformanceAnalyzer extends PeriodicService<PerformanceConfig, PerformanceReport> {
  constructor(private readonly opts: PerformanceAnalyzerOptions) {
    super(opts.config ?? performanceConfigSchema.parse({}), opts.onError);
  }

  protected async run(): Promise<PerformanceReport> {
    const now = (this.opts.now ?? Date.now)();
    const report = await this.analyze(now - this.config.window, now);
    // With nothing measured the score says nothing: no sample is written (an empty store stays empty).
    if (this.opts.appendable && report.measured > 0) {
      const app = this.opts.appendable.appender();
      app.append(0, labelsFromRecord({ __name__: M.performanceScore }), now, report.score);
      await app.commit();
    }
    return report;
  }

  /**
   * Analyses [from, to] (ms). Each check is one instant query at `to` over the whole range; a
   * check whose query fails is listed in `errors` and the others still run.
   */
  async analyze(from: number, to: number): Promise<PerformanceReport> {
    if (!(to > from)) throw new RangeError(`analysis range must have to > from, got from=${from} to=${to}`);
    const secs = Math.max(1, Math.round((to - from) / 1000));
    const r = `${secs}s`;
    const findings: Finding[] = [];
    const errors: { type: string; error: string }[] = [];
    let measured = 0;
    const results = await Promise.allSettled(
      CHECKS.map((c) => this.opts.source.instant(c.expr(r, secs), to)),
    );
    for (const [i, c] of CHECKS.entries()) {
      const res = results[i]!;
      if (res.status === "rejected") {
        errors.push({
          type: c.type,
          error: res.reason instanceof Error ? res.reason.message : String(res.reason),
        });
        continue;
      }
      if (res.value.length > 0) measured++;
      for (const s of res.value) {
        const sev = severityFor(s.v, c.levels(this.config));
        if (sev === null) continue;
        const where = whereOf(s.labels);
        const shown = formatValue(s.v);
        findings.push({
          type: c.type,
          area: c.area,
          severity: sev.severity,
          description: `${c.describe(shown)}${formatWhere(where)}, above the ${sev.severity.toLowerCase()} level of ${formatValue(sev.threshold)}${c.unit === "%" ? " %" : ` ${c.unit}`}`,
          value: s.v,
          unit: c.unit,
          threshold: sev.threshold,
          where,
          impact: c.impact,
          recommendation: c.recommendation,
        });
      }
    }
    findings.sort(
      (a, b) =>
        SEVERITY_ORDER[b.severity] - SEVERITY_ORDER[a.severity] ||
        (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
    );
    return {
      timestamp: (this.opts.now ?? Date.now)(),
      timeRange: { from, to },
      findings,
      recommendations: groupRecommendations(findings),
      score: performanceScore(findings),
      errors,
      measured,
    };
  }
}
