import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { type Dashboard, validateDashboard } from "../dashboards/model.js";
import { fromGrafana, isGrafanaDashboard, toGrafana } from "./grafana.js";

const fixture = JSON.parse(
  readFileSync(new URL("../testdata/grafana-node-host.json", import.meta.url), "utf8"),
);

describe("importing a Grafana dashboard", () => {
  const { dashboard, warnings } = fromGrafana(fixture);

  test("keeps identity, time and refresh", () => {
    expect(dashboard.uid).toBe("node-host-test");
    expect(dashboard.title).toBe("Node Host (test fixture)");
    expect(dashboard.time).toEqual({ from: "now-15m", to: "now" });
    expect(dashboard.refresh).toBe("1m");
    expect(dashboard.tags).toEqual(["linux", "node_exporter"]);
  });

  test("flattens collapsed rows and maps panel types", () => {
    expect(dashboard.panels.map((p) => [p.id, p.type, p.title])).toEqual([
      ["1", "stat", "Uptime"],
      ["2", "gauge", "Memory used"],
      ["3", "bar", "Filesystem used"],
      ["4", "timeseries", "CPU busy"],
      ["5", "timeseries", "Memory"],
      ["6", "timeseries", "Disk I/O"],
      ["7", "table", "Network interfaces"],
    ]);
  });

  test("carries queries, legends, units, limits, thresholds and stacking", () => {
    const byId = Object.fromEntries(dashboard.panels.map((p) => [p.id, p]));
    expect(byId["1"]!.queries[0]!.instant).toBe(true);
    expect(byId["1"]!.queries[0]!.legend).toBe("{{instance}}");
    expect(byId["1"]!.unit).toBe("s");
    expect(byId["1"]!.decimals).toBe(1);
    expect(byId["2"]!.thresholds).toEqual([
      { value: null, color: "ok" },
      { value: 80, color: "#EAB839" },
      { value: 90, color: "critical" },
    ]);
    expect([byId["2"]!.min, byId["2"]!.max]).toEqual([0, 100]);
    expect(byId["4"]!.stack).toBe(true);
    expect(byId["4"]!.queries).toHaveLength(1); // the hidden target is left out
    expect(byId["5"]!.unit).toBe("bytes"); // old graph panel: yaxes[0].format
    expect(byId["7"]!.queries[0]!.instant).toBe(true); // format: table
  });

  test("keeps label_values, custom and constant variables and reports the rest", () => {
    expect(dashboard.variables).toEqual([
      { name: "job", label: "Job", query: "label_values(node_uname_info, job)" },
      {
        name: "instance",
        label: "Host",
        query: 'label_values(node_uname_info{job="$job"}, instance)',
        multi: true,
        includeAll: true,
        current: ["$__all"],
      },
      {
        name: "diskdevices",
        query: "",
        values: ["[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+"],
        current: ["[a-z]+|nvme[0-9]+n[0-9]+|mmcblk[0-9]+"],
      },
    ]);
    expect(warnings).toEqual([
      'panel "Grafana blog": type "news" is not supported and was left out',
      'variable $interval_choice: type "interval" is not supported',
    ]);
  });

  test("the result is a valid dashboard of our model", () => {
    expect(() => validateDashboard(dashboard)).not.toThrow();
  });

  test("accepts the dashboard wrapped as Grafana's API returns it", () => {
    expect(fromGrafana({ dashboard: fixture, meta: {} }).dashboard.uid).toBe("node-host-test");
    expect(isGrafanaDashboard(fixture)).toBe(true);
    expect(isGrafanaDashboard({ title: "ours", panels: [] })).toBe(false);
  });

  test("rejects what is not a dashboard, saying why", () => {
    expect(() => fromGrafana([])).toThrow(/JSON object/);
    expect(() => fromGrafana({ title: "x" })).toThrow(/no panels/);
  });

  test("reads pre-5.0 rows with spans", () => {
    const old = {
      title: "old",
      rows: [
        {
          height: "300px",
          panels: [
            { type: "graph", span: 6, targets: [{ expr: "up" }] },
            {
              type: "singlestat",
              span: 6,
              thresholds: "1,2",
              colors: ["green", "yellow", "red"],
              targets: [{ expr: "up" }],
            },
          ],
        },
      ],
    };
    const { dashboard: d } = fromGrafana(old);
    expect(d.panels.map((p) => p.grid)).toEqual([
      { x: 0, y: 0, w: 12, h: 10 },
      { x: 12, y: 0, w: 12, h: 10 },
    ]);
    expect(d.panels[1]!.thresholds).toEqual([
      { value: null, color: "ok" },
      { value: 1, color: "warning" },
      { value: 2, color: "critical" },
    ]);
  });
});

