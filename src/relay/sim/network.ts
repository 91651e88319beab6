import type { RelayEvent, SimEvent } from "./events.js";
import { DB_FAMILIES, HOST_FAMILIES, sdkFamily } from "./families.js";
import type { FaultInjector } from "./faults.js";
import { Rng } from "./rng.js";
import { SeriesStore, type SimCounter, type SimHistogram } from "./series.js";
import { activityCurve, DAY_MS, World } from "./world.js";

const F = {
  httpRequests: sdkFamily("httpRequests"),
  httpErrors: sdkFamily("httpErrors"),
  httpDuration: sdkFamily("httpRequestDuration"),
  channelsActive: sdkFamily("channelsActive"),
  channelsCreated: sdkFamily("channelsCreated"),
  channelMessages: sdkFamily("channelMessages"),
  channelMembers: sdkFamily("channelMembers"),
  votes: sdkFamily("votes"),
  competitions: sdkFamily("topicRowCompetitionsActive"),
  voteConsensus: sdkFamily("voteConsensusDuration"),
  participation: sdkFamily("votingParticipation"),
  moderation: sdkFamily("moderationActions"),
  appeals: sdkFamily("moderationAppeals"),
  overturned: sdkFamily("moderationAppealsOverturned"),
  toxicity: sdkFamily("toxicityReports"),
  proximity: sdkFamily("proximityVerifications"),
  proximityDuration: sdkFamily("proximityVerificationDuration"),
  peers: sdkFamily("p2pPeers"),
  peerConnected: sdkFamily("p2pPeerConnected"),
  peerLatency: sdkFamily("p2pPeerLatency"),
  churn: sdkFamily("p2pPeerChurn"),
  bandwidth: sdkFamily("p2pBandwidth"),
  gossip: sdkFamily("p2pGossipMessages"),
  p2pMessages: sdkFamily("p2pMessages"),
  p2pBytes: sdkFamily("p2pMessageBytes"),
  p2pLatency: sdkFamily("p2pMessageLatency"),
  rounds: sdkFamily("consensusRounds"),
  roundDuration: sdkFamily("consensusRoundDuration"),
  participants: sdkFamily("consensusParticipants"),
  uptime: sdkFamily("validatorUptime"),
  validatorRounds: sdkFamily("validatorRounds"),
  forks: sdkFamily("consensusForks"),
  txs: sdkFamily("economyTransactions"),
  txValue: sdkFamily("economyTransactionValue"),
  fees: sdkFamily("economyFees"),
};

interface Endpoint {
  readonly endpoint: string;
  readonly method: string;
  readonly median: number;
  readonly db: boolean;
}

const ENDPOINTS = {
  read: { endpoint: "/channels/:id/messages", method: "GET", median: 0.025, db: true },
  list: { endpoint: "/channels", method: "GET", median: 0.015, db: true },
  post: { endpoint: "/channels/:id/messages", method: "POST", median: 0.045, db: true },
  file: { endpoint: "/files", method: "POST", median: 0.35, db: false },
  vote: { endpoint: "/votes", method: "POST", median: 0.035, db: true },
  proximity: { endpoint: "/proximity/verify", method: "POST", median: 0.12, db: false },
  tx: { endpoint: "/transactions", method: "POST", median: 0.08, db: true },
} as const satisfies Record<string, Endpoint>;

type EndpointKey = keyof typeof ENDPOINTS;
const ENDPOINT_KEYS = Object.keys(ENDPOINTS) as EndpointKey[];

const RESULTS = ["success", "failure", "timeout"] as const;
const CPU_MODES = ["user", "system", "iowait", "irq", "softirq", "nice", "steal", "idle"] as const;
const P2P_TYPES = ["channel_message", "block", "vote"] as const;

interface EndpointHandles {
  readonly ok: SimCounter;
  readonly okDuration: SimHistogram;
  err?: { count: SimCounter; errors: SimCounter; duration: SimHistogram };
}

