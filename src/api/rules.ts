import type { FastifyInstance } from "fastify";
import {
  type AlertHistoryQuery,
  alertHistoryAPIData,
  alertsAPIData,
  type RuleManager,
  rulesAPIData,
} from "../rules/index.js";
import { params, success } from "./app.js";
import { badData } from "./errors.js";

/** What the rule endpoints read. */
export interface RulesApiDeps {
  readonly rules: RuleManager;
}

/**
 * `/api/v1/rules` and `/api/v1/alerts` in Prometheus's shapes, and Relay's alert history at
 * `/api/relay/v1/alerts/history` (every transition, newest first).
 */
export async function rulesRoutes(app: FastifyInstance, deps: RulesApiDeps): Promise<void> {
  app.get("/api/v1/rules", async (req, reply) => {
    const p = params(req);
    let data: ReturnType<typeof rulesAPIData>;
    try {
      data = rulesAPIData(deps.rules, {
        type: p.get("type"),
        ruleName: p.getAll("rule_name[]"),
        ruleGroup: p.getAll("rule_group[]"),
        file: p.getAll("file[]"),
        excludeAlerts: p.get("exclude_alerts") === "true",
      });
    } catch (err) {
      throw badData((err as Error).message);
    }
    success(reply, data);
  });
  app.get("/api/v1/alerts", async (_req, reply) => success(reply, alertsAPIData(deps.rules)));
  app.get("/api/relay/v1/alerts/history", async (req, reply) => {
    const p = params(req);
    const state = p.get("state");
    const q: AlertHistoryQuery = {
      from: p.get("start") ? p.time("start", 0) : undefined,
      to: p.get("end") ? p.time("end", 0) : undefined,
      alertname: p.get("alertname"),
      state: state as AlertHistoryQuery["state"],
      limit: p.limit() || undefined,
    };
    success(reply, alertHistoryAPIData(deps.rules, q));
  });
}