describe("exporting to Grafana", () => {
  const ours: Dashboard = {
    uid: "app",
    title: "Application Performance",
    time: { from: "now-1h", to: "now" },
    refresh: "30s",
    variables: [
      {
        name: "endpoint",
        query: "label_values(relay_http_requests_total, endpoint)",
        multi: true,
        includeAll: true,
      },
    ],
    panels: [
      {
        id: "p95",
        type: "timeseries",
        title: "p95 latency",
        grid: { x: 0, y: 0, w: 12, h: 8 },
        unit: "s",
        thresholds: [
          { value: null, color: "ok" },
          { value: 0.1, color: "warning" },
          { value: 0.5, color: "critical" },
          { value: 1, color: "critical" },
        ],
        queries: [
          {
            expr: "histogram_quantile(0.95, sum by (le) (rate(relay_http_request_duration_seconds_bucket[5m])))",
            legend: "p95",
          },
        ],
      },
      {
        id: "rps",
        type: "stat",
        title: "Requests",
        grid: { x: 12, y: 0, w: 6, h: 4 },
        unit: "reqps",
        queries: [{ expr: "sum(rate(relay_http_requests_total[5m]))" }],
      },
      {
        id: "bars",
        type: "bar",
        title: "By endpoint",
        grid: { x: 18, y: 0, w: 6, h: 4 },
        queries: [{ expr: "x", instant: false }],
      },
    ],
  };

  test("writes Grafana's panel, target, field config and templating shapes", () => {
    const g = toGrafana(ours) as {
      __inputs: { name: string }[];
      panels: {
        type: string;
        gridPos: unknown;
        targets: {
          expr: string;
          legendFormat: string;
          refId: string;
          instant: boolean;
          datasource: unknown;
        }[];
        fieldConfig: {
          defaults: { unit?: string; thresholds: { steps: { color: string; value: number | null }[] } };
        };
      }[];
      templating: { list: { type: string; definition: string; query: { query: string } }[] };
    };
    expect(g.__inputs[0]!.name).toBe("DS_PROMETHEUS");
    expect(g.panels.map((p) => p.type)).toEqual(["timeseries", "stat", "bargauge"]);
    expect(g.panels[0]!.targets[0]).toMatchObject({ legendFormat: "p95", refId: "A", instant: false });
    expect(g.panels[0]!.fieldConfig.defaults.thresholds.steps).toEqual([
      { color: "green", value: null },
      { color: "orange", value: 0.1 },
      { color: "red", value: 0.5 },
      { color: "red", value: 1 },
    ]);
    expect(g.panels[1]!.targets[0]!.instant).toBe(true);
    expect(g.panels[2]!.targets[0]!.instant).toBe(false);
    expect(g.templating.list[0]).toMatchObject({
      type: "query",
      definition: "label_values(relay_http_requests_total, endpoint)",
      query: { query: "label_values(relay_http_requests_total, endpoint)" },
    });
  });

  test("export then import gives the dashboard back", () => {
    const back = fromGrafana(JSON.parse(JSON.stringify(toGrafana(ours))));
    expect(back.warnings).toEqual([]);
    const strip = (d: Dashboard) => ({
      ...d,
      panels: d.panels.map(({ id: _id, ...p }) => ({
        ...p,
        queries: p.queries.map(({ refId: _r, instant: _i, ...q }) => q),
      })),
    });
    expect(strip(back.dashboard)).toEqual(strip(ours));
  });

  test("the imported fixture exports and re-imports to the same panels", () => {
    const { dashboard } = fromGrafana(fixture);
    const again = fromGrafana(JSON.parse(JSON.stringify(toGrafana(dashboard)))).dashboard;
    expect(again.panels.map((p) => [p.type, p.title, p.unit, p.queries.map((q) => q.expr)])).toEqual(
      dashboard.panels.map((p) => [p.type, p.title, p.unit, p.queries.map((q) => q.expr)]),
    );
    expect(again.variables).toEqual(dashboard.variables);
  });
});