/** Handles of a node's series, made once so the hot loop does no label lookups. */
function nodeHandles(s: SeriesStore, validators: readonly string[], self: string) {
  const memo = <H>(make: (k: string) => H) => {
    const m = new Map<string, H>();
    return (k: string): H => {
      let h = m.get(k);
      if (h === undefined) {
        h = make(k);
        m.set(k, h);
      }
      return h;
    };
  };
  const endpoints = {} as Record<EndpointKey, EndpointHandles>;
  for (const [k, e] of Object.entries(ENDPOINTS) as [EndpointKey, Endpoint][]) {
    const labels = { endpoint: e.endpoint, method: e.method, status: "200" };
    endpoints[k] = { ok: s.counter(F.httpRequests, labels), okDuration: s.histogram(F.httpDuration, labels) };
  }
  const fs = { device: "/dev/vda1", fstype: "ext4", mountpoint: "/" };
  const disk = { device: "vda" };
  return {
    endpoints,
    memTotal: s.gauge(HOST_FAMILIES.memTotal),
    proximityOk: s.counter(F.proximity, { result: "success" }),
    proximityFailed: s.counter(F.proximity, { result: "failure" }),
    proximityDuration: s.histogram(F.proximityDuration),
    votes: { up: s.counter(F.votes, { direction: "up" }), down: s.counter(F.votes, { direction: "down" }) },
    moderation: memo((action) => s.counter(F.moderation, { action })),
    appeals: s.counter(F.appeals),
    overturned: s.counter(F.overturned),
    toxicity: s.counter(F.toxicity),
    forks: s.counter(F.forks),
    channelsCreated: s.counter(F.channelsCreated),
    channelsActive: s.gauge(F.channelsActive),
    competitions: s.gauge(F.competitions),
    voteConsensus: s.histogram(F.voteConsensus),
    channelMessages: memo((channel) => s.counter(F.channelMessages, { channel })),
    channelMembers: memo((channel) => s.gauge(F.channelMembers, { channel })),
    participation: memo((channel) => s.gauge(F.participation, { channel })),
    tx: memo((type) => ({
      count: s.counter(F.txs, { type }),
      value: s.counter(F.txValue, { type }),
      fees: s.counter(F.fees, { type }),
    })),
    rounds: RESULTS.map((result) => s.counter(F.rounds, { result })),
    roundDuration: s.histogram(F.roundDuration),
    participants: s.gauge(F.participants),
    validatorRounds: RESULTS.map((result) =>
      memo((validator) => s.counter(F.validatorRounds, { validator, result })),
    ),
    uptime: validators.map((validator) => s.gauge(F.uptime, { validator })),
    peers: [
      s.gauge(F.peers, { direction: "inbound", state: "active" }),
      s.gauge(F.peers, { direction: "outbound", state: "active" }),
      s.gauge(F.peers, { direction: "inbound", state: "idle" }),
      s.gauge(F.peers, { direction: "outbound", state: "idle" }),
    ],
    peerConnected: validators.map((peer) => (peer === self ? undefined : s.gauge(F.peerConnected, { peer }))),
    connected: s.counter(F.churn, { event: "connected" }),
    disconnected: s.counter(F.churn, { event: "disconnected" }),
    peerLatency: s.histogram(F.peerLatency),
    p2p: P2P_TYPES.map((type) => ({
      ok: s.counter(F.p2pMessages, { type, result: "success" }),
      err: s.counter(F.p2pMessages, { type, result: "error" }),
      bytes: s.counter(F.p2pBytes, { type }),
      latency: s.histogram(F.p2pLatency, { type }),
    })),
    gossip: ["received", "forwarded", "duplicate", "dropped"].map((outcome) =>
      s.counter(F.gossip, { outcome }),
    ),
    sent: s.counter(F.bandwidth, { direction: "sent" }),
    received: s.counter(F.bandwidth, { direction: "received" }),
    cpu: ["0", "1"].map((cpu) => CPU_MODES.map((mode) => s.counter(HOST_FAMILIES.cpu, { cpu, mode }))),
    memAvailable: s.gauge(HOST_FAMILIES.memAvailable),
    fsSize: s.gauge(HOST_FAMILIES.fsSize, fs),
    fsAvail: s.gauge(HOST_FAMILIES.fsAvail, fs),
    netRx: s.counter(HOST_FAMILIES.netRx, { device: "eth0" }),
    netTx: s.counter(HOST_FAMILIES.netTx, { device: "eth0" }),
    disk: {
      readBytes: s.counter(HOST_FAMILIES.diskReadBytes, disk),
      writtenBytes: s.counter(HOST_FAMILIES.diskWrittenBytes, disk),
      reads: s.counter(HOST_FAMILIES.diskReads, disk),
      writes: s.counter(HOST_FAMILIES.diskWrites, disk),
      ioTime: s.counter(HOST_FAMILIES.diskIoTime, disk),
    },
    bootTime: s.gauge(HOST_FAMILIES.bootTime),
    time: s.gauge(HOST_FAMILIES.time),
    load1: s.gauge(HOST_FAMILIES.load1),
    load5: s.gauge(HOST_FAMILIES.load5),
    load15: s.gauge(HOST_FAMILIES.load15),
  };
}

