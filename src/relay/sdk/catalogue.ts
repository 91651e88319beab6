/** The kinds of metric the Relay catalogue uses. */
export type RelayMetricType = "counter" | "gauge" | "histogram";

/** The areas of a Relay node the catalogue covers, in the order the documentation lists them. */
export const RELAY_AREAS = [
  "application",
  "channels",
  "voting",
  "moderation",
  "proximity",
  "p2p",
  "consensus",
  "economy",
] as const;

/** One area of {@link RELAY_AREAS}. */
export type RelayArea = (typeof RELAY_AREAS)[number];

/** The definition of one Relay metric: the contract dashboards, rules and the simulator rely on. */
export interface MetricSpec {
  /** The area of the node the metric describes. */
  readonly area: RelayArea;
  /** The full metric name as exposed (counters include `_total`; histograms are the base name). */
  readonly name: string;
  readonly type: RelayMetricType;
  /** One sentence for the HELP line. */
  readonly help: string;
  /** The base unit the name ends with (`seconds`, `bytes`, `ratio`), or "" for plain counts. */
  readonly unit: "" | "seconds" | "bytes" | "ratio";
  /** Label names, all of bounded cardinality (never user ids). */
  readonly labelNames: readonly string[];
  /** The values each label is expected to take, for documentation and the simulator. */
  readonly labelValues?: Readonly<Record<string, string>>;
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

/** The seed's request-latency buckets, 10 ms … 10 s, in seconds. */
export const REQUEST_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Buckets for peer round trips and message delivery, 1 ms … 5 s. */
export const NETWORK_LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
/** Buckets for consensus rounds, 100 ms … 60 s (the seed warns above an average of 10 s). */
export const CONSENSUS_ROUND_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60] as const;
/** Buckets for proximity verification, 50 ms … 10 s. */
export const PROXIMITY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Buckets for time to consensus in votes, 1 s … 7 days. */
export const VOTE_CONSENSUS_BUCKETS = [
  1, 10, 60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 259200, 604800,
] as const;

/**
 * Every Relay metric, defined once, keyed by the name of its handle in `createRelayMetrics()`.
 * Channel and validator labels are bounded by the channels a node hosts and the validator set; no
 * metric carries a user id.
 */
