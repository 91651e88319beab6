const encoder = new TextEncoder();

/**
 * The fingerprint Prometheus and Alertmanager give a label set (FNV-1a 64 over the sorted names
 * and values, each followed by 0xff), as 16 hex digits. Equal sets give equal fingerprints, so an
 * alert keeps its identity across restarts and across Alertmanager and us.
 * @example fingerprint({ alertname: "Down" }) // 16 hex digits
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  // 64-bit arithmetic on two 32-bit halves: h = (h ^ b) * (2^40 + 0x1b3) mod 2^64.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const add = (b: number) => {
    lo = (lo ^ b) >>> 0;
    const m = lo * 0x1b3;
    hi = (Math.imul(hi, 0x1b3) + ((lo << 8) >>> 0) + Math.floor(m / 4294967296)) >>> 0;
    lo = m >>> 0;
  };
  const addString = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) add(c);
      else {
        for (const b of encoder.encode(s.slice(i))) add(b);
        return;
      }
    }
  };
  for (const name of Object.keys(labels).sort()) {
    addString(name);
    add(0xff);
    addString(labels[name]!);
    add(0xff);
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** Formats a label record the way Alertmanager prints a label set: `{a="b", c="d"}`, sorted. */
export function formatLabelSet(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(", ")}}`;
}
