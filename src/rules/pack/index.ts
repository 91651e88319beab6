import { fileURLToPath } from "node:url";

/**
 * Path of Relay's default rule pack (host, application, consensus, database, target and
 * community-health alerts), a Prometheus rule file that `promtool check rules` accepts. The
 * build copies nothing: the path points into src/ (and dist/ resolves back to it).
 */
export const DEFAULT_RULE_PACK: string = fileURLToPath(
  new URL("../../../src/rules/pack/relay-default.rules.yml", import.meta.url),
);

/** Path of the pack's unit tests, in promtool's `test rules` format. */
export const DEFAULT_RULE_PACK_TESTS: string = fileURLToPath(
  new URL("../../../src/rules/pack/relay-default.test.yml", import.meta.url),
);
