import { type Labels, labelsFromPairs, METRIC_NAME, type MetricMetadata } from "../model/index.js";
import type { Appendable, Appender } from "../storage/index.js";
import { EntryType, ExpositionParseError, OpenMetricsParser } from "./exposition/index.js";

/** Options of {@link backfillOpenMetrics}. */
export interface BackfillOpenMetricsOptions {
  /** Samples per Appender batch (default 50,000). */
  batchSize?: number;
  /**
   * Parse the whole body once before appending anything (default true), so that a bad file
   * writes nothing. Without it, batches committed before the error stay committed.
   */
  validateFirst?: boolean;
  /** Call the appendable's `flush()`, when it has one, after the last batch (default true). */
  flush?: boolean;
}

/** What {@link backfillOpenMetrics} wrote. */
export interface BackfillOpenMetricsResult {
  /** Samples appended. */
  samples: number;
  /** Distinct series (by their text in the file). */
  series: number;
  /** Oldest and newest sample timestamps (ms; +Infinity / -Infinity when there were none). */
  minTime: number;
  maxTime: number;
}

/** The error for a sample line without a timestamp, pointing at the end of the line. */
function missingTimestamp(text: string, line: number, series: string): ExpositionParseError {
  let start = 0;
  for (let l = 1; l < line; l++) start = text.indexOf("\n", start) + 1;
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  return new ExpositionParseError(
    line,
    end - start + 1,
    `sample ${series} has no timestamp; backfilling needs a timestamp on every sample`,
  );
}

/** Parses the whole body (checking timestamps) without keeping anything. */
function validate(text: string): void {
  const p = new OpenMetricsParser(text);
  for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
    if (e === EntryType.Series && p.timestamp() === undefined) {
      throw missingTimestamp(text, p.lineNumber(), p.series());
    }
  }
}

/**
 * Writes an OpenMetrics body with a timestamp on every sample into `appendable` (the TSDB's
 * backfill writer, created with `ordered: false` since such files are grouped by series, not by
 * time), as `promtool tsdb create-blocks-from openmetrics` does: the body must end with `# EOF`,
 * and a sample without a timestamp is an error naming its line. Syntax errors are the parser's
 * {@link ExpositionParseError} (line and column); a sample the store refuses becomes one naming
 * its line too. Samples go in batches of typed arrays (no object per sample); series are looked
 * up once by their text. Metadata (TYPE, HELP, UNIT) is passed on with each family's first
 * batch.
 * @example
 * const bf = db.backfillAppendable({ ordered: false });
 * const r = await backfillOpenMetrics(readFileSync(file, "utf8"), bf);
 */
export async function backfillOpenMetrics(
  text: string,
  appendable: Appendable & { flush?(): Promise<unknown> },
  options: BackfillOpenMetricsOptions = {},
): Promise<BackfillOpenMetricsResult> {
  const batchSize = options.batchSize ?? 50_000;
  if (options.validateFirst ?? true) validate(text);
  const refs = new Map<string, { labels: Labels; ref: number }>();
  let family = "";
  let meta: { type: MetricMetadata["type"]; help: string; unit: string } = {
    type: "unknown",
    help: "",
    unit: "",
  };
  let sent = true;
  let app: Appender = appendable.appender();
  let inBatch = 0;
  let samples = 0;
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = Number.NEGATIVE_INFINITY;
  const p = new OpenMetricsParser(text);
  try {
    for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
      if (e !== EntryType.Series) {
        const name = p.name();
        if (name !== family) {
          family = name;
          meta = { type: "unknown", help: "", unit: "" };
        }
        if (e === EntryType.Type) meta.type = p.type();
        else if (e === EntryType.Help) meta.help = p.text();
        else if (e === EntryType.Unit) meta.unit = p.text();
        sent = false;
        continue;
      }
      const t = p.timestamp();
      if (t === undefined) throw missingTimestamp(text, p.lineNumber(), p.series());
      if (!sent) {
        app.updateMetadata?.(family, { ...meta });
        sent = true;
      }
      const key = p.series();
      let s = refs.get(key);
      if (s === undefined) {
        s = { labels: labelsFromPairs([METRIC_NAME, p.name(), ...p.labels()]), ref: 0 };
        refs.set(key, s);
      }
      try {
        s.ref = app.append(s.ref, s.labels, t, p.value());
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new ExpositionParseError(p.lineNumber(), 1, `the store refused sample ${key}: ${why}`);
      }
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
      samples++;
      if (++inBatch >= batchSize) {
        const done = app;
        app = appendable.appender();
        inBatch = 0;
        await done.commit();
      }
    }
  } catch (err) {
    app.rollback();
    throw err;
  }
  await app.commit();
  if ((options.flush ?? true) && typeof appendable.flush === "function") await appendable.flush();
  return { samples, series: refs.size, minTime, maxTime };
}
