/**
 * Every metric name the analysis reads or writes, in one place. Host metrics are node_exporter's,
 * database metrics postgres_exporter's, application, P2P and consensus metrics the Relay SDK
 * catalogue's (src/relay/sdk/catalogue.ts), community metrics the community stage's.
 */
export const METRICS = {
  cpuSeconds: "node_cpu_seconds_total",
  load5: "node_load5",
  memAvailable: "node_memory_MemAvailable_bytes",
  memTotal: "node_memory_MemTotal_bytes",
  fsAvail: "node_filesystem_avail_bytes",
  fsSize: "node_filesystem_size_bytes",
  netReceiveBytes: "node_network_receive_bytes_total",
  netTransmitBytes: "node_network_transmit_bytes_total",
  netReceiveErrs: "node_network_receive_errs_total",
  netTransmitErrs: "node_network_transmit_errs_total",
  netReceiveDrop: "node_network_receive_drop_total",
  netTransmitDrop: "node_network_transmit_drop_total",
  netReceivePackets: "node_network_receive_packets_total",
  netTransmitPackets: "node_network_transmit_packets_total",
  netSpeedBytes: "node_network_speed_bytes",
  httpRequests: "relay_http_requests_total",
  httpDuration: "relay_http_request_duration_seconds",
  pgActivityCount: "pg_stat_activity_count",
  pgMaxConnections: "pg_settings_max_connections",
  pgMaxTxDuration: "pg_stat_activity_max_tx_duration",
  p2pPeers: "relay_p2p_peers",
  p2pPeerChurn: "relay_p2p_peer_churn_total",
  p2pMessageLatency: "relay_p2p_message_latency_seconds",
  consensusRounds: "relay_consensus_rounds_total",
  consensusDuration: "relay_consensus_round_duration_seconds",
  consensusParticipants: "relay_consensus_participants",
  moderationActions: "relay_moderation_actions_total",
  channelMessages: "relay_channel_messages_total",
  communityHealth: "relay_community_health_score",
  /** Published by the community stage: each normalised health component (0–1) per channel. */
  communityHealthComponent: "relay_community_health_component_ratio",
  /** Written by the anomaly detector: the latest robust z-score of each watched series. */
  anomalyScore: "relay_anomaly_score",
  /** Written by the performance analyzer: the score (0–100) of each analysis. */
  performanceScore: "relay_performance_score",
} as const;

/** Filesystems that never fill up in a way capacity planning cares about. */
export const IGNORED_FSTYPES = "tmpfs|ramfs|devtmpfs|squashfs|overlay|nsfs|proc|sysfs|autofs";

const m = METRICS;

/**
 * Per (instance, device), the byte rate of the busier direction over `w`. Each direction is
 * labelled before the two are joined: rate() drops the metric name, so a plain
 * `rate({__name__=~"rx|tx"}[w])` gives two series with one labelset, which PromQL refuses.
 */
export function busiestDirectionRate(w = "5m"): string {
  return `max by (instance, device) (label_replace(rate(${m.netReceiveBytes}[${w}]), "direction", "receive", "", "") or label_replace(rate(${m.netTransmitBytes}[${w}]), "direction", "transmit", "", ""))`;
}

/**
 * PromQL for series the analyses reuse. `w` is a range like `5m` for the rate window.
 */
export const EXPRS = {
  requestRate: (w = "5m") => `sum by (instance) (rate(${m.httpRequests}[${w}]))`,
  errorRatio: (w = "5m") =>
    `sum by (instance) (rate(${m.httpRequests}{status=~"5.."}[${w}])) / sum by (instance) (rate(${m.httpRequests}[${w}]))`,
  p95Latency: (w = "5m") =>
    `histogram_quantile(0.95, sum by (instance, le) (rate(${m.httpDuration}_bucket[${w}])))`,
  consensusDuration: (w = "5m") =>
    `sum by (instance) (rate(${m.consensusDuration}_sum[${w}])) / sum by (instance) (rate(${m.consensusDuration}_count[${w}]))`,
  /** The median consensus round of the last `w`: unlike the mean, one slow round does not move it. */
  consensusMedian: (w = "5m") =>
    `histogram_quantile(0.5, sum by (instance, le) (rate(${m.consensusDuration}_bucket[${w}])))`,
  messageVolume: (w = "5m") => `sum by (channel) (rate(${m.channelMessages}[${w}]))`,
  healthScore: () => `${m.communityHealth}`,
  engagement: () => `${m.communityHealthComponent}{component="engagement"}`,
  cpuUtilisation: (w = "5m") => `100 * (1 - avg by (instance) (rate(${m.cpuSeconds}{mode="idle"}[${w}])))`,
  memoryUtilisation: () => `100 * (1 - ${m.memAvailable} / ${m.memTotal})`,
  storageUtilisation: () =>
    `100 * max by (instance) (1 - ${m.fsAvail}{fstype!~"${IGNORED_FSTYPES}"} / ${m.fsSize}{fstype!~"${IGNORED_FSTYPES}"})`,
  networkUtilisation: (w = "5m") =>
    `100 * max by (instance) (${busiestDirectionRate(w)} / on (instance, device) (${m.netSpeedBytes} > 0))`,
  propagationP95: (w = "5m") =>
    `histogram_quantile(0.95, sum by (instance, le) (rate(${m.p2pMessageLatency}_bucket[${w}])))`,
  /** Nodes taking part in consensus rounds, as the best-connected node sees it. */
  consensusParticipants: () => `max(${m.consensusParticipants})`,
  moderationRate: (w = "5m") => `sum(rate(${m.moderationActions}[${w}]))`,
  /** postgres_exporter's longest running active transaction, per database server. */
  dbMaxTxDuration: () => `max by (instance) (${m.pgMaxTxDuration}{state="active"})`,
} as const;
