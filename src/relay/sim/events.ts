/**
 * The community events the simulator sends to `POST /api/relay/v1/events`, in exactly the shape
 * the community stage's schema (src/community/events.ts) accepts: common fields `id`, `type`,
 * `time` (epoch ms), `channel`, `user` (the raw user id; the monitor pseudonymizes it), plus the
 * fields of each type. The simulator may not import the community stage (dependencies point
 * inward), so the shape is restated here and a test validates generated batches against the schema.
 */
interface Base {
  readonly id: string;
  readonly time: number;
  readonly channel: string;
  readonly user: string;
}

/** A community event as sent on the wire. */
export type RelayEvent =
  | (Base & { readonly type: "message" })
  | (Base & { readonly type: "vote"; readonly direction: "up" | "down" })
  | (Base & { readonly type: "join" })
  | (Base & { readonly type: "leave" })
  | (Base & { readonly type: "proposal_opened"; readonly proposal: string })
  | (Base & {
      readonly type: "proposal_closed";
      readonly proposal: string;
      readonly outcome: "passed" | "rejected";
    })
  | (Base & { readonly type: "ballot"; readonly proposal: string; readonly weight: number })
  | (Base & { readonly type: "moderation"; readonly action: string })
  | (Base & { readonly type: "appeal"; readonly outcome: "filed" | "upheld" | "overturned" })
  | (Base & {
      readonly type: "transaction";
      readonly value: number;
      readonly fee: number;
      readonly tx_type: string;
    })
  | (Base & { readonly type: "session_start" })
  | (Base & { readonly type: "session_end"; readonly duration: number });

/** What the simulator knows about an event beyond its wire fields (never sent). */
export interface EventExtras {
  /** The node that serves the event's channel or user. */
  node: number;
  /** Bytes of an attachment shared with a message (evening file sharing). */
  attachment?: number;
  /** For `proposal_closed`: seconds from opening to consensus. */
  consensusSeconds?: number;
  /** For `proposal_closed`: ballots cast / members of the channel. */
  participation?: number;
  /** For `appeal` outcomes: whether the action was overturned. */
  overturned?: boolean;
}

/** An event with the simulator's extras. */
export interface SimEvent {
  readonly wire: RelayEvent;
  readonly extras: EventExtras;
}

/** An event before it is given an id. */
export type EventDraft = RelayEvent extends infer E ? (E extends RelayEvent ? Omit<E, "id"> : never) : never;
