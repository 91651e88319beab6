import {
  formatDuration,
  type Label,
  type Labels,
  LabelsBuilder,
  labelsGet,
  labelsKey,
  parseDuration,
  relabel,
} from "../../model/index.js";
import type { CompiledJob } from "./config.js";

export const ADDRESS_LABEL = "__address__";
export const SCHEME_LABEL = "__scheme__";
export const METRICS_PATH_LABEL = "__metrics_path__";
export const SCRAPE_INTERVAL_LABEL = "__scrape_interval__";
export const SCRAPE_TIMEOUT_LABEL = "__scrape_timeout__";
export const PARAM_PREFIX = "__param_";
const META_PREFIX = "__meta_";

/** The outcome of turning one discovered target into scrape labels. */
export type PopulateResult =
  | {
      readonly kind: "active";
      readonly discovered: Labels;
      readonly labels: Labels;
      /** From `__scrape_interval__` and `__scrape_timeout__` after relabelling (ms). */
      readonly interval: number;
      readonly timeout: number;
    }
  | { readonly kind: "dropped"; readonly discovered: Labels; readonly reason: string };

/**
 * Builds a target's labels the way Prometheus's `PopulateLabels` does: group labels, then the
 * target's `__address__`, then `job`, `__scheme__`, `__metrics_path__`, `__scrape_interval__`,
 * `__scrape_timeout__` and `__param_<name>` where not already set; those are the discovered
 * labels. Then `relabel_configs`; then `__meta_*` labels are removed and `instance` defaults to
 * `__address__`. The result still holds the other `__` labels (the scrape URL needs them).
 */
export function populateLabels(
  cj: CompiledJob,
  address: string,
  groupLabels: Readonly<Record<string, string>>,
): PopulateResult {
  const job = cj.job;
  const lb = new LabelsBuilder();
  for (const [k, v] of Object.entries(groupLabels)) lb.set(k, v);
  lb.set(ADDRESS_LABEL, address);
  const defaults: Array<[string, string]> = [
    ["job", job.job_name],
    [SCRAPE_INTERVAL_LABEL, formatDuration(job.scrape_interval)],
    [SCRAPE_TIMEOUT_LABEL, formatDuration(job.scrape_timeout)],
    [METRICS_PATH_LABEL, job.metrics_path],
    [SCHEME_LABEL, job.scheme],
  ];
  for (const [k, v] of defaults) if (lb.get(k) === "") lb.set(k, v);
  for (const [k, vs] of Object.entries(job.params)) {
    if (vs.length > 0 && lb.get(PARAM_PREFIX + k) === "") lb.set(PARAM_PREFIX + k, vs[0]!);
  }
  const discovered = lb.labels();
  const relabelled = relabel(discovered, cj.relabel);
  if (relabelled === null) return { kind: "dropped", discovered, reason: "dropped by relabelling" };
  const addr = labelsGet(relabelled, ADDRESS_LABEL);
  if (addr === "") return { kind: "dropped", discovered, reason: "no address" };
  if (addr.includes("/"))
    return { kind: "dropped", discovered, reason: `${JSON.stringify(addr)} is not a valid hostname` };
  let interval: number;
  let timeout: number;
  try {
    interval = parseDuration(labelsGet(relabelled, SCRAPE_INTERVAL_LABEL));
    timeout = parseDuration(labelsGet(relabelled, SCRAPE_TIMEOUT_LABEL));
  } catch (err) {
    return {
      kind: "dropped",
      discovered,
      reason: `error parsing scrape interval or timeout: ${(err as Error).message}`,
    };
  }
  if (interval === 0) return { kind: "dropped", discovered, reason: "scrape interval cannot be 0" };
  if (timeout === 0) return { kind: "dropped", discovered, reason: "scrape timeout cannot be 0" };
  if (timeout > interval) {
    return { kind: "dropped", discovered, reason: "scrape timeout cannot be greater than scrape interval" };
  }
  const out = new LabelsBuilder(relabelled);
  out.forEach((name) => {
    if (name.startsWith(META_PREFIX)) out.del(name);
  });
  if (out.get("instance") === "") out.set("instance", addr);
  return { kind: "active", discovered, labels: out.labels(), interval, timeout };
}

/** The labels a target attaches to its samples: all but the `__`-prefixed ones. */
export function publicLabels(ls: Labels): Labels {
  return ls.filter((l: Label) => !l.name.startsWith("__"));
}

/** The URL to scrape: scheme, address and path from the labels, job params overridden by `__param_*`. */
export function scrapeUrl(cj: CompiledJob, ls: Labels): string {
  const params = new Map<string, string[]>();
  for (const [k, vs] of Object.entries(cj.job.params)) params.set(k, [...vs]);
  for (const l of ls) {
    if (!l.name.startsWith(PARAM_PREFIX)) continue;
    const k = l.name.slice(PARAM_PREFIX.length);
    const cur = params.get(k);
    if (cur !== undefined && cur.length > 0) cur[0] = l.value;
    else params.set(k, [l.value]);
  }
  const search = new URLSearchParams();
  for (const [k, vs] of params) for (const v of vs) search.append(k, v);
  const q = search.toString();
  const scheme = labelsGet(ls, SCHEME_LABEL) || cj.job.scheme;
  const path = labelsGet(ls, METRICS_PATH_LABEL) || cj.job.metrics_path;
  return `${scheme}://${labelsGet(ls, ADDRESS_LABEL)}${path}${q === "" ? "" : `?${q}`}`;
}

/** The identity of a target within its job: its public labels and URL. Equal keys keep one loop. */
export function targetKey(job: string, ls: Labels, url: string): string {
  return `${job}\xff${labelsKey(publicLabels(ls))}\xff${url}`;
}
