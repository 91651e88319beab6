const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/**
 * The fingerprint Prometheus and Alertmanager give a label set (FNV-1a 64 over the sorted names
 * and values, each followed by 0xff), as 16 hex digits. Equal sets give equal fingerprints, so an
 * alert keeps its identity across restarts and across Alertmanager and us.
 * @example fingerprint({ alertname: "Down" }) // 16 hex digits
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  let h = OFFSET;
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name]!]) {
      for (const b of encoder.encode(part)) h = ((h ^ BigInt(b)) * PRIME) & MASK;
      h = ((h ^ 0xffn) * PRIME) & MASK;
    }
  }
  return h.toString(16).padStart(16, "0");
}

/** Formats a label record the way Alertmanager prints a label set: `{a="b", c="d"}`, sorted. */
export function formatLabelSet(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(", ")}}`;
}