export const CATALOGUE = {
  httpRequests: {
    area: "application",
    name: "relay_http_requests_total",
    type: "counter",
    help: "HTTP requests served by the Relay node, by route template, method and status code.",
    unit: "",
    labelNames: ["endpoint", "method", "status"],
    labelValues: { endpoint: "route template, e.g. /channels/:id", status: "numeric code, e.g. 200" },
  },
  httpErrors: {
    area: "application",
    name: "relay_http_errors_total",
    type: "counter",
    help: "HTTP requests that ended with a status code of 400 or above.",
    unit: "",
    labelNames: ["endpoint", "method", "status"],
  },
  httpRequestDuration: {
    area: "application",
    name: "relay_http_request_duration_seconds",
    type: "histogram",
    help: "Time to serve an HTTP request, from arrival to the last byte of the response.",
    unit: "seconds",
    labelNames: ["endpoint", "method", "status"],
    buckets: REQUEST_DURATION_BUCKETS,
  },
  channelsActive: {
    area: "channels",
    name: "relay_channels_active",
    type: "gauge",
    help: "Channels on this node with at least one message or vote in the last 24 hours.",
    unit: "",
    labelNames: [],
  },
  channelsCreated: {
    area: "channels",
    name: "relay_channels_created_total",
    type: "counter",
    help: "Channels created on this node.",
    unit: "",
    labelNames: [],
  },
  channelMessages: {
    area: "channels",
    name: "relay_channel_messages_total",
    type: "counter",
    help: "Messages posted, by channel.",
    unit: "",
    labelNames: ["channel"],
    labelValues: { channel: "channel id; bounded by the channels the node hosts" },
  },
  channelMembers: {
    area: "channels",
    name: "relay_channel_members",
    type: "gauge",
    help: "Current members of a channel.",
    unit: "",
    labelNames: ["channel"],
  },
  votes: {
    area: "voting",
    name: "relay_votes_total",
    type: "counter",
    help: "Votes cast, by direction.",
    unit: "",
    labelNames: ["direction"],
    labelValues: { direction: "up, down" },
  },
  topicRowCompetitionsActive: {
    area: "voting",
    name: "relay_topic_row_competitions_active",
    type: "gauge",
    help: "Topic-row competitions currently open for voting.",
    unit: "",
    labelNames: [],
  },
  voteConsensusDuration: {
    area: "voting",
    name: "relay_vote_consensus_duration_seconds",
    type: "histogram",
    help: "Time from the opening of a topic-row competition to its consensus.",
    unit: "seconds",
    labelNames: [],
    buckets: VOTE_CONSENSUS_BUCKETS,
  },
  votingParticipation: {
    area: "voting",
    name: "relay_voting_participation_ratio",
    type: "gauge",
    help: "Share of a channel's eligible voters who voted in its open competitions, from 0 to 1.",
    unit: "ratio",
    labelNames: ["channel"],
  },
  moderationActions: {
    area: "moderation",
    name: "relay_moderation_actions_total",
    type: "counter",
    help: "Moderation actions taken, by action.",
    unit: "",
    labelNames: ["action"],
    labelValues: { action: "warn, hide, remove, mute, ban" },
  },
  moderationAppeals: {
    area: "moderation",
    name: "relay_moderation_appeals_total",
    type: "counter",
    help: "Appeals filed against moderation actions.",
    unit: "",
    labelNames: [],
  },
  moderationAppealsOverturned: {
    area: "moderation",
    name: "relay_moderation_appeals_overturned_total",
    type: "counter",
    help: "Appeals that overturned the moderation action.",
    unit: "",
    labelNames: [],
  },
  toxicityReports: {
    area: "moderation",
    name: "relay_toxicity_reports_total",
    type: "counter",
    help: "Content reported as toxic, by users or automated filters.",
    unit: "",
    labelNames: [],
  },
  proximityVerifications: {
    area: "proximity",
    name: "relay_proximity_verifications_total",
    type: "counter",
    help: "Proximity verifications attempted, by result.",
    unit: "",
    labelNames: ["result"],
    labelValues: { result: "success, failure" },
  },
  proximityVerificationDuration: {
    area: "proximity",
    name: "relay_proximity_verification_duration_seconds",
    type: "histogram",
    help: "Time to complete a proximity verification.",
    unit: "seconds",
    labelNames: [],
    buckets: PROXIMITY_BUCKETS,
  },
  p2pPeers: {
    area: "p2p",
    name: "relay_p2p_peers",
    type: "gauge",
    help: "Connected peers, by connection direction and state.",
    unit: "",
    labelNames: ["direction", "state"],
    labelValues: { direction: "inbound, outbound", state: "active, idle" },
  },
  p2pPeerConnected: {
    area: "p2p",
    name: "relay_p2p_peer_connected",
    type: "gauge",
    help: "Whether the node is connected to this peer (1) or not (0); one series per known peer.",
    unit: "",
    labelNames: ["peer"],
    labelValues: { peer: "the peer's node name, e.g. relay-node-2" },
  },
  p2pPeerLatency: {
    area: "p2p",
    name: "relay_p2p_peer_latency_seconds",
    type: "histogram",
    help: "Round-trip time of pings to peers.",
    unit: "seconds",
    labelNames: [],
    buckets: NETWORK_LATENCY_BUCKETS,
  },
  p2pPeerChurn: {
    area: "p2p",
    name: "relay_p2p_peer_churn_total",
    type: "counter",
    help: "Peer connections opened and closed.",
    unit: "",
    labelNames: ["event"],
    labelValues: { event: "connected, disconnected" },
  },
  p2pBandwidth: {
    area: "p2p",
    name: "relay_p2p_bandwidth_bytes_total",
    type: "counter",
    help: "Bytes exchanged with peers, by direction.",
    unit: "bytes",
    labelNames: ["direction"],
    labelValues: { direction: "sent, received" },
  },
  p2pGossipMessages: {
    area: "p2p",
    name: "relay_p2p_gossip_messages_total",
    type: "counter",
    help: "Gossip messages handled, by outcome.",
    unit: "",
    labelNames: ["outcome"],
    labelValues: { outcome: "received, forwarded, duplicate, dropped" },
  },
  p2pMessages: {
    area: "p2p",
    name: "relay_p2p_messages_total",
    type: "counter",
    help: "Peer-to-peer messages sent, by message type and result.",
    unit: "",
    labelNames: ["type", "result"],
    labelValues: {
      type: "protocol message type, e.g. block, vote, channel_message",
      result: "success, error",
    },
  },
  p2pMessageBytes: {
    area: "p2p",
    name: "relay_p2p_message_bytes_total",
    type: "counter",
    help: "Size of peer-to-peer messages sent, by message type.",
    unit: "bytes",
    labelNames: ["type"],
  },
  p2pMessageLatency: {
    area: "p2p",
    name: "relay_p2p_message_latency_seconds",
    type: "histogram",
    help: "Time from sending a peer-to-peer message to its acknowledgement, by message type.",
    unit: "seconds",
    labelNames: ["type"],
    buckets: NETWORK_LATENCY_BUCKETS,
  },
  consensusRounds: {
    area: "consensus",
    name: "relay_consensus_rounds_total",
    type: "counter",
    help: "Consensus rounds completed, by result.",
    unit: "",
    labelNames: ["result"],
    labelValues: { result: "success, failure, timeout" },
  },
  consensusRoundDuration: {
    area: "consensus",
    name: "relay_consensus_round_duration_seconds",
    type: "histogram",
    help: "Duration of consensus rounds.",
    unit: "seconds",
    labelNames: [],
    buckets: CONSENSUS_ROUND_BUCKETS,
  },
  consensusParticipants: {
    area: "consensus",
    name: "relay_consensus_participants",
    type: "gauge",
    help: "Validators that took part in the most recent consensus round.",
    unit: "",
    labelNames: [],
  },
  validatorUptime: {
    area: "consensus",
    name: "relay_validator_uptime_ratio",
    type: "gauge",
    help: "Share of recent rounds in which a validator was reachable, from 0 to 1.",
    unit: "ratio",
    labelNames: ["validator"],
    labelValues: { validator: "validator id; bounded by the validator set" },
  },
  validatorRounds: {
    area: "consensus",
    name: "relay_validator_rounds_total",
    type: "counter",
    help: "Consensus rounds a validator took part in, by round result.",
    unit: "",
    labelNames: ["validator", "result"],
  },
  consensusForks: {
    area: "consensus",
    name: "relay_consensus_forks_total",
    type: "counter",
    help: "Forks detected in the chain.",
    unit: "",
    labelNames: [],
  },
  economyTransactions: {
    area: "economy",
    name: "relay_economy_transactions_total",
    type: "counter",
    help: "Transactions processed, by transaction type.",
    unit: "",
    labelNames: ["type"],
    labelValues: { type: "e.g. transfer, stake, reward, fee" },
  },
  economyTransactionValue: {
    area: "economy",
    name: "relay_economy_transaction_value_total",
    type: "counter",
    help: "Value moved by transactions, in tokens, by transaction type.",
    unit: "",
    labelNames: ["type"],
  },
  economyFees: {
    area: "economy",
    name: "relay_economy_fees_total",
    type: "counter",
    help: "Fees paid on transactions, in tokens, by transaction type.",
    unit: "",
    labelNames: ["type"],
  },
} as const satisfies Record<string, MetricSpec>;

