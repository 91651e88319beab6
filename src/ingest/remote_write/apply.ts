import { formatLabels } from "../../model/index.js";
import {
  type Appendable,
  type Appender,
  DuplicateSampleError,
  LimitExceededError,
  OutOfBoundsError,
  OutOfOrderError,
  type SeriesRef,
  StorageError,
} from "../../storage/index.js";
import type { WriteRequest } from "./decode.js";
import { RemoteWriteError } from "./errors.js";

/** What {@link applyWriteRequest} did. */
export interface WriteStats {
  /** Samples appended. */
  samples: number;
  /** Series that had at least one sample appended. */
  series: number;
  /** Samples skipped as out of order, duplicate or out of bounds (only with `outOfOrder: "skip"`). */
  skipped: number;
  /** Exemplars and native histogram samples in the request, not stored. */
  exemplarsSkipped: number;
  histogramsSkipped: number;
}

/** Options for {@link applyWriteRequest}. */
export interface ApplyOptions {
  /**
   * What to do with a sample the store refuses as out of order, duplicate or out of bounds.
   * `"reject"` (default, as Prometheus's receiver does): the whole request fails with 400 and
   * nothing is applied, so the sender does not retry it. `"skip"`: count it and apply the rest.
   * A sample refused by a cardinality limit ({@link LimitExceededError}) always fails the request.
   */
  outOfOrder?: "reject" | "skip";
  /**
   * Samples more than this many ms ahead of `now` make the request fail with 400, like
   * Prometheus's 10-minute limit (default 600000; 0 disables the check).
   */
  maxAheadMs?: number;
  /** The clock, for tests (ms). */
  now?: () => number;
}

function isRefusal(err: unknown): boolean {
  return (
    err instanceof OutOfOrderError || err instanceof DuplicateSampleError || err instanceof OutOfBoundsError
  );
}

/**
 * Appends a decoded request to a store in one {@link Appender} batch and commits it. Any
 * failure rolls the whole batch back and throws {@link RemoteWriteError}: 400 for something wrong
 * with the request (a sample too far in the future; with the default `outOfOrder: "reject"`, an
 * out-of-order, duplicate or out-of-bounds sample; labels the store refuses), 500 when the store
 * itself fails. A new series over a cardinality limit of the store ({@link LimitExceededError})
 * fails the request with 400, the store's message (naming the limit, its value and the series) and
 * nothing applied: senders retry 5xx and 429 but drop a batch answered 400, so an over-limit batch
 * is not resent forever, and samples for existing series keep being accepted in later requests. Metadata goes to `updateMetadata` when the store has it. Series refs the store
 * returns are remembered in the request's cache slots (see {@link WriteRequest.refSlots}) and
 * passed, with the labels, for the same series in later requests: a store that no longer knows a
 * ref looks the series up by its labels, as the {@link Appender} contract says.
 * @example const stats = await applyWriteRequest(decodeRemoteWrite(body), head)
 */
export async function applyWriteRequest(
  req: WriteRequest,
  appendable: Appendable,
  opts: ApplyOptions = {},
): Promise<WriteStats> {
  const policy = opts.outOfOrder ?? "reject";
  const maxAhead = opts.maxAheadMs ?? 600_000;
  const { series, sampleOffsets, timestamps, values } = req;
  if (maxAhead > 0) {
    const limit = (opts.now ?? Date.now)() + maxAhead;
    for (let i = 0; i < series.length; i++) {
      for (let j = sampleOffsets[i]!; j < sampleOffsets[i + 1]!; j++) {
        if (timestamps[j]! > limit) {
          throw new RemoteWriteError(
            400,
            `out of bounds: sample timestamp ${timestamps[j]} is too far in the future for series ${i} ${formatLabels(series[i]!)}`,
          );
        }
      }
    }
  }
  const stats: WriteStats = {
    samples: 0,
    series: 0,
    skipped: 0,
    exemplarsSkipped: req.exemplars,
    histogramsSkipped: req.histograms,
  };
  let app: Appender;
  try {
    app = appendable.appender();
  } catch (err) {
    throw new RemoteWriteError(500, `storage unavailable: ${(err as Error).message}`, { cause: err });
  }
  try {
    const slots = req.refSlots;
    for (let i = 0; i < series.length; i++) {
      const labels = series[i]!;
      const slot = slots?.[i] ?? null;
      let ref: SeriesRef = slot !== null && slot.owner === appendable ? slot.ref : 0;
      const before = stats.samples;
      for (let j = sampleOffsets[i]!; j < sampleOffsets[i + 1]!; j++) {
        try {
          ref = app.append(ref, labels, timestamps[j]!, values[j]!);
          stats.samples++;
        } catch (err) {
          if (policy === "skip" && isRefusal(err)) {
            stats.skipped++;
            continue;
          }
          throw annotate(err, i, formatLabels(labels), timestamps[j]!);
        }
      }
      if (stats.samples > before) {
        stats.series++;
        if (slot !== null) {
          slot.owner = appendable;
          slot.ref = ref;
        }
      }
    }
    if (app.updateMetadata) {
      for (const m of req.metadata) {
        if (m.metricFamilyName !== "") {
          app.updateMetadata(m.metricFamilyName, { type: m.type, help: m.help, unit: m.unit });
        }
      }
    }
  } catch (err) {
    app.rollback();
    throw err;
  }
  try {
    await app.commit();
  } catch (err) {
    throw new RemoteWriteError(500, `commit failed: ${(err as Error).message}`, { cause: err });
  }
  return stats;
}

function annotate(err: unknown, index: number, series: string, t: number): RemoteWriteError {
  if (err instanceof LimitExceededError) {
    return new RemoteWriteError(
      400,
      `${err.message} (series ${index} of the request, at timestamp ${t}; nothing in this request was applied)`,
      { cause: err },
    );
  }
  if (err instanceof StorageError) {
    return new RemoteWriteError(400, `${err.message} for series ${index} ${series} at timestamp ${t}`, {
      cause: err,
    });
  }
  return new RemoteWriteError(500, `append failed for series ${index} ${series}: ${(err as Error).message}`, {
    cause: err,
  });
}
