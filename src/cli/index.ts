/**
 * The command-line interface: `relay-monitor start | demo | query | report | correlate | check config | check rules | test rules`.
 */

import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { ConfigError, formatProblem, loadConfigFile } from "../config/index.js";
import { backfillOpenMetrics, ExpositionParseError } from "../ingest/index.js";
import { checkRuleFiles, testRuleFiles } from "../rules/index.js";
import { RelayMonitor } from "../server.js";
import { type DB, Head, openDB } from "../tsdb/index.js";
import { VERSION } from "../version.js";
import { runQuery } from "./query.js";
import { registerAnalysisCommands } from "./report.js";

/** Builds the command-line interface (exported for tests). */
export function buildCli(): Command {
  const program = new Command("relay-monitor")
    .description(
      "Performance monitoring for Relay networks: metrics, storage, PromQL, alerting, community health.",
    )
    .version(VERSION);

  const serverCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option("--config <file>", "YAML configuration file (Prometheus sections plus Relay's)")
      .option("--storage.path <dir>", "data directory", "./data")
      .option("--listen <host:port>", "address to listen on", "127.0.0.1:9797")
      .option("--no-collectors", "do not scrape the built-in host and self targets")
      .option(
        "--web.enable-admin-api",
        "serve the TSDB admin endpoints (flush, delete_series, clean_tombstones)",
      )
      .addOption(
        new Option("--log.level <level>", "log level")
          .choices(["debug", "info", "warn", "error"])
          .default("info"),
      );
  const serverOptions = (opts: Record<string, string | boolean | undefined>) => ({
    configFile: opts.config as string | undefined,
    storagePath: opts["storage.path"] as string,
    listen: opts.listen as string,
    builtinTargets: opts.collectors !== false,
    enableAdminApi: opts["web.enableAdminApi"] === true,
    logLevel: opts["log.level"] as string,
  });

  serverCommand(
    "start",
    "run the monitor: embedded storage, HTTP API and UI, watching this host and itself",
  ).action(async (opts: Record<string, string | boolean | undefined>) => {
    await runUntilSignal(new RelayMonitor(serverOptions(opts)));
  });

  serverCommand(
    "demo",
    "run the monitor beside a simulated Relay network (5 nodes, 20 channels) with history",
  )
    .option("--days <n>", "days of history written before going live", "14")
    .option("--seed <n>", "seed of the simulation (same seed, same network)", "42")
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const days = Number(opts.days);
      const seed = Number(opts.seed);
      if (!Number.isInteger(days) || days < 0 || days > 30)
        throw new Error("--days: expected a whole number from 0 to 30");
      if (!Number.isInteger(seed)) throw new Error("--seed: expected a whole number");
      await runUntilSignal(new RelayMonitor({ ...serverOptions(opts), demo: { days, seed } }));
    });

  program
    .command("query <expr>")
    .description("evaluate PromQL on a running server and print the result like promtool")
    .option("--server <url>", "server to query", "http://127.0.0.1:9797")
    .option("--time <time>", "evaluation time of an instant query (RFC 3339 or Unix seconds; default now)")
    .option("--start <time>", "start of a range query (with --end and --step)")
    .option("--end <time>", "end of a range query (default now)")
    .option("--step <duration>", "resolution of a range query, e.g. 15s or 60")
    .addOption(
      new Option("-o, --format <format>", "output format").choices(["promql", "json"]).default("promql"),
    )
    .action(async (expr: string, opts: Record<string, string | undefined>) => {
      const out = await runQuery(expr, opts);
      process.stdout.write(out.text);
      if (!out.ok) process.exitCode = 1;
    });

  const check = program.command("check").description("validate files without running anything");
  check
    .command("config <file>")
    .description("validate a configuration file; prints every problem with its path and exits 1 if any")
    .action(async (file: string) => {
      try {
        const cfg = await loadConfigFile(file);
        for (const w of cfg.warnings) console.log(`  WARNING: ${w}`);
        console.log(`Checking ${file}\n  SUCCESS: ${file} is valid relay-monitor config file syntax`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(`Checking ${file}\n  FAILED: ${err.problems.length} problem(s):`);
        for (const p of err.problems) console.error(`  ${formatProblem(p)}`);
        process.exitCode = 1;
      }
    });
  check
    .command("rules <files...>")
    .description("validate Prometheus rule files like promtool check rules; exits 1 on a problem")
    .action((files: string[]) => {
      const r = checkRuleFiles(files);
      process.stdout.write(r.output);
      if (!r.passed) process.exitCode = 1;
    });

  program
    .command("test")
    .description("run unit tests")
    .command("rules <files...>")
    .description("run rule unit-test files in promtool's test rules format; exits 1 on a failure")
    .action(async (files: string[]) => {
      const r = await testRuleFiles(files, () => new Head());
      process.stdout.write(r.output);
      if (!r.passed) process.exitCode = 1;
    });
  registerAnalysisCommands(program);
  program
    .command("tsdb")
    .description("maintain the embedded time-series store")
    .command("backfill <file>")
    .description(
      "write OpenMetrics history (every sample with a timestamp, ending in # EOF) straight into blocks",
    )
    .option("--storage.path <dir>", "data directory of a stopped server", "./data")
    .action(async (file: string, opts: Record<string, string>) => {
      process.exitCode = await backfillFile(file, opts["storage.path"]!);
    });
  return program;
}

/** `relay-monitor tsdb backfill`: returns the exit code. */
async function backfillFile(file: string, dir: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    console.error(`${file}: cannot read: ${(err as Error).message}`);
    return 1;
  }
  let db: DB;
  try {
    db = await openDB({ dir });
  } catch (err) {
    console.error(`${dir}: ${(err as Error).message}`);
    return 1;
  }
  try {
    const t0 = performance.now();
    const r = await backfillOpenMetrics(text, db.backfillAppendable({ ordered: false }));
    await db.compact();
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `${file}: ${r.samples} samples of ${r.series} series from ${new Date(r.minTime).toISOString()} to ${new Date(r.maxTime).toISOString()} written to ${dir} in ${secs.toFixed(1)} s`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ExpositionParseError) {
      console.error(`${file}:${err.line}:${err.column}: ${err.reason}`);
      return 1;
    }
    console.error(`${file}: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

/** Starts the server, reloads on SIGHUP, and stops cleanly on SIGTERM/SIGINT (exit 0). */
async function runUntilSignal(server: RelayMonitor): Promise<void> {
  try {
    await server.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      server.logger.error(err.message);
    } else {
      server.logger.error({ err }, "failed to start");
    }
    await server.stop().catch(() => {});
    process.exit(1);
  }
  process.on("SIGHUP", () => {
    server.reload().catch(() => {});
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, "shutting down");
    server.stop().then(
      () => process.exit(0),
      (err) => {
        server.logger.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
