import type { FamilySample, MetricFamily, MetricType } from "../model/index.js";

interface MutableFamily {
  name: string;
  help: string;
  type: MetricType;
  unit?: string;
  samples: FamilySample[];
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The base unit a metric name declares by its suffix (`_bytes`, `_seconds`, `_hertz`, ignoring a
 * trailing `_total`), or undefined when it declares none.
 */
export function unitOf(name: string): string | undefined {
  const base = name.endsWith("_total") ? name.slice(0, -6) : name;
  if (base.endsWith("_bytes")) return "bytes";
  if (base.endsWith("_seconds")) return "seconds";
  if (base.endsWith("_hertz")) return "hertz";
  return undefined;
}

/**
 * Accumulates samples into metric families during one collection. The family name is the name
 * node_exporter exposes in the text format (counters keep `_total`), and every sample of a family
 * carries that same name, since none of the host families is a histogram or summary.
 */
export class FamilySet {
  private readonly families = new Map<string, MutableFamily>();

  /** Adds one sample, creating its family on first use; help and type of the first call win. */
  add(
    name: string,
    help: string,
    type: MetricType,
    value: number,
    labels: Readonly<Record<string, string>> = NO_LABELS,
  ): void {
    let fam = this.families.get(name);
    if (fam === undefined) {
      fam = { name, help, type, samples: [] };
      const unit = unitOf(name);
      if (unit !== undefined) fam.unit = unit;
      this.families.set(name, fam);
    }
    fam.samples.push({ name, labels, value });
  }

  /** The families collected so far, in the order they were first added. */
  toArray(): MetricFamily[] {
    return [...this.families.values()];
  }
}