/** The state of one simulated node beyond its series. */
interface NodeState {
  readonly name: string;
  readonly store: SeriesStore;
  readonly h: ReturnType<typeof nodeHandles>;
  readonly rng: Rng;
  /** The disk's own generator, so its draws leave every other series as it was before disks. */
  readonly diskRng: Rng;
  peersIn: number;
  peersOut: number;
  load5: number;
  load15: number;
  openProposals: number;
  channelsCreated: number;
  /** When the node last booted (ms): before the history, or when a node_down ended. */
  bootedAt: number;
  /** Whether the node was down at the last step (it reboots on its next step up). */
  wasDown: boolean;
}

/** Options of {@link Network}. */
export interface NetworkOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly channels: number;
  /** Users at the start (default 100 per channel). */
  readonly users?: number;
  /** Time the simulation starts (ms): the beginning of the history. */
  readonly start: number;
  readonly faults: FaultInjector;
}

/** Node names of a network of `n` nodes: `relay-node-1` … */
export function nodeNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `relay-node-${i + 1}`);
}

/**
 * The simulated Relay network: the community {@link World}, and for every node and the database a
 * {@link SeriesStore} moved by `step`. Everything is drawn from generators seeded by the seed (and
 * day or node), so the same seed, start and step times give the same series and events.
 */
export class Network {
  readonly world: World;
  readonly nodes: NodeState[];
  /** The simulated PostgreSQL database's series. */
  readonly db: SeriesStore;
  private readonly dbRng: Rng;
  private readonly netRng: Rng;
  private readonly faults: FaultInjector;
  private readonly start: number;
  private nextRound: number;
  private round = 0;
  private readonly uptime: Float64Array;
  private readonly dbh: ReturnType<typeof dbHandles>;
  /** links[i * N + j] = 1 when nodes i and j keep a P2P connection (a ring plus seeded chords). */
  private readonly links: Uint8Array;

