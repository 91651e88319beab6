import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { CATALOGUE, createRelayMetrics } from "../sdk/index.js";
import type { RelayEvent } from "./events.js";
import { DB_FAMILIES, HOST_FAMILIES } from "./families.js";
import type { EventSink, SimLogger, TargetInstances } from "./history.js";
import { makePromMetrics, type PromMetric, RegistryMirror, type SeriesStore } from "./series.js";
import type { Simulation } from "./simulation.js";

/** Options of {@link LiveNetwork}. */
export interface LiveOptions {
  /** Interface the node servers bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Port of the first node (the others follow, the database exporter after them); 0 for free ports. Default 0. */
  readonly basePort?: number;
  /** How often the network advances and the registries are updated. Default 1000 ms. */
  readonly tickMs?: number;
  /** Where live community events go. */
  readonly events?: EventSink;
  /** How often buffered events are flushed. Default 5000 ms. */
  readonly flushMs?: number;
  /** The clock. Default Date.now. */
  readonly clock?: () => number;
  readonly logger?: SimLogger;
}

interface Endpoint {
  readonly registry: Registry;
  readonly mirror: RegistryMirror;
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  port: number;
  server?: Server;
}

/**
 * The live half of the demo: one real HTTP server per node on loopback, each serving its own SDK
 * registry (made by `createRelayMetrics`, plus the node's host series), and one serving the
 * simulated database's postgres_exporter-style series. Every tick advances the simulation to the
 * clock and copies its state into the registries, so counters continue exactly where the history
 * ended. A node inside a node_down fault has its server closed (its port refuses connections) and
 * reopened on the same port when the fault ends.
 */
export class LiveNetwork {
  private readonly host: string;
  private readonly nodes: Endpoint[] = [];
  private db?: Endpoint;
  private timer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private pending: RelayEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly clock: () => number;
  private ticking = false;

  constructor(
    readonly sim: Simulation,
    private readonly opts: LiveOptions = {},
  ) {
    this.host = opts.host ?? "127.0.0.1";
    this.clock = opts.clock ?? Date.now;
  }

  /** Creates the registries and starts every server (ports are known afterwards). */
  async listen(): Promise<TargetInstances> {
    const base = this.opts.basePort ?? 0;
    for (let i = 0; i < this.sim.network.nodes.length; i++) {
      const node = this.sim.network.nodes[i]!;
      const registry = new Registry();
      const relay = createRelayMetrics({
        registry,
        defaultLabels: { node: node.name },
        collectDefault: false,
      });
      const extra = makePromMetrics(registry, Object.values(HOST_FAMILIES));
      const byName = new Map<string, PromMetric>(extra);
      for (const [key, spec] of Object.entries(CATALOGUE)) {
        byName.set(spec.name, relay[key as keyof typeof CATALOGUE] as PromMetric);
      }
      const ep = this.endpoint(
        registry,
        node.store,
        byName,
        relay.metricsHandler(),
        base === 0 ? 0 : base + i,
      );
      this.nodes.push(ep);
      await this.serve(ep);
    }
    const dbRegistry = new Registry();
    const dbMetrics = makePromMetrics(dbRegistry, Object.values(DB_FAMILIES));
    this.db = this.endpoint(
      dbRegistry,
      this.sim.network.db,
      dbMetrics,
      registryHandler(dbRegistry),
      base === 0 ? 0 : base + this.nodes.length,
    );
    await this.serve(this.db);
    return this.instances();
  }

  private endpoint(
    registry: Registry,
    store: SeriesStore,
    byName: Map<string, PromMetric>,
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    port: number,
  ): Endpoint {
    const mirror = new RegistryMirror(store, (name) => {
      const m = byName.get(name);
      if (!m) throw new Error(`simulator: no prom-client metric for ${name}`);
      return m;
    });
    return { registry, mirror, handler, port };
  }

  /** `host:port` of each node and of the database exporter. */
  instances(): TargetInstances {
    const hp = (port: number) => `${this.host.includes(":") ? `[${this.host}]` : this.host}:${port}`;
    return { nodes: this.nodes.map((n) => hp(n.port)), db: hp(this.db?.port ?? 0) };
  }

  /** Whether node `i`'s server is listening. */
  isServing(i: number): boolean {
    return this.nodes[i]?.server !== undefined;
  }

  /**
   * Copies the simulation's state into the registries and starts ticking: every `tickMs` the
   * simulation advances to the clock, node servers follow node_down faults, and events are
   * buffered and flushed every `flushMs`.
   */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.timer.unref();
    this.flushTimer = setInterval(() => void this.flush(), this.opts.flushMs ?? 5000);
    this.flushTimer.unref();
  }

  /** Advances to the clock now; the ticker calls it, and tests may too. */
  tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock();
      const maxStep = Math.max(1000, this.opts.tickMs ?? 1000);
      for (const e of this.sim.advance(now, maxStep)) this.pending.push(e);
      for (let i = 0; i < this.nodes.length; i++) {
        const ep = this.nodes[i]!;
        const up = this.sim.network.isUp(i, now);
        if (up) ep.mirror.push();
        if (up && !ep.server)
          void this.serve(ep).catch((err) => this.opts.logger?.warn(`simulator: ${String(err)}`));
        if (!up && ep.server) void this.close(ep);
      }
      this.db?.mirror.push();
      if (this.pending.length >= 5000) void this.flush();
    } finally {
      this.ticking = false;
    }
  }

  /** Sends the buffered events now. */
  flush(): Promise<void> {
    if (!this.opts.events || this.pending.length === 0) {
      this.pending = [];
      return this.flushing;
    }
    const batch = this.pending;
    this.pending = [];
    const sink = this.opts.events;
    this.flushing = this.flushing.then(async () => {
      for (let i = 0; i < batch.length; i += 2000) await sink(batch.slice(i, i + 2000));
    });
    return this.flushing;
  }

  private serve(ep: Endpoint): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?", 1)[0];
      if (path !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end("not found: metrics are served at /metrics\n");
        return;
      }
      ep.handler(req, res);
    });
    ep.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", (err) => {
        if (ep.server === server) ep.server = undefined;
        reject(err);
      });
      server.listen(ep.port, this.host, () => {
        ep.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private close(ep: Endpoint): Promise<void> {
    const server = ep.server;
    ep.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Stops ticking, flushes events and closes every server. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.flushTimer);
    this.timer = undefined;
    await this.flush();
    await Promise.all([...this.nodes, ...(this.db ? [this.db] : [])].map((ep) => this.close(ep)));
  }
}

function registryHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`failed to collect metrics: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
}
