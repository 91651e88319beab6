/**
 * An alert as the rule engine hands it to the notification pipeline: the same fields Prometheus
 * posts to Alertmanager's `POST /api/v2/alerts`. Times are ms since the epoch; `endsAt` in the
 * future (or 0) means still firing, in the past means resolved.
 */
export interface Alert {
  /** Identity of the alert: alertname, severity, the series' labels, the rule's labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Rendered annotations (summary, description, runbook_url, ...). */
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: number;
  readonly endsAt: number;
  /** Link back to the expression that produced it. */
  readonly generatorURL: string;
  /** The value of the alert expression at the last evaluation (for receivers that show it). */
  readonly value?: number;
}

/** Severities of the seed's rule model, in increasing order. */
export const SEVERITIES = ["info", "warning", "critical"] as const;

/** A severity label value. */
export type Severity = (typeof SEVERITIES)[number];

/** Sends alerts onward (to the notification pipeline); the rule engine knows only this. */
export type NotifyFunc = (alerts: readonly Alert[]) => void;