  constructor(opts: NetworkOptions) {
    this.start = opts.start;
    this.faults = opts.faults;
    this.world = new World({
      seed: opts.seed,
      nodes: opts.nodes,
      channels: opts.channels,
      users: opts.users,
      start: opts.start,
    });
    const names = nodeNames(opts.nodes);
    this.nodes = names.map((name, i) => {
      const store = new SeriesStore();
      return {
        name,
        store,
        h: nodeHandles(store, names, name),
        rng: new Rng(opts.seed, 0x40de, i),
        diskRng: new Rng(opts.seed, 0xd15c, i),
        peersIn: 10 + i,
        peersOut: 8,
        load5: 0.3,
        load15: 0.3,
        openProposals: 0,
        channelsCreated: 0,
        bootedAt: opts.start - Math.round((3 + 4 * i) * 1.37 * DAY_MS),
        wasDown: false,
      };
    });
    this.db = new SeriesStore();
    this.dbRng = new Rng(opts.seed, 0xdb);
    this.netRng = new Rng(opts.seed, 0x2e7);
    this.nextRound = opts.start;
    this.uptime = new Float64Array(opts.nodes).fill(1);
    for (const n of this.nodes) n.h.memTotal.set(8 * 2 ** 30);
    this.dbh = dbHandles(this.db);
    const N = opts.nodes;
    this.links = new Uint8Array(N * N);
    const linkRng = new Rng(opts.seed, 0x11c);
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const ring = j - i === 1 || (i === 0 && j === N - 1);
        if (ring || linkRng.chance(0.4)) this.links[i * N + j] = this.links[j * N + i] = 1;
      }
    }
  }

  /** Whether node `i` is up at `t` (not inside a node_down fault). */
  isUp(i: number, t: number): boolean {
    return this.faults.active("node_down", t, this.nodes[i]!.name) === undefined;
  }

  /**
   * Advances the network over [t0, t1): consensus rounds, the planned community events in the
   * window (plus any toxic burst), and every node's and the database's series. Returns the community
   * events of the window, in time order, for sending to the monitor.
   */
  step(t0: number, t1: number): RelayEvent[] {
    const dt = (t1 - t0) / 1000;
    const tm = (t0 + t1) / 2;
    let events = this.world.take(t0, t1);
    for (const ch of this.world.channels) {
      const burst = this.faults.active("toxic_burst", tm, ch.slug);
      if (burst && burst.target === ch.slug) {
        events = [...events, ...this.world.burst(this.netRng, ch, t0, t1, 1)].sort(
          (a, b) => a.wire.time - b.wire.time,
        );
      }
    }
    const byNode: SimEvent[][] = this.nodes.map(() => []);
    let networkMessages = 0;
    let networkBytes = 0;
    for (const e of events) {
      byNode[e.extras.node]!.push(e);
      if (e.wire.type === "message") {
        networkMessages++;
        networkBytes += 700 + (e.extras.attachment ?? 0);
      }
    }
    const rounds = this.consensus(t0, t1);
    let dbQueries = 0;
    let dbErrors = 0;
    const dbSlow = this.faults.active("db_slowdown", tm) !== undefined;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      if (!this.isUp(i, tm)) {
        n.wasDown = true;
        continue;
      }
      if (n.wasDown) {
        n.wasDown = false;
        n.bootedAt = t0;
      }
      const q = this.stepNode(i, t0, t1, dt, byNode[i]!, networkMessages, networkBytes, rounds, dbSlow);
      dbQueries += q.queries;
      dbErrors += q.errors;
    }
    this.stepDb(dt, dbQueries, dbErrors, dbSlow);
    return events.map((e) => e.wire);
  }

  private consensus(t0: number, t1: number): { count: number; participants: number } {
    let count = 0;
    let participants = 0;
    const N = this.nodes.length;
    const up: number[] = [];
    const isUp = new Uint8Array(N);
    while (this.nextRound < t1) {
      const t = Math.max(this.nextRound, t0);
      const rng = this.netRng;
      const slowFault = this.faults.active("slow_consensus", t) !== undefined;
      const spike = this.faults.active("latency_spike", t) !== undefined;
      up.length = 0;
      for (let i = 0; i < N; i++) {
        isUp[i] = this.isUp(i, t) ? 1 : 0;
        if (isUp[i]) up.push(i);
      }
      let d: number;
      if (slowFault) d = rng.lognormal(14, 0.25);
      else if (rng.chance(0.012)) d = rng.uniform(10, 25);
      else d = Math.max(0.4, rng.lognormal(2.2, 0.35));
      if (spike) d *= 1.6;
      const quorum = up.length * 3 >= N * 2;
      const r = !quorum || rng.chance(slowFault ? 0.04 : 0.004) ? 1 : d > 30 ? 2 : 0;
      for (let i = 0; i < N; i++) this.uptime[i] = this.uptime[i]! * 0.99 + (isUp[i] ? 0.01 : 0);
      const proposer = up.length > 0 ? up[this.round % up.length]! : -1;
      for (const i of up) {
        const h = this.nodes[i]!.h;
        h.rounds[r]!.add(1);
        h.roundDuration.observe(d);
        for (const j of up) h.validatorRounds[r]!(this.nodes[j]!.name).add(1);
        if (rng.chance(spike ? 0.01 : 0.0005)) h.forks.add(1);
        if (i === proposer && r === 0) {
          const tx = h.tx("reward");
          tx.count.add(1);
          tx.value.add(2);
        }
      }
      this.round++;
      count++;
      participants += up.length;
      this.nextRound += Math.round(d * 1000) + 3000;
    }
    for (let i = 0; i < N; i++) {
      const h = this.nodes[i]!.h;
      if (count > 0) h.participants.set(participants / count);
      for (let j = 0; j < N; j++) h.uptime[j]!.set(Math.round(this.uptime[j]! * 1e4) / 1e4);
    }
    return { count, participants };
  }

  private request(
    n: NodeState,
    key: EndpointKey,
    count: number,
    load: number,
    dbSlow: boolean,
    spike: boolean,
  ): { queries: number; errors: number } {
    if (count <= 0) return { queries: 0, errors: 0 };
    const e = ENDPOINTS[key];
    const h = n.h.endpoints[key];
    const slow = dbSlow && e.db;
    const errors = Math.min(count, n.rng.poisson(count * (slow ? 0.05 : 0.002)));
    const ok = count - errors;
    const median = e.median * (1 + 0.4 * load) * (slow ? 9 : 1) * (spike ? 1.4 : 1);
    h.ok.add(ok);
    h.okDuration.observeLogNormal(n.rng, ok, median, 0.55);
    if (errors > 0) {
      if (!h.err) {
        const bad = { endpoint: e.endpoint, method: e.method, status: "500" };
        h.err = {
          count: n.store.counter(F.httpRequests, bad),
          errors: n.store.counter(F.httpErrors, bad),
          duration: n.store.histogram(F.httpDuration, bad),
        };
      }
      h.err.count.add(errors);
      h.err.errors.add(errors);
      h.err.duration.observeLogNormal(n.rng, errors, median * 2, 0.6);
    }
    return { queries: e.db ? count * 3 : 0, errors };
  }

  private stepNode(
    i: number,
    t0: number,
    t1: number,
    dt: number,
    events: readonly SimEvent[],
    networkMessages: number,
    networkBytes: number,
    rounds: { count: number; participants: number },
    dbSlow: boolean,
  ): { queries: number; errors: number } {
    const n = this.nodes[i]!;
    const h = n.h;
    const rng = n.rng;
    const tm = (t0 + t1) / 2;
    const a = activityCurve(tm);
    const days = (tm - this.start) / DAY_MS;
    const growth = 1 + 0.015 * days;
    const sessions = this.world.sessionsAt(i, tm);
    const spike = this.faults.active("latency_spike", tm, n.name) !== undefined;

    const counts: Record<EndpointKey, number> = {
      read: 0,
      list: 0,
      post: 0,
      file: 0,
      vote: 0,
      proximity: 0,
      tx: 0,
    };
    let fileBytes = 0;
    const background = 5 * a * growth + sessions / 8;
    counts.read = rng.poisson(dt * background);
    counts.list = rng.poisson(dt * background * 0.3);
    for (const e of events) {
      const w = e.wire;
      switch (w.type) {
        case "message":
          if (e.extras.attachment) {
            counts.file++;
            fileBytes += e.extras.attachment;
          } else counts.post++;
          h.channelMessages(w.channel).add(1);
          break;
        case "vote":
          counts.vote++;
          h.votes[w.direction].add(1);
          if (w.direction === "down" && rng.chance(0.05)) h.toxicity.add(1);
          break;
        case "ballot":
          counts.vote++;
          break;
        case "proposal_opened":
          n.openProposals++;
          break;
        case "proposal_closed":
          n.openProposals = Math.max(0, n.openProposals - 1);
          if (e.extras.consensusSeconds !== undefined) h.voteConsensus.observe(e.extras.consensusSeconds);
          if (e.extras.participation !== undefined) {
            h.participation(w.channel).set(Math.round(e.extras.participation * 1e4) / 1e4);
          }
          break;
        case "moderation":
          h.moderation(w.action).add(1);
          h.toxicity.add(1 + rng.poisson(1));
          break;
        case "appeal":
          if (w.outcome === "filed") h.appeals.add(1);
          else if (w.outcome === "overturned") h.overturned.add(1);
          break;
        case "transaction": {
          counts.tx++;
          const tx = h.tx(w.tx_type);
          tx.count.add(1);
          tx.value.add(w.value);
          tx.fees.add(w.fee);
          break;
        }
        case "session_start":
        case "join":
          counts.proximity++;
          break;
        default:
          break;
      }
    }
    let queries = 0;
    let errors = 0;
    let requests = 0;
    for (const key of ENDPOINT_KEYS) {
      const r = this.request(n, key, counts[key], a, dbSlow, spike);
      queries += r.queries;
      errors += r.errors;
      requests += counts[key];
    }
    const rush = a > 0.7;
    const failures = Math.min(counts.proximity, rng.poisson(counts.proximity * (rush ? 0.07 : 0.03)));
    h.proximityOk.add(counts.proximity - failures);
    h.proximityFailed.add(failures);
    h.proximityDuration.observeLogNormal(rng, counts.proximity, 0.3 * (1 + 0.6 * a), 0.5);

    let hosted = 0;
    for (const ch of this.world.channels) {
      if (ch.node !== i || ch.createdAt >= t1) continue;
      hosted++;
      h.channelMembers(ch.slug).set(ch.members.size);
      h.channelMessages(ch.slug);
      if (ch.createdAt >= t0) h.channelsCreated.add(1);
    }
    h.channelsActive.set(hosted);
    h.competitions.set(n.openProposals);

    n.peersIn = clamp(
      n.peersIn + rng.normal() * 0.3 * Math.sqrt(dt / 60) + (10 + 6 * a - n.peersIn) * 0.02,
      4,
      40,
    );
    n.peersOut = clamp(n.peersOut + rng.normal() * 0.2 * Math.sqrt(dt / 60) + (8 - n.peersOut) * 0.02, 4, 16);
    const N = this.nodes.length;
    for (let j = 0; j < N; j++) {
      h.peerConnected[j]?.set(this.links[i * N + j] === 1 && this.isUp(j, tm) ? 1 : 0);
    }
    h.peers[0]!.set(Math.round(n.peersIn));
    h.peers[1]!.set(Math.round(n.peersOut));
    h.peers[2]!.set(spike ? 4 : 1);
    h.peers[3]!.set(spike ? 2 : 0);
    // About 3 disconnections an hour per node at rest (a healthy mesh); a latency spike multiplies churn.
    const churnRate = dt * (0.0008 + (spike ? 0.08 : 0));
    h.connected.add(rng.poisson(churnRate));
    h.disconnected.add(rng.poisson(churnRate));
    const peers = n.peersIn + n.peersOut;
    h.peerLatency.observeLogNormal(rng, rng.poisson((peers * dt) / 10), spike ? 0.4 : 0.035, 0.5);

    const p2pCounts = [networkMessages, rounds.count, rounds.participants];
    const p2pSizes = [networkBytes, rounds.count * 24_000, rounds.participants * 350];
    const p2pMedians = [0.04, 0.09, 0.03];
    let p2pBytes = 0;
    let p2pCount = 0;
    for (let k = 0; k < 3; k++) {
      const c = p2pCounts[k]!;
      const p = h.p2p[k]!;
      const bad = Math.min(c, rng.poisson(c * (spike ? 0.08 : 0.002)));
      p.ok.add(c - bad);
      p.err.add(bad);
      p.bytes.add(p2pSizes[k]!);
      p.latency.observeLogNormal(rng, c, p2pMedians[k]! * (spike ? 10 : 1), 0.5);
      p2pBytes += p2pSizes[k]!;
      p2pCount += c;
    }
    const received = Math.round(p2pCount * 1.8);
    h.gossip[0]!.add(received);
    h.gossip[1]!.add(Math.round(received * 0.6));
    h.gossip[2]!.add(Math.round(received * 0.25));
    h.gossip[3]!.add(rng.poisson(received * (spike ? 0.06 : 0.001)));
    const pingBytes = Math.round(peers * dt * 12);
    h.sent.add(Math.round(p2pBytes * 1.6) + pingBytes);
    h.received.add(Math.round(p2pBytes * 1.8) + pingBytes);

    const util = clamp((0.05 + 0.035 * (requests / dt) ** 0.9) * growth + 0.015 * rng.normal(), 0.02, 0.97);
    const iowait = 0.004 + (dbSlow ? 0.06 : 0);
    const fracs = [util * 0.68, util * 0.22, iowait, util * 0.004, util * 0.03, 0.001, 0.002];
    for (const cpu of h.cpu) {
      let busy = 0;
      for (let m = 0; m < fracs.length; m++) {
        const f = fracs[m]! * (1 + 0.05 * rng.normal());
        busy += f;
        cpu[m]!.add(f * dt);
      }
      cpu[7]!.add(Math.max(0, 1 - busy) * dt);
    }
    const memTotal = 8 * 2 ** 30;
    const memFrac = clamp(
      0.72 - 0.2 * util - 0.006 * days - 0.0015 * i * days + 0.005 * rng.normal(),
      0.04,
      0.95,
    );
    h.memAvailable.set(Math.round(memTotal * memFrac));
    const fsSize = 100e9;
    const fillPerDay = i === 2 ? 0.011 : 0.004;
    const fsFrac = clamp(0.64 - fillPerDay * days * growth - 0.002 * Math.sin(2 * Math.PI * days), 0.01, 1);
    h.fsSize.set(fsSize);
    h.fsAvail.set(Math.round(fsSize * fsFrac));
    h.netRx.add(Math.round(p2pBytes * 1.8) + pingBytes + requests * 2_000);
    h.netTx.add(Math.round(p2pBytes * 1.6) + pingBytes + requests * 9_000);
    const load1 = Math.max(0, 2 * (util + iowait) * (1 + 0.15 * rng.normal()));
    n.load5 += (load1 - n.load5) * (1 - Math.exp(-dt / 300));
    n.load15 += (load1 - n.load15) * (1 - Math.exp(-dt / 900));
    h.load1.set(round3(load1));
    h.load5.set(round3(n.load5));
    h.load15.set(round3(n.load15));
    this.stepDisk(n, dt, requests, fileBytes, rounds.count, dbSlow);
    h.bootTime.set(Math.round(n.bootedAt / 1000));
    h.time.set(t1 / 1000);
    return { queries, errors };
  }

  /**
   * Diskstats of node `n`'s disk `vda` over `dt` seconds: a journal and log baseline, the block store
   * (a block per consensus round), request logs and caches, and uploaded files stored and read back,
   * so the bytes follow the activity curve; I/O time is the operations' service time, plus the
   * waits of a database slowdown.
   */
  private stepDisk(
    n: NodeState,
    dt: number,
    requests: number,
    fileBytes: number,
    blocks: number,
    dbSlow: boolean,
  ): void {
    const d = n.h.disk;
    const rng = n.diskRng;
    const jitter = () => Math.max(0.5, 1 + 0.1 * rng.normal());
    const written = pages((dt * 24_000 + requests * 7_000 + blocks * 36_000 + fileBytes) * jitter());
    const read = pages((dt * 2_000 + requests * 2_500 + fileBytes * 0.8) * jitter());
    const writes = Math.round(written / 20_480) + rng.poisson(dt * 0.5);
    const reads = Math.round(read / 32_768) + rng.poisson(dt * 0.1);
    d.writtenBytes.add(written);
    d.readBytes.add(read);
    d.writes.add(writes);
    d.reads.add(reads);
    const busy = Math.min(dt, writes * 0.0006 + reads * 0.0004 + (dbSlow ? 0.05 * dt : 0));
    d.ioTime.add(Math.round(busy * 1000) / 1000);
  }

  private stepDb(dt: number, queries: number, errors: number, slow: boolean): void {
    const h = this.dbh;
    const rng = this.dbRng;
    const qps = queries / dt;
    const median = slow ? 0.35 : 0.004;
    const active = Math.min(100, Math.round(2 + qps * median * 1.5 + Math.abs(rng.normal())));
    const idleInTx = slow ? rng.poisson(6) : rng.poisson(0.4);
    const idle = Math.max(0, 24 - active);
    h.active.set(active);
    h.idle.set(idle);
    h.idleInTx.set(idleInTx);
    h.maxTxActive.set(round3(slow ? rng.uniform(12, 45) : rng.lognormal(0.05, 0.6)));
    h.maxTxIdleInTx.set(idleInTx > 0 ? round3(slow ? rng.uniform(5, 30) : rng.lognormal(0.5, 0.8)) : 0);
    h.backends.set(active + idle + idleInTx);
    h.commits.add(Math.max(0, Math.round(queries * 0.6) - errors));
    h.rollbacks.add(errors);
    h.slow.add(rng.poisson(queries * (slow ? 0.2 : 0.0004)));
    h.duration.observeLogNormal(rng, queries, median, 0.9);
  }
}

