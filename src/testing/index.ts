/**
 * Helpers for tests only (never imported by production code).
 *
 * External programs: a test that compares us with a real tool (node_exporter, promtool,
 * Prometheus, Alertmanager) wraps itself in {@link describeWithBinary}:
 *
 * ```ts
 * describeWithBinary("/usr/bin/promtool", "prometheus", "promtool agrees", (promtool) => {
 *   it("checks the same rules", async () => { ... });
 * });
 * ```
 *
 * When the program is installed the tests run. When it is missing they are skipped, with a title
 * that names the `apt-get install` command, on a developer machine; in CI (`CI=true`) a missing
 * program is a failure, because CI installs every one of them. {@link requireBinary} answers the
 * same question without registering tests, and {@link freePort} finds a port on 127.0.0.1 for
 * the program to listen on.
 *
 * Servers: {@link startChildServer} runs the real CLI (`dist/cli/main.js start`) in a child process
 * on 127.0.0.1 for tests that signal, kill -9 and restart it; {@link startWebhookRecorder} is a
 * local webhook receiver that records Alertmanager's webhook messages with their arrival times.
 */
export {
  type BinaryPolicy,
  type BinaryRequirement,
  binaryPolicy,
  describeWithBinary,
  freePort,
  requireBinary,
} from "./external.js";
export {
  type ChildServer,
  type ChildServerOptions,
  CLI_MAIN,
  type ReceivedWebhook,
  sleep,
  startChildServer,
  startWebhookRecorder,
  until,
  type WebhookAlert,
  type WebhookMessage,
  type WebhookRecorder,
} from "./server.js";
