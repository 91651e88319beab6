/**
 * The configuration schema: the single source of truth for types, defaults and validation of the
 * YAML file (Prometheus's sections with their meaning, plus Relay's own).
 */

export { type CommunityConfig, communityConfigSchema } from "./community.js";
export {
  type Config,
  ConfigError,
  type ConfigProblem,
  defaultConfig,
  formatProblem,
  loadConfigFile,
  parseConfig,
  type ScrapeJobConfig,
} from "./load.js";
export { configSchema, relabelConfigSchema } from "./schema.js";
