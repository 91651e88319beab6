/**
 * The Relay metrics SDK (`relay-monitor/sdk`): the catalogue of Relay metrics defined once, typed
 * prom-client handles for all of them, recorders mirroring the seed's monitoring calls, and a
 * `/metrics` endpoint. Imports nothing but prom-client and node built-ins, so it can be published on
 * its own.
 * @example
 * import { createRelayMetrics } from "relay-monitor/sdk";
 * const relay = createRelayMetrics();
 * await relay.serveMetrics(9464, "0.0.0.0");
 * relay.recordRequest("/channels/:id", "GET", 200, 0.042);
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { CATALOGUE, type MetricSpec, type RelayMetricKey } from "./catalogue.js";

export {
  CATALOGUE,
  CONSENSUS_ROUND_BUCKETS,
  catalogueMarkdownTable,
  type MetricSpec,
  NETWORK_LATENCY_BUCKETS,
  PROXIMITY_BUCKETS,
  RELAY_AREAS,
  RELAY_METRICS,
  REQUEST_DURATION_BUCKETS,
  type RelayArea,
  type RelayMetricKey,
  type RelayMetricType,
  VOTE_CONSENSUS_BUCKETS,
} from "./catalogue.js";

type LabelsOf<S> = S extends { readonly labelNames: readonly (infer L)[] } ? Extract<L, string> : never;

type HandleOf<S> = S extends { readonly type: "counter" }
  ? Counter<LabelsOf<S>>
  : S extends { readonly type: "gauge" }
    ? Gauge<LabelsOf<S>>
    : Histogram<LabelsOf<S>>;

/** A typed prom-client metric for every catalogue entry, under the entry's key. */
export type RelayMetricHandles = { readonly [K in RelayMetricKey]: HandleOf<(typeof CATALOGUE)[K]> };

/** Options of {@link createRelayMetrics}. */
export interface RelayMetricsOptions {
  /** The registry to register into. Default: a new registry (not prom-client's global one). */
  readonly registry?: Registry;
  /**
   * Prepended to every catalogue name (e.g. `"staging_"` gives `staging_relay_http_requests_total`).
   * Default "". Dashboards and rules expect no prefix; prefer `defaultLabels` to tell nodes apart.
   */
  readonly prefix?: string;
  /** Labels added to every series of the registry, e.g. `{ node: "relay-eu-1" }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Also register prom-client's process and Node.js runtime metrics. Default true. */
  readonly collectDefault?: boolean;
}

