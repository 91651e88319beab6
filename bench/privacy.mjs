// Privacy primitives benchmark: HyperLogLog add/estimate/merge/serialize, accuracy at known
// counts, pseudonymization and discrete Laplace draws. Build first: npx tsc -p tsconfig.build.json;
// then: node bench/privacy.mjs
import { discreteLaplace, HyperLogLog, Pseudonymizer } from "../dist/privacy/index.js";

function time(label, n, fn) {
  const t0 = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${label.padEnd(40)} ${(n / (ns / 1e9) / 1e6).toFixed(2)} M/s  (${(ns / n).toFixed(0)} ns/op)`);
}

const N = 1_000_000;
const h = new HyperLogLog();
time("HyperLogLog.add (string, p=14)", N, () => {
  for (let i = 0; i < N; i++) h.add(`user-${i}`);
});
time("HyperLogLog.addHash (p=14)", N, () => {
  const g = new HyperLogLog();
  let x = 0x9e3779b9;
  for (let i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    g.addHash(x >>> 0, Math.imul(x, 0x85ebca6b) >>> 0);
  }
});
time("HyperLogLog.estimate (p=14)", 1000, () => {
  for (let i = 0; i < 1000; i++) h.estimate();
});
const other = new HyperLogLog();
time("HyperLogLog.merge (p=14)", 1000, () => {
  for (let i = 0; i < 1000; i++) other.merge(h);
});
console.log(
  `serialized size: ${h.serialize().length} B dense; 100 users: ${(() => {
    const s = new HyperLogLog();
    for (let i = 0; i < 100; i++) s.add(`u${i}`);
    return s.serialize().length;
  })()} B sparse`,
);

console.log("\naccuracy (one growing sketch, p=14, SE 0.81 %):");
console.log("n          improved      err %    classic       err %");
const acc = new HyperLogLog();
let added = 0;
for (const n of [10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
  for (; added < n; added++) acc.add(`member-${added}`);
  const e = acc.estimate();
  const c = acc.estimateClassic();
  console.log(
    `${String(n).padEnd(10)} ${e.toFixed(1).padStart(11)} ${(((e - n) / n) * 100).toFixed(3).padStart(8)} ${c.toFixed(1).padStart(11)} ${(((c - n) / n) * 100).toFixed(3).padStart(8)}`,
  );
}

const t = Date.now();
const p = new Pseudonymizer({ now: () => t });
time("Pseudonymizer.pseudonymize", 200_000, () => {
  for (let i = 0; i < 200_000; i++) p.pseudonymize(`user-${i}`, t);
});
time("discreteLaplace (eps=1)", N, () => {
  for (let i = 0; i < N; i++) discreteLaplace(1);
});
