import type { EventDraft, RelayEvent, SimEvent } from "./events.js";
import { Rng } from "./rng.js";

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The channel the seed's scenarios are written about. */
export const COFFEE_SHOP = { name: "Maria's Coffee Shop", slug: "marias-coffee-shop" } as const;

const CHANNEL_NAMES = [
  "Riverside Book Club",
  "Northside Runners",
  "Community Garden",
  "Board Game Night",
  "Makers Space",
  "Jazz Collective",
  "Tenants Association",
  "Farmers Market",
  "Youth Soccer League",
  "Photography Walks",
  "Local Music Scene",
  "Neighbourhood Watch",
  "Dog Park Friends",
  "Bike Repair Co-op",
  "Language Exchange",
  "Chess Club",
  "Food Bank Volunteers",
  "Film Society",
  "Climbing Gym",
  "Parents Network",
  "Vintage Swap",
  "Astronomy Nights",
  "Poetry Corner",
  "Open Source Meetup",
];

const WEEKEND_CHANNEL_NAMES = [
  "Weekend Hikers",
  "Pop-up Market",
  "Sunday Brunch Club",
  "Street Art Tour",
  "Kite Flyers",
  "Picnic in the Park",
  "Car Boot Sale",
  "Board Game Marathon",
  "Trail Cleanup Crew",
  "Saturday Potters",
];

/** Struggling channels: low up-vote ratio, more toxicity, low turnout, members drifting away. */
const STRUGGLING = new Set(["tenants-association", "local-music-scene", "neighbourhood-watch"]);

/** A channel of the simulated network. */
export interface Channel {
  readonly index: number;
  readonly slug: string;
  readonly name: string;
  readonly createdAt: number;
  /** The node hosting the channel. */
  readonly node: number;
  /** Share of votes that are up-votes. */
  readonly upRatio: number;
  /** Moderation actions per message. */
  readonly toxicity: number;
  /** Share of members who cast a ballot on a proposal. */
  readonly turnout: number;
  /** Relative attractiveness (new members, message choice). */
  readonly weight: number;
  readonly struggling: boolean;
  readonly members: Set<number>;
}

/** A user of the simulated network. */
export interface User {
  readonly index: number;
  /** The raw user id, e.g. `user-000123` (sent only in events; the monitor pseudonymizes it). */
  readonly id: string;
  readonly joinedAt: number;
  /** The node the user's client connects to. */
  readonly node: number;
  readonly engagement: number;
  readonly channels: number[];
  churned: boolean;
}

/** Options of {@link World}. */
export interface WorldOptions {
  readonly seed: number;
  /** Number of nodes channels and users are spread over. */
  readonly nodes: number;
  /** Channels that exist at the start (one of them Maria's Coffee Shop). */
  readonly channels: number;
  /** Users at the start. Default 100 per channel. */
  readonly users?: number;
  /** Time the world starts (ms); channels and users created before it. */
  readonly start: number;
}

/** True on Saturday and Sunday (UTC). */
export function isWeekend(t: number): boolean {
  const dow = new Date(t).getUTCDay();
  return dow === 0 || dow === 6;
}

/**
 * Relative activity at time `t` (UTC): on weekdays a morning rush 7–9, a lunch bump, and evening
 * event planning 18–22; on weekends a late, flatter day. Peaks are near 1, nights near 0.1.
 */
