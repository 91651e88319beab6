/**
 * Alerting rules over the community series, in Prometheus rule-file YAML, for the rule engine to
 * load (write it to a file listed in `rule_files`, or load it directly). Health alerts fire on a
 * score drop of more than 20 % week over week and on a low score.
 */
export const COMMUNITY_ALERT_RULES = `groups:
  - name: relay-community
    rules:
      - alert: CommunityHealthDropped
        expr: relay_community_health_score_change_ratio < -0.2
        for: 30m
        labels:
          severity: warning
        annotations:
          summary: "Health of channel {{ $labels.channel }} fell more than 20 % in a week"
          description: "The community health score of {{ $labels.channel }} changed by {{ $value | humanizePercentage }} over 7 days; see /api/relay/v1/community/health for the weak component."
      - alert: CommunityHealthLow
        expr: relay_community_health_score < 40
        for: 1h
        labels:
          severity: info
        annotations:
          summary: "Health of channel {{ $labels.channel }} is {{ $value | printf \\"%.0f\\" }}/100"
      - alert: CommunityGovernanceConcentrated
        expr: relay_community_governance_nakamoto_coefficient <= 2
        for: 1h
        labels:
          severity: warning
        annotations:
          summary: "Two or fewer voters control half the voting weight in {{ $labels.channel }}"
`;
