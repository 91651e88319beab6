import { defineConfig } from "vitest/config";

/**
 * Two groups: unit and in-process tests run in parallel first; then the end-to-end tests, which
 * start real servers, child processes, Prometheus, Alertmanager or Chromium, run one file at a
 * time, so their timing assertions (ready within 5 s, alert latencies) are not measured on a
 * machine saturated by other test files.
 */
const E2E = [
  "src/**/*.e2e.test.ts",
  "src/**/*.browser.test.ts",
  "src/server.test.ts",
  "src/cli/cli.test.ts",
  "src/collectors/node-exporter.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["src/testing/build.ts"],
    setupFiles: ["src/testing/fast-check-seed.ts"],
    reporters: ["default", "./src/testing/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: E2E,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: E2E,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