/** A running `/metrics` server started by {@link RelayMetrics.serveMetrics}. */
export interface MetricsServer {
  /** The port actually bound (useful when 0 was asked for). */
  readonly port: number;
  readonly host: string;
  /** The scrape URL, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Recorders mirroring the seed's monitoring calls; each moves every series the event affects. */
export interface RelayRecorders {
  /** An HTTP request: counts it, times it and counts it as an error when status ≥ 400. */
  recordRequest(endpoint: string, method: string, status: number | string, seconds: number): void;
  /** A peer-to-peer message: counts it by result, adds its size and times it. */
  recordMessage(type: string, bytes: number, seconds: number, success: boolean): void;
  /**
   * A consensus round: counts it by result, times it and sets the participant gauge. Given validator
   * ids, also counts the round for each validator.
   */
  recordConsensusRound(participants: number | readonly string[], seconds: number, result: string): void;
  /** A transaction: counts it and adds its value and fee, by type. */
  recordTransaction(type: string, value: number, fee: number): void;
  /** A message posted in a channel. */
  recordChannelMessage(channel: string): void;
  /** A vote, `up` or `down`. */
  recordVote(direction: string): void;
  /** A topic-row competition that reached consensus after `seconds`. */
  recordVoteConsensus(seconds: number): void;
  /** A moderation action (warn, hide, remove, mute, ban). */
  recordModerationAction(action: string): void;
  /** An appeal filed; `overturned` when it reversed the action. */
  recordAppeal(overturned?: boolean): void;
  /** A proximity verification and, when known, how long it took. */
  recordProximityVerification(success: boolean, seconds?: number): void;
  /** A peer connection opened or closed. */
  recordPeerChurn(event: "connected" | "disconnected"): void;
  /** A ping round trip to a peer. */
  recordPeerLatency(seconds: number): void;
  /** Bytes exchanged with peers. */
  recordBandwidth(direction: "sent" | "received", bytes: number): void;
}

/** The Relay metrics of one node: typed handles, recorders and the `/metrics` endpoint. */
export interface RelayMetrics extends RelayMetricHandles, RelayRecorders {
  /** The registry holding every metric. */
  readonly registry: Registry;
  /** The exposition text of the registry (text format 0.0.4). */
  metrics(): Promise<string>;
  /** A node:http request handler that answers with the exposition, for mounting in an existing server. */
  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Starts a node:http server answering `GET /metrics` on `port` (0: any free port) and `host`
   * (default 127.0.0.1; pass "0.0.0.0" to be scraped from other machines).
   */
  serveMetrics(port: number, host?: string): Promise<MetricsServer>;
}

function makeMetric(spec: MetricSpec, prefix: string, registry: Registry): Counter | Gauge | Histogram {
  const config = {
    name: prefix + spec.name,
    help: spec.help,
    labelNames: [...spec.labelNames],
    registers: [registry],
  };
  switch (spec.type) {
    case "counter":
      return new Counter(config);
    case "gauge":
      return new Gauge(config);
    case "histogram":
      return new Histogram({ ...config, buckets: [...(spec.buckets ?? [])] });
  }
}

function check(recorder: string, arg: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${recorder}: ${arg} must be a finite non-negative number, got ${String(v)}`);
  }
}

/**
 * Creates every catalogue metric in a registry and returns typed handles plus recorders. A Relay
 * node adds one call — `createRelayMetrics().serveMetrics(port)` — and serves `/metrics`.
 */
export function createRelayMetrics(options: RelayMetricsOptions = {}): RelayMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? "";
  if (options.defaultLabels) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });
  const handles: Record<string, Counter | Gauge | Histogram> = {};
  for (const [key, spec] of Object.entries(CATALOGUE)) handles[key] = makeMetric(spec, prefix, registry);
  const h = handles as unknown as RelayMetricHandles;

  const recorders: RelayRecorders = {
    recordRequest(endpoint, method, status, seconds) {
      check("recordRequest", "seconds", seconds);
      const labels = { endpoint, method, status: String(status) };
      h.httpRequests.inc(labels);
      h.httpRequestDuration.observe(labels, seconds);
      if (Number(status) >= 400) h.httpErrors.inc(labels);
    },
    recordMessage(type, bytes, seconds, success) {
      check("recordMessage", "bytes", bytes);
      check("recordMessage", "seconds", seconds);
      h.p2pMessages.inc({ type, result: success ? "success" : "error" });
      h.p2pMessageBytes.inc({ type }, bytes);
      h.p2pMessageLatency.observe({ type }, seconds);
    },
    recordConsensusRound(participants, seconds, result) {
      check("recordConsensusRound", "seconds", seconds);
      const count = typeof participants === "number" ? participants : participants.length;
      check("recordConsensusRound", "participants", count);
      h.consensusRounds.inc({ result });
      h.consensusRoundDuration.observe(seconds);
      h.consensusParticipants.set(count);
      if (typeof participants !== "number") {
        for (const validator of participants) h.validatorRounds.inc({ validator, result });
      }
    },
    recordTransaction(type, value, fee) {
      check("recordTransaction", "value", value);
      check("recordTransaction", "fee", fee);
      h.economyTransactions.inc({ type });
      h.economyTransactionValue.inc({ type }, value);
      h.economyFees.inc({ type }, fee);
    },
    recordChannelMessage(channel) {
      h.channelMessages.inc({ channel });
    },
    recordVote(direction) {
      h.votes.inc({ direction });
    },
    recordVoteConsensus(seconds) {
      check("recordVoteConsensus", "seconds", seconds);
      h.voteConsensusDuration.observe(seconds);
    },
    recordModerationAction(action) {
      h.moderationActions.inc({ action });
    },
    recordAppeal(overturned = false) {
      h.moderationAppeals.inc();
      if (overturned) h.moderationAppealsOverturned.inc();
    },
    recordProximityVerification(success, seconds) {
      if (seconds !== undefined) check("recordProximityVerification", "seconds", seconds);
      h.proximityVerifications.inc({ result: success ? "success" : "failure" });
      if (seconds !== undefined) h.proximityVerificationDuration.observe(seconds);
    },
    recordPeerChurn(event) {
      h.p2pPeerChurn.inc({ event });
    },
    recordPeerLatency(seconds) {
      check("recordPeerLatency", "seconds", seconds);
      h.p2pPeerLatency.observe(seconds);
    },
    recordBandwidth(direction, bytes) {
      check("recordBandwidth", "bytes", bytes);
      h.p2pBandwidth.inc({ direction }, bytes);
    },
  };

  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { "Content-Type": registry.contentType });
        res.end(_req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end(`failed to collect metrics: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };

  return {
    ...h,
    ...recorders,
    registry,
    metrics: () => registry.metrics(),
    metricsHandler: () => handler,
    serveMetrics: (port, host = "127.0.0.1") => serve(handler, port, host),
  };
}

function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
): Promise<MetricsServer> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(
      new RangeError(`serveMetrics: port must be an integer from 0 to 65535, got ${port}`),
    );
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("not found: metrics are served at /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      res.end(`method ${req.method} not allowed on /metrics\n`);
      return;
    }
    handler(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const bound = (server.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        port: bound,
        host,
        url: `http://${urlHost}:${bound}/metrics`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