export function activityCurve(t: number): number {
  const h = (((t % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const bump = (centre: number, width: number, height: number) =>
    height * Math.exp(-0.5 * ((h - centre) / width) ** 2);
  if (isWeekend(t)) return 0.08 + bump(11, 2.2, 0.55) + bump(15.5, 2.5, 0.5) + bump(20, 1.8, 0.45);
  return 0.06 + bump(8, 0.75, 0.95) + bump(12.5, 0.8, 0.4) + bump(15, 1.5, 0.2) + bump(20, 1.4, 0.7);
}

function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function userId(i: number): string {
  return `user-${String(i).padStart(6, "0")}`;
}

function hourOf(t: number): number {
  return (((t % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/**
 * The community side of the simulated network: users, channels, memberships, and the events they
 * produce. Each UTC day is planned at once (`planDay`) from a generator seeded by (seed, day), so the
 * events of a day depend only on the seed and the world's state, never on how time was stepped.
 */
export class World {
  readonly channels: Channel[] = [];
  readonly users: User[] = [];
  readonly nodes: number;
  private readonly seed: number;
  private readonly idPrefix: string;
  private seq = 0;
  private weekendNames = 0;
  private plannedThrough: number;
  private queue: SimEvent[] = [];
  private head = 0;
  private proposalSeq = 0;
  /** Concurrent sessions per node per minute of each planned day, keyed by day number. */
  private readonly sessionLoad = new Map<number, Float32Array[]>();

  constructor(opts: WorldOptions) {
    this.seed = opts.seed;
    this.nodes = opts.nodes;
    const rng = new Rng(opts.seed, 0x5eed);
    const day0 = Math.floor(opts.start / DAY_MS);
    this.plannedThrough = day0 - 1;
    this.idPrefix = `sim${opts.seed}-${day0.toString(36)}-`;
    const born = day0 * DAY_MS - 60 * DAY_MS;
    const names = [COFFEE_SHOP.name, ...CHANNEL_NAMES];
    for (let i = 0; i < opts.channels; i++) {
      const name = names[i] ?? `Channel ${i + 1}`;
      this.addChannel(rng, name, born, i === 0 ? 3 : undefined);
    }
    const users = opts.users ?? 100 * opts.channels;
    for (let i = 0; i < users; i++) {
      const u = this.addUser(rng, born + rng.float() * 59 * DAY_MS);
      const n = 1 + rng.poisson(0.8);
      for (let k = 0; k < n; k++) this.joinChannel(u, this.pickChannel(rng));
    }
  }

  private addChannel(rng: Rng, name: string, createdAt: number, weight?: number): Channel {
    const slug = slugify(name);
    const struggling = STRUGGLING.has(slug);
    const ch: Channel = {
      index: this.channels.length,
      slug: this.channels.some((c) => c.slug === slug) ? `${slug}-${this.channels.length}` : slug,
      name,
      createdAt,
      node: this.channels.length % this.nodes,
      upRatio: struggling ? rng.uniform(0.38, 0.55) : rng.uniform(0.78, 0.95),
      toxicity: struggling ? rng.uniform(0.015, 0.03) : rng.uniform(0.001, 0.006),
      turnout: struggling ? rng.uniform(0.08, 0.18) : rng.uniform(0.3, 0.6),
      weight: weight ?? (struggling ? 0.6 : rng.lognormal(1, 0.4)),
      struggling,
      members: new Set(),
    };
    this.channels.push(ch);
    return ch;
  }

  private addUser(rng: Rng, joinedAt: number): User {
    const index = this.users.length;
    const u: User = {
      index,
      id: userId(index),
      joinedAt,
      node: index % this.nodes,
      engagement: Math.min(3, rng.lognormal(1, 0.5)),
      channels: [],
      churned: false,
    };
    this.users.push(u);
    return u;
  }

  private joinChannel(u: User, ch: Channel): boolean {
    if (ch.members.has(u.index)) return false;
    ch.members.add(u.index);
    u.channels.push(ch.index);
    return true;
  }

  private pickChannel(rng: Rng, t?: number): Channel {
    const w = this.channels.map((c) => {
      const fresh = t !== undefined && t - c.createdAt < 3 * DAY_MS ? 4 : 1;
      return (c.createdAt <= (t ?? Number.POSITIVE_INFINITY) ? c.weight : 0) * fresh;
    });
    return this.channels[rng.weighted(w)]!;
  }

  private event(events: SimEvent[], wire: EventDraft, node: number, extras = {}): void {
    const id = this.idPrefix + (this.seq++).toString(36);
    events.push({ wire: { ...wire, id } as RelayEvent, extras: { node, ...extras } });
  }

  /** Concurrent sessions on `node` at `t` (0 when the day is not planned). */
  sessionsAt(node: number, t: number): number {
    const load = this.sessionLoad.get(Math.floor(t / DAY_MS));
    return load ? load[node]![Math.floor((t % DAY_MS) / 60_000)]! : 0;
  }

  /** Plans every day up to the one containing `t`. */
  ensurePlanned(t: number): void {
    const day = Math.floor(t / DAY_MS);
    while (this.plannedThrough < day) this.planDay(++this.plannedThrough);
    for (const d of this.sessionLoad.keys()) if (d < day - 1) this.sessionLoad.delete(d);
  }

  /** Removes and returns the planned events with time in [from, to), in time order. */
  take(from: number, to: number): SimEvent[] {
    this.ensurePlanned(to - 1);
    const out: SimEvent[] = [];
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.wire.time < to) {
      const e = q[this.head++]!;
      if (e.wire.time >= from) out.push(e);
    }
    if (this.head > 4096 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Live-injected events (e.g. a toxic burst) in `channel` over [from, to). */
  burst(rng: Rng, channel: Channel, from: number, to: number, intensity: number): SimEvent[] {
    const out: SimEvent[] = [];
    const members = [...channel.members];
    if (members.length === 0) return out;
    const seconds = (to - from) / 1000;
    const n = rng.poisson(seconds * 0.05 * intensity);
    for (let i = 0; i < n; i++) {
      const t = Math.floor(from + rng.float() * (to - from));
      const user = this.users[members[rng.int(Math.min(members.length, 12))]!]!.id;
      this.event(out, { type: "message", time: t, channel: channel.slug, user }, channel.node);
      this.event(
        out,
        { type: "vote", time: t + 1, channel: channel.slug, user, direction: "down" },
        channel.node,
      );
      if (rng.chance(0.6)) {
        const action = rng.pick(["hide", "remove", "warn", "mute"]);
        this.event(
          out,
          { type: "moderation", time: t + 2, channel: channel.slug, user, action },
          channel.node,
        );
      }
    }
    return out.sort((a, b) => a.wire.time - b.wire.time);
  }

  private planDay(day: number): void {
    const rng = new Rng(this.seed, day);
    const dayStart = day * DAY_MS;
    const weekend = isWeekend(dayStart);
    const events: SimEvent[] = [];
    const load = Array.from({ length: this.nodes }, () => new Float32Array(1440));
    const curve = new Float64Array(96);
    for (let i = 0; i < 96; i++) curve[i] = activityCurve(dayStart + i * 900_000 + 450_000);
    const sampleTime = () => dayStart + rng.weighted(curve) * 900_000 + Math.floor(rng.float() * 900_000);
    const messagesPerChannel = new Float64Array(this.channels.length);

    if (weekend) {
      const created = rng.poisson(1.3);
      for (let i = 0; i < created; i++) {
        const name =
          WEEKEND_CHANNEL_NAMES[this.weekendNames % WEEKEND_CHANNEL_NAMES.length]! +
          (this.weekendNames >= WEEKEND_CHANNEL_NAMES.length
            ? ` ${Math.floor(this.weekendNames / 10) + 1}`
            : "");
        this.weekendNames++;
        const at = sampleTime();
        const ch = this.addChannel(rng, name, at, rng.uniform(1.2, 2));
        const active = this.users.filter((u) => !u.churned && u.joinedAt < at);
        const founder = active[rng.int(active.length)];
        if (founder && this.joinChannel(founder, ch)) {
          this.event(events, { type: "join", time: at, channel: ch.slug, user: founder.id }, ch.node);
        }
      }
    }

    const active = this.users.filter((u) => !u.churned).length;
    const newUsers = rng.poisson(Math.max(6, active * (weekend ? 0.012 : 0.018)));
    const coffee = this.channels[0]!;
    for (let i = 0; i < newUsers; i++) {
      const rush = !weekend && rng.chance(0.55);
      const at = rush ? dayStart + 7 * HOUR_MS + Math.floor(rng.float() * 2 * HOUR_MS) : sampleTime();
      const u = this.addUser(rng, at);
      const ch = rush ? coffee : this.pickChannel(rng, at);
      this.joinChannel(u, ch);
      this.event(events, { type: "join", time: at, channel: ch.slug, user: u.id }, ch.node);
    }

    for (const u of this.users) {
      if (u.churned || u.joinedAt >= dayStart + DAY_MS || u.channels.length === 0) continue;
      const ageDays = Math.max(0, (dayStart - u.joinedAt) / DAY_MS);
      if (ageDays > 2 && rng.chance(0.004)) {
        u.churned = true;
        continue;
      }
      const crossJoin = weekend ? 0.05 : 0.012;
      if (rng.chance(crossJoin)) {
        const ch = this.pickChannel(rng, dayStart + DAY_MS / 2);
        const at = Math.max(u.joinedAt, sampleTime());
        if (ch.createdAt <= at && this.joinChannel(u, ch)) {
          this.event(events, { type: "join", time: at, channel: ch.slug, user: u.id }, ch.node);
        }
      }
      const pActive = Math.min(
        0.95,
        u.engagement * (0.18 + 0.45 * Math.exp(-ageDays / 6)) * (weekend ? 0.9 : 1),
      );
      const isNewToday = u.joinedAt >= dayStart;
      if (!isNewToday && !rng.chance(pActive)) continue;
      const sessions = 1 + rng.poisson(0.4 * u.engagement);
      for (let s = 0; s < sessions; s++) {
        const start = s === 0 && isNewToday ? u.joinedAt + 1000 : Math.max(u.joinedAt + 1000, sampleTime());
        this.planSession(rng, u, start, events, load, messagesPerChannel);
      }
    }

    for (const ch of this.channels) {
      if (ch.createdAt > dayStart + DAY_MS) continue;
      this.planGovernance(rng, ch, dayStart, weekend, events);
      const actions = rng.poisson(messagesPerChannel[ch.index]! * ch.toxicity);
      const members = [...ch.members];
      for (let i = 0; i < actions && members.length > 0; i++) {
        const at = sampleTime();
        const user = this.users[members[rng.int(members.length)]!]!.id;
        const action = ["warn", "hide", "remove", "mute", "ban"][rng.weighted([50, 25, 15, 7, 3])]!;
        this.event(events, { type: "moderation", time: at, channel: ch.slug, user, action }, ch.node);
        if (rng.chance(0.15)) {
          const filed = at + Math.floor(rng.uniform(0.5, 12) * HOUR_MS);
          this.event(
            events,
            { type: "appeal", time: filed, channel: ch.slug, user, outcome: "filed" },
            ch.node,
          );
          const overturned = rng.chance(ch.struggling ? 0.4 : 0.25);
          this.event(
            events,
            {
              type: "appeal",
              time: filed + Math.floor(rng.uniform(1, 24) * HOUR_MS),
              channel: ch.slug,
              user,
              outcome: overturned ? "overturned" : "upheld",
            },
            ch.node,
            { overturned },
          );
        }
      }
      if (ch.struggling) {
        for (const m of members) {
          if (!rng.chance(0.006)) continue;
          const u = this.users[m]!;
          ch.members.delete(m);
          u.channels.splice(u.channels.indexOf(ch.index), 1);
          this.event(events, { type: "leave", time: sampleTime(), channel: ch.slug, user: u.id }, ch.node);
        }
      }
    }

    this.sessionLoad.set(day, load);
    events.sort((a, b) => a.wire.time - b.wire.time);
    const rest = this.queue.slice(this.head);
    this.queue = mergeSorted(rest, events);
    this.head = 0;
  }

  private planSession(
    rng: Rng,
    u: User,
    start: number,
    events: SimEvent[],
    load: Float32Array[],
    messagesPerChannel: Float64Array,
  ): void {
    const h = hourOf(start);
    const weekend = isWeekend(start);
    const rush = !weekend && h >= 7 && h < 9;
    const evening = h >= 18 && h < 22;
    const coffeeMember = u.channels.includes(0);
    const chIndex = rush && coffeeMember && rng.chance(0.75) ? 0 : u.channels[rng.int(u.channels.length)]!;
    const ch = this.channels[chIndex]!;
    const minutes = Math.min(180, rng.lognormal(rush ? 6 : 11, 0.6));
    const duration = Math.round(minutes * 60);
    const end = start + duration * 1000;
    const dayStart = Math.floor(start / DAY_MS) * DAY_MS;
    const m0 = Math.floor((start - dayStart) / 60_000);
    const m1 = Math.min(1439, Math.floor((end - dayStart) / 60_000));
    const l = load[u.node]!;
    for (let m = m0; m <= m1; m++) l[m]! += 1;
    const channel = ch.slug;
    this.event(events, { type: "session_start", time: start, channel, user: u.id }, u.node);
    const messages = rng.poisson((rush ? 2.5 : 1.6) * u.engagement * (weekend ? 1.2 : 1));
    messagesPerChannel[chIndex]! += messages;
    for (let i = 0; i < messages; i++) {
      const t = start + Math.floor(rng.float() * duration * 1000);
      const attachment = evening && rng.chance(0.22) ? Math.round(rng.lognormal(250_000, 1)) : undefined;
      this.event(
        events,
        { type: "message", time: t, channel, user: u.id },
        ch.node,
        attachment ? { attachment } : {},
      );
    }
    const votes = rng.poisson(1.2 * u.engagement);
    for (let i = 0; i < votes; i++) {
      const t = start + Math.floor(rng.float() * duration * 1000);
      const direction = rng.chance(ch.upRatio) ? "up" : "down";
      this.event(events, { type: "vote", time: t, channel, user: u.id, direction }, ch.node);
    }
    const txs = rng.poisson(rush && chIndex === 0 ? 0.8 : 0.2);
    for (let i = 0; i < txs; i++) {
      const t = start + Math.floor(rng.float() * duration * 1000);
      const kind = rush && chIndex === 0 ? 2 : rng.weighted([55, 30, 15]);
      const txType = ["transfer", "tip", "purchase"][kind]!;
      const value = round2(
        kind === 0 ? rng.lognormal(20, 1) : kind === 1 ? rng.lognormal(2, 0.6) : rng.lognormal(4.5, 0.3),
      );
      const fee = round4(value * 0.005 + 0.01);
      this.event(
        events,
        { type: "transaction", time: t, channel, user: u.id, value, fee, tx_type: txType },
        u.node,
      );
    }
    this.event(events, { type: "session_end", time: end, channel, user: u.id, duration }, u.node);
  }

  private planGovernance(
    rng: Rng,
    ch: Channel,
    dayStart: number,
    weekend: boolean,
    events: SimEvent[],
  ): void {
    const coffee = ch.index === 0;
    const p = coffee ? (weekend ? 0.3 : 0.7) : 0.12 * ch.weight;
    if (!rng.chance(Math.min(0.9, p)) || ch.members.size < 3) return;
    const opened = dayStart + Math.floor(rng.uniform(18, 21.5) * HOUR_MS);
    if (opened < ch.createdAt) return;
    const proposal = `${ch.slug}-p${++this.proposalSeq}`;
    const members = [...ch.members];
    const opener = this.users[members[rng.int(members.length)]!]!.id;
    this.event(
      events,
      { type: "proposal_opened", time: opened, channel: ch.slug, user: opener, proposal },
      ch.node,
    );
    const ttc = Math.min(3 * DAY_MS, (coffee ? rng.lognormal(1.5, 0.5) : rng.lognormal(8, 0.8)) * HOUR_MS);
    const closed = opened + Math.floor(ttc);
    const ballots = Math.min(
      members.length,
      Math.max(1, Math.round(members.length * ch.turnout * rng.uniform(0.8, 1.2))),
    );
    for (let i = 0; i < ballots; i++) {
      const j = i + rng.int(members.length - i);
      [members[i], members[j]] = [members[j]!, members[i]!];
      const at = opened + 1000 + Math.floor(Math.min(ttc - 2000, rng.exponential(ttc / 3)));
      const user = this.users[members[i]!]!.id;
      this.event(events, { type: "ballot", time: at, channel: ch.slug, user, proposal, weight: 1 }, ch.node);
    }
    const outcome = rng.chance(ch.struggling ? 0.4 : 0.75) ? "passed" : "rejected";
    this.event(
      events,
      { type: "proposal_closed", time: closed, channel: ch.slug, user: opener, proposal, outcome },
      ch.node,
      { consensusSeconds: ttc / 1000, participation: ballots / members.length },
    );
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

function mergeSorted(a: SimEvent[], b: SimEvent[]): SimEvent[] {
  const out: SimEvent[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]!.wire.time <= b[j]!.wire.time ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
