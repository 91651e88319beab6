#!/usr/bin/env node
import { PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";

// V8 heap sizing, set before the server's modules load (measured at the bench's default load,
// 20,000 series x 480 samples, against Prometheus 2.42's ~225 MiB peak RSS):
// - the old generation grows to 1.25x its live size between full collections instead of V8's
//   factor of up to 4 on machines with much memory: the live heap is 45-80 MiB, and query garbage
//   otherwise took it to ~310 MiB before a full GC (peak RSS 488 -> 306 MiB at 1.5x, 252 -> 230
//   MiB from 1.5x to 1.25x, query times within noise);
// - the young generation's semi-spaces stop growing at 2 MiB (V8's default here: 16 MiB, 32 MiB
//   resident for young objects alone): at 4 MiB, RSS after ingest 241 -> 202 MiB, peak 306 -> 268
//   MiB; at 2 MiB, 190 -> 184 and peak 205 -> 201 MiB, ingest within noise, queries ~10 % slower
//   (still well under Prometheus's); at 1 MiB both ingest and queries are 10-25 % slower. `--max-semi-space-size` cannot be set once V8
//   runs, so growth is switched off after each GC that finds the semi-spaces at the cap.
// A value given on node's command line wins.
const given = (flag: string) => process.execArgv.some((a) => a.startsWith(flag));
if (!given("--heap-growing-percent")) v8.setFlagsFromString("--heap-growing-percent=25");
if (!given("--max-semi-space-size") && !given("--semi-space-growth-factor")) {
  const cap = 2 * 2 * 1024 * 1024;
  let capped: boolean | null = null;
  const adjust = () => {
    const size = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
    const full = size >= cap;
    if (full === capped) return;
    capped = full;
    v8.setFlagsFromString(full ? "--semi-space-growth-factor=1" : "--semi-space-growth-factor=2");
  };
  adjust();
  new PerformanceObserver(adjust).observe({ entryTypes: ["gc"] });
}

const { buildCli } = await import("./index.js");

buildCli()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