/** The handle names of the catalogue, e.g. `"httpRequests"`. */
export type RelayMetricKey = keyof typeof CATALOGUE;

/** Every catalogue entry in definition order (grouped by area). */
export const RELAY_METRICS: readonly MetricSpec[] = Object.values(CATALOGUE);

function escapeCell(s: string): string {
  return s.replaceAll("|", "\\|");
}

function alignedTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((x, c) => x.padEnd(widths[c]!)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/**
 * The catalogue as Markdown: one table per area with name, type, unit, labels (with their expected
 * values) and help; histogram buckets follow the help text. Columns are padded the way the
 * repository's formatter pads them, so formatting the file leaves it unchanged. The README includes
 * it between `<!-- sdk-catalogue:start -->` and `<!-- sdk-catalogue:end -->`.
 */
export function catalogueMarkdownTable(): string {
  const out: string[] = [];
  for (const area of RELAY_AREAS) {
    const specs = RELAY_METRICS.filter((s) => s.area === area);
    if (specs.length === 0) continue;
    const rows = specs.map((s) => {
      const labels = s.labelNames
        .map((l) => {
          const values = s.labelValues?.[l];
          return values ? `\`${l}\` (${escapeCell(values)})` : `\`${l}\``;
        })
        .join(", ");
      const help = s.buckets ? `${s.help} Buckets: ${s.buckets.join(", ")}.` : s.help;
      return [`\`${s.name}\``, s.type, s.unit || "—", labels || "—", escapeCell(help)];
    });
    out.push(`#### ${area}`, "", ...alignedTable(["Metric", "Type", "Unit", "Labels", "Help"], rows), "");
  }
  return out.join("\n");
}
