import { compressSync } from "snappy";
import type { MetricType } from "../../model/index.js";

/** A remote-write request in object form, mirroring prometheus.WriteRequest, for encoding. */
export interface WriteRequestInput {
  readonly timeseries: ReadonlyArray<{
    readonly labels: ReadonlyArray<{ readonly name: string; readonly value: string }>;
    readonly samples: ReadonlyArray<{ readonly value: number; readonly timestamp: number }>;
  }>;
  readonly metadata?: ReadonlyArray<{
    readonly type: MetricType;
    readonly metricFamilyName: string;
    readonly help?: string;
    readonly unit?: string;
  }>;
}

const TYPE_CODES: Record<MetricType, number> = {
  unknown: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
  gaugehistogram: 4,
  summary: 5,
  info: 6,
  stateset: 7,
};

function varintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

class Writer {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  uvarint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  int64(n: number): void {
    if (n >= 0) {
      this.uvarint(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
}

const enc = new TextEncoder();

function int64Len(n: number): number {
  return n >= 0 ? varintLen(n) : 10;
}

function fieldLen(payload: number): number {
  return 1 + varintLen(payload) + payload;
}

/**
 * Encodes a request as prometheus.WriteRequest protobuf bytes (remote write 1.0). Every label and
 * sample field is written, including zero values, in the order given.
 */
export function encodeWriteRequest(req: WriteRequestInput): Uint8Array {
  const series = req.timeseries.map((ts) => {
    const labels = ts.labels.map((l) => {
      const name = enc.encode(l.name);
      const value = enc.encode(l.value);
      return { name, value, size: fieldLen(name.length) + fieldLen(value.length) };
    });
    const sampleSizes = ts.samples.map((s) => 9 + 1 + int64Len(s.timestamp));
    let size = 0;
    for (const l of labels) size += fieldLen(l.size);
    for (const s of sampleSizes) size += fieldLen(s);
    return { labels, samples: ts.samples, sampleSizes, size };
  });
  const metadata = (req.metadata ?? []).map((m) => {
    const name = enc.encode(m.metricFamilyName);
    const help = enc.encode(m.help ?? "");
    const unit = enc.encode(m.unit ?? "");
    const code = TYPE_CODES[m.type];
    return {
      code,
      name,
      help,
      unit,
      size: 1 + varintLen(code) + fieldLen(name.length) + fieldLen(help.length) + fieldLen(unit.length),
    };
  });
  let total = 0;
  for (const s of series) total += fieldLen(s.size);
  for (const m of metadata) total += fieldLen(m.size);
  const w = new Writer(total);
  for (const s of series) {
    w.uvarint(0x0a);
    w.uvarint(s.size);
    for (const l of s.labels) {
      w.uvarint(0x0a);
      w.uvarint(l.size);
      w.uvarint(0x0a);
      w.bytes(l.name);
      w.uvarint(0x12);
      w.bytes(l.value);
    }
    s.samples.forEach((sample, i) => {
      w.uvarint(0x12);
      w.uvarint(s.sampleSizes[i]!);
      w.uvarint(0x09);
      w.double(sample.value);
      w.uvarint(0x10);
      w.int64(sample.timestamp);
    });
  }
  for (const m of metadata) {
    w.uvarint(0x1a);
    w.uvarint(m.size);
    w.uvarint(0x08);
    w.uvarint(m.code);
    w.uvarint(0x12);
    w.bytes(m.name);
    w.uvarint(0x22);
    w.bytes(m.help);
    w.uvarint(0x2a);
    w.bytes(m.unit);
  }
  return w.buf;
}

/**
 * Encodes a request as a remote-write 1.0 HTTP body: protobuf, then a snappy block.
 * @example await fetch(url, { method: "POST", body: encodeRemoteWrite(req), headers: { "Content-Encoding": "snappy" } })
 */
export function encodeRemoteWrite(req: WriteRequestInput): Buffer {
  return compressSync(encodeWriteRequest(req));
}
