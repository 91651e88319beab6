// Community ingest and publication throughput. Build first: npx tsc -p tsconfig.build.json
import Database from "better-sqlite3";
import { Community, CommunityAnalytics, collectSamples } from "../dist/community/index.js";

const now = Date.UTC(2025, 2, 14, 12);
const db = new Database(":memory:");
const community = new Community({ db, now: () => now });
const analytics = new CommunityAnalytics(community);
const channels = 20;
const users = 5000;
let id = 0;
const batch = () =>
  Array.from({ length: 5000 }, () => {
    const u = Math.floor(Math.random() * users);
    return JSON.stringify({
      id: `e${id++}`,
      type: "message",
      time: now - Math.floor(Math.random() * 20) * 86_400_000,
      channel: `c${u % channels}`,
      user: `user-${u}`,
    });
  }).join("\n");
const bodies = Array.from({ length: 20 }, batch);
let t = performance.now();
for (const b of bodies) community.ingestBody(b);
const ms = performance.now() - t;
console.log(
  `ingest: ${bodies.length * 5000} events in ${ms.toFixed(0)} ms = ${(((bodies.length * 5000) / ms) * 1000).toFixed(0)} events/s`,
);
t = performance.now();
const s = collectSamples(analytics, now);
console.log(
  `publish: ${s.labels.length} samples for ${s.channels} channels in ${(performance.now() - t).toFixed(0)} ms`,
);