function dbHandles(s: SeriesStore) {
  const datname = "relay";
  s.gauge(DB_FAMILIES.up).set(1);
  s.gauge(DB_FAMILIES.maxConnections).set(100);
  return {
    active: s.gauge(DB_FAMILIES.activityCount, { datname, state: "active" }),
    idle: s.gauge(DB_FAMILIES.activityCount, { datname, state: "idle" }),
    idleInTx: s.gauge(DB_FAMILIES.activityCount, { datname, state: "idle in transaction" }),
    maxTxActive: s.gauge(DB_FAMILIES.maxTxDuration, { datname, state: "active" }),
    maxTxIdleInTx: s.gauge(DB_FAMILIES.maxTxDuration, { datname, state: "idle in transaction" }),
    backends: s.gauge(DB_FAMILIES.numBackends, { datname }),
    commits: s.counter(DB_FAMILIES.xactCommit, { datname }),
    rollbacks: s.counter(DB_FAMILIES.xactRollback, { datname }),
    slow: s.counter(DB_FAMILIES.slowQueries, { datname }),
    duration: s.histogram(DB_FAMILIES.queryDuration, { datname }),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** `bytes` rounded to whole 4 KiB pages. */
function pages(bytes: number): number {
  return Math.round(bytes / 4096) * 4096;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export type { SimHistogram };
