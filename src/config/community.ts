import { z } from "zod";
import { byteSize, duration, limit } from "./types.js";

const HEALTH_COMPONENTS = [
  "engagement",
  "positivity",
  "growth",
  "retention",
  "governance",
  "content",
] as const;

const component = z.strictObject({
  weight: z.number().nonnegative().optional(),
  target: z.number().positive().optional(),
});

/**
 * The `community` section: privacy at the door (k, noise, key retention) and the analytics'
 * publishing. Defaults are the seed's and DESIGN.md's.
 */
export const communityConfigSchema = z.strictObject({
  /** Figures behind fewer distinct users than this are suppressed. */
  k: z.number().int().min(1).default(5),
  publish_interval: duration().default(30_000),
  /** How long a pseudonymisation key lives after its epoch ends; older events are refused. */
  key_retention: duration().default(35 * 24 * 3600_000),
  /** How far ahead of the clock an event may be stamped. */
  max_future: duration().default(15 * 60_000),
  max_body_bytes: byteSize().default(4 * 1024 * 1024),
  max_events: limit().default(10_000),
  circulating_supply: z.number().positive().optional(),
  noise: z
    .strictObject({
      epsilon: z.number().positive(),
      budget_per_day: z.number().positive().optional(),
    })
    .optional(),
  health: z.partialRecord(z.enum(HEALTH_COMPONENTS), component).default({}),
  recommendation_threshold: z.number().min(0).max(1).default(0.6),
});

/** The `community` section, defaults filled in. */
export type CommunityConfig = z.output<typeof communityConfigSchema>;
