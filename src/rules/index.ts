/**
 * Rules: Prometheus rule files (recording and alerting rules, promtool's validation and unit
 * tests), the evaluation loop with alert state (pending → firing → resolved, keep_firing_for,
 * restore after restart from ALERTS_FOR_STATE), alert history, the API shapes of
 * /api/v1/rules and /api/v1/alerts, templates, and Relay's default rule pack (pack/).
 * RULES.md documents Relay's rule conventions (severity, channels, cooldown).
 */
export {
  type AlertHistoryJSON,
  type AlertJSON,
  alertHistoryAPIData,
  alertsAPIData,
  type RuleGroupJSON,
  type RuleJSON,
  type RulesQuery,
  rfc3339,
  rulesAPIData,
} from "./api.js";
export { checkRuleFiles, type RuleCheckResult } from "./check.js";
export { formatGoFloat, goSprintf } from "./gofmt.js";
export { Group, NOP_LOGGER, type RulesLogger } from "./group.js";
export {
  type AlertHistoryEntry,
  type AlertHistoryQuery,
  type AlertHistoryStore,
  MemoryAlertHistory,
  SqliteAlertHistory,
} from "./history.js";
export { globFiles, RuleManager, type RuleManagerOptions, type RulesConfig } from "./manager.js";
export { DEFAULT_RULE_PACK, DEFAULT_RULE_PACK_TESTS } from "./pack/index.js";
export {
  type ActiveAlert,
  AlertingRule,
  type AlertState,
  engineQueryFunc,
  type QueryFunc,
  RecordingRule,
  type Rule,
  type RuleHealth,
  type RuleSample,
} from "./rule.js";
export {
  DEFAULT_COOLDOWN_MS,
  formatRuleProblem,
  loadRuleFiles,
  parseRules,
  type RuleFileSpec,
  type RuleGroupSpec,
  RuleLoadError,
  type RuleProblem,
  type RuleSpec,
  type RuleWarning,
} from "./rulefmt.js";
export {
  type AlertTemplateData,
  expandAlertTemplate,
  humanize,
  humanize1024,
  humanizeDuration,
  humanizePercentage,
  humanizeTimestamp,
  parseAlertTemplate,
  Template,
  TemplateError,
} from "./template.js";
export { goDurationString, type RuleTestResult, type StorageFactory, testRuleFiles } from "./unittest.js";
