import { CATALOGUE, type RelayMetricKey } from "../sdk/index.js";
import type { FamilyDef } from "./series.js";

/** The simulator's family definition of an SDK catalogue entry. */
export function sdkFamily(key: RelayMetricKey): FamilyDef {
  const s = CATALOGUE[key];
  return {
    name: s.name,
    type: s.type,
    help: s.help,
    labelNames: s.labelNames,
    buckets: "buckets" in s ? s.buckets : undefined,
  };
}

/**
 * Host series of the simulated nodes, with node_exporter's names and labels (diskstats of the one
 * disk `vda` included), so the System Overview and Capacity dashboards and the capacity planner have
 * per-node history to work on.
 */
export const HOST_FAMILIES = {
  cpu: {
    name: "node_cpu_seconds_total",
    type: "counter",
    help: "Seconds the CPUs spent in each mode.",
    labelNames: ["cpu", "mode"],
  },
  memTotal: {
    name: "node_memory_MemTotal_bytes",
    type: "gauge",
    help: "Memory information field MemTotal_bytes.",
    labelNames: [],
  },
  memAvailable: {
    name: "node_memory_MemAvailable_bytes",
    type: "gauge",
    help: "Memory information field MemAvailable_bytes.",
    labelNames: [],
  },
  fsSize: {
    name: "node_filesystem_size_bytes",
    type: "gauge",
    help: "Filesystem size in bytes.",
    labelNames: ["device", "fstype", "mountpoint"],
  },
  fsAvail: {
    name: "node_filesystem_avail_bytes",
    type: "gauge",
    help: "Filesystem space available to non-root users in bytes.",
    labelNames: ["device", "fstype", "mountpoint"],
  },
  netRx: {
    name: "node_network_receive_bytes_total",
    type: "counter",
    help: "Network device statistic receive_bytes.",
    labelNames: ["device"],
  },
  netTx: {
    name: "node_network_transmit_bytes_total",
    type: "counter",
    help: "Network device statistic transmit_bytes.",
    labelNames: ["device"],
  },
  diskReadBytes: {
    name: "node_disk_read_bytes_total",
    type: "counter",
    help: "The total number of bytes read successfully.",
    labelNames: ["device"],
  },
  diskWrittenBytes: {
    name: "node_disk_written_bytes_total",
    type: "counter",
    help: "The total number of bytes written successfully.",
    labelNames: ["device"],
  },
  diskReads: {
    name: "node_disk_reads_completed_total",
    type: "counter",
    help: "The total number of reads completed successfully.",
    labelNames: ["device"],
  },
  diskWrites: {
    name: "node_disk_writes_completed_total",
    type: "counter",
    help: "The total number of writes completed successfully.",
    labelNames: ["device"],
  },
  diskIoTime: {
    name: "node_disk_io_time_seconds_total",
    type: "counter",
    help: "Total seconds spent doing I/Os.",
    labelNames: ["device"],
  },
  bootTime: {
    name: "node_boot_time_seconds",
    type: "gauge",
    help: "Node boot time, in unixtime.",
    labelNames: [],
  },
  time: {
    name: "node_time_seconds",
    type: "gauge",
    help: "System time in seconds since epoch (1970).",
    labelNames: [],
  },
  load1: { name: "node_load1", type: "gauge", help: "1m load average.", labelNames: [] },
  load5: { name: "node_load5", type: "gauge", help: "5m load average.", labelNames: [] },
  load15: { name: "node_load15", type: "gauge", help: "15m load average.", labelNames: [] },
} as const satisfies Record<string, FamilyDef>;

/**
 * The simulated database's series, with postgres_exporter's names and labels. Two are not
 * postgres_exporter's (it has no slow-query metric of its own): `pg_slow_queries_total` (queries
 * slower than 1 s) and the histogram `pg_query_duration_seconds`.
 */
export const DB_FAMILIES = {
  up: {
    name: "pg_up",
    type: "gauge",
    help: "Whether the last scrape of the database succeeded.",
    labelNames: [],
  },
  maxConnections: {
    name: "pg_settings_max_connections",
    type: "gauge",
    help: "Server Parameter: max_connections.",
    labelNames: [],
  },
  activityCount: {
    name: "pg_stat_activity_count",
    type: "gauge",
    help: "Number of connections in this state.",
    labelNames: ["datname", "state"],
  },
  maxTxDuration: {
    name: "pg_stat_activity_max_tx_duration",
    type: "gauge",
    help: "Max duration in seconds any active transaction has been running.",
    labelNames: ["datname", "state"],
  },
  numBackends: {
    name: "pg_stat_database_numbackends",
    type: "gauge",
    help: "Number of backends currently connected to this database.",
    labelNames: ["datname"],
  },
  xactCommit: {
    name: "pg_stat_database_xact_commit",
    type: "counter",
    help: "Number of transactions in this database that have been committed.",
    labelNames: ["datname"],
  },
  xactRollback: {
    name: "pg_stat_database_xact_rollback",
    type: "counter",
    help: "Number of transactions in this database that have been rolled back.",
    labelNames: ["datname"],
  },
  slowQueries: {
    name: "pg_slow_queries_total",
    type: "counter",
    help: "Queries that took longer than 1 second (simulator; not a postgres_exporter metric).",
    labelNames: ["datname"],
  },
  queryDuration: {
    name: "pg_query_duration_seconds",
    type: "histogram",
    help: "Query execution time (simulator; not a postgres_exporter metric).",
    labelNames: ["datname"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
  },
} as const satisfies Record<string, FamilyDef>;
