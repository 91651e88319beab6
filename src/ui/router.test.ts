import { expect, test } from "vitest";
import { parseRoute, routePath } from "./router.js";

test.each([
  ["/", { page: "dashboard", uid: "system-overview" }],
  ["/d/network-health", { page: "dashboard", uid: "network-health" }],
  ["/dashboards/a%20b", { page: "dashboard", uid: "a b" }],
  ["/dashboards", { page: "dashboards" }],
  ["/explore", { page: "explore" }],
  ["/graph", { page: "explore" }],
  ["/targets/", { page: "targets" }],
  ["/status", { page: "status" }],
  ["/nope", { page: "notfound", path: "/nope" }],
  ["/targets/extra", { page: "notfound", path: "/targets/extra" }],
])("parseRoute(%j)", (path, want) => {
  expect(parseRoute(path)).toEqual(want);
});

test.each(["/d/system-overview", "/explore", "/silences"])("routePath inverts parseRoute for %s", (p) => {
  expect(routePath(parseRoute(p))).toBe(p);
});
