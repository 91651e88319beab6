// The simulator behind `relay-monitor demo`: how long the default 14-day history takes (simulation
// alone, and into an in-memory Head), how many series, samples and events it makes, and the cost of
// one live tick. Build first: npx tsc -p tsconfig.build.json
import { LiveNetwork, Simulation, writeHistory } from "../dist/relay/sim/index.js";
import { Head } from "../dist/tsdb/index.js";

const now = Date.UTC(2026, 0, 14, 12);
const days = Number(process.env.DAYS ?? 14);

{
  const { stats } = await writeHistory({ days, seed: 42, now });
  console.log(
    `simulation only: ${days} days, ${stats.series} series, ${stats.events} events in ${stats.tookMs} ms`,
  );
}
{
  const head = new Head();
  const { stats } = await writeHistory({ days, seed: 42, now, appendable: head });
  const rate = (stats.samples / stats.tookMs) * 1000;
  console.log(
    `into Head: ${stats.samples} samples of ${stats.series} series in ${stats.tookMs} ms ` +
      `(${(rate / 1e6).toFixed(2)} M samples/s), rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
}
{
  let clock = now;
  const sim = new Simulation({ days: 0, seed: 42, now, clock: () => clock });
  const live = new LiveNetwork(sim, { clock: () => clock });
  await live.listen();
  live.tick();
  const ticks = 300;
  const t0 = performance.now();
  for (let i = 0; i < ticks; i++) {
    clock += 1000;
    live.tick();
  }
  console.log(
    `live tick (5 nodes, advance 1 s + mirror into registries): ${((performance.now() - t0) / ticks).toFixed(2)} ms`,
  );
  await live.stop();
}
