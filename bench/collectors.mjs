// Host collector cost: one collect() on this machine, and on a synthetic large host
// (128 CPUs with cpufreq, 64 disks, 64 network devices, 200 mounts).
// Build first: npx tsc -p tsconfig.build.json
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostCollector } from "../dist/collectors/index.js";

async function measure(label, collector, runs) {
  await collector.collect();
  const times = [];
  let series = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const families = await collector.collect();
    times.push(performance.now() - t0);
    series = families.reduce((n, f) => n + f.samples.length, 0);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / runs;
  const p = (q) => times[Math.min(runs - 1, Math.floor(q * runs))].toFixed(2);
  console.log(
    `${label}: ${series} series, mean ${mean.toFixed(2)} ms, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms over ${runs} collects`,
  );
}

async function bigHost() {
  const root = await mkdtemp(join(tmpdir(), "relay-bench-host-"));
  const w = async (path, text) => {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  };
  const cpus = 128;
  let stat = "cpu  1 2 3 4 5 6 7 8 9 10\n";
  for (let c = 0; c < cpus; c++) stat += `cpu${c} ${c * 100} 20 300 400000 50 0 6 7 8 9\n`;
  stat +=
    "intr 123456 1 2 3\nctxt 98765\nbtime 1700000000\nprocesses 4321\nprocs_running 3\nprocs_blocked 1\n";
  await w("proc/stat", stat);
  await w("proc/loadavg", "0.25 0.50 1.00 2/345 6789\n");
  let meminfo = "";
  for (let i = 0; i < 55; i++) meminfo += `Field${i}:  ${i * 1000} kB\n`;
  await w("proc/meminfo", meminfo);
  let disks = "";
  for (let d = 0; d < 64; d++) disks += ` 8 ${d * 16} nvme${d}n1 ${"1 ".repeat(17)}\n`;
  await w("proc/diskstats", disks);
  let net =
    "Inter-|   Receive                                                |  Transmit\n" +
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
  for (let n = 0; n < 64; n++) net += `  veth${n}: ${"12345 ".repeat(16)}\n`;
  await w("proc/net/dev", net);
  let mounts = "";
  for (let m = 0; m < 200; m++) mounts += `/dev/vd${m} /srv/m${m} ext4 rw,relatime 0 0\n`;
  await w("proc/1/mounts", mounts);
  for (let c = 0; c < cpus; c++) {
    const d = `sys/devices/system/cpu/cpu${c}`;
    await w(`${d}/topology/physical_package_id`, `${c >> 6}\n`);
    await w(`${d}/topology/core_id`, `${c % 64}\n`);
    await w(`${d}/cpufreq/scaling_cur_freq`, "1800000\n");
    await w(`${d}/cpufreq/scaling_min_freq`, "800000\n");
    await w(`${d}/cpufreq/scaling_max_freq`, "3600000\n");
    await w(`${d}/cpufreq/scaling_governor`, "powersave\n");
    await w(`${d}/cpufreq/scaling_available_governors`, "performance powersave\n");
  }
  return root;
}

await measure("this host", new HostCollector(), 200);
const root = await bigHost();
try {
  const st = { bsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50 };
  const big = new HostCollector({
    procPath: join(root, "proc"),
    sysPath: join(root, "sys"),
    udevDataPath: join(root, "udev"),
    statfs: async () => st,
  });
  await measure("synthetic 128-CPU host (statfs faked)", big, 100);
} finally {
  await rm(root, { recursive: true, force: true });
}
