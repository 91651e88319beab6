import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { uiRoutes } from "./ui.js";

const INDEX = "<!doctype html><title>Relay Monitor</title><div id=root></div>";

describe("uiRoutes serving a built app", () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-ui-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), INDEX);
    await writeFile(join(dir, "assets", "index-abc123.js"), "console.log(1)");
    await writeFile(join(dir, "assets", "index-abc123.css"), "body{}");
    await writeFile(join(dir, "favicon.svg"), "<svg/>");
    await writeFile(join(dir, ".secret"), "no");
    app = Fastify();
    app.get("/api/v1/labels", async () => ({ status: "success", data: [] }));
    app.get("/metrics", async () => "up 1\n");
    await app.register(uiRoutes, { root: dir });
  });

  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test.each([
    // path, status, content type, cache-control, body starts with
    ["/", 200, "text/html; charset=utf-8", "no-cache", "<!doctype"],
    ["/explorer", 200, "text/html; charset=utf-8", "no-cache", "<!doctype"],
    ["/dashboards/system-overview?from=now-1h", 200, "text/html; charset=utf-8", "no-cache", "<!doctype"],
    [
      "/assets/index-abc123.js",
      200,
      "text/javascript; charset=utf-8",
      "public, max-age=31536000, immutable",
      "console",
    ],
    [
      "/assets/index-abc123.css",
      200,
      "text/css; charset=utf-8",
      "public, max-age=31536000, immutable",
      "body",
    ],
    ["/favicon.svg", 200, "image/svg+xml", "no-cache", "<svg"],
    ["/index.html", 200, "text/html; charset=utf-8", "no-cache", "<!doctype"],
  ])("GET %s answers %i %s", async (url, status, type, cache, start) => {
    const res = await app.inject({ method: "GET", url });
    expect(res.statusCode).toBe(status);
    expect(res.headers["content-type"]).toBe(type);
    expect(res.headers["cache-control"]).toBe(cache);
    expect(res.body.startsWith(start)).toBe(true);
  });

  test.each([
    "/assets/missing-000.js",
    "/api/v1/nope",
    "/api/relay/v1/dashboards",
    "/-/nothing",
    "/metrics/unknown",
  ])("GET %s is not served by the app (404)", async (url) => {
    const res = await app.inject({ method: "GET", url });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain("Relay Monitor</title>");
  });

  test.each(["/.secret", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f.secret"])(
    "GET %s never reads outside the app or a dotfile",
    async (url) => {
      const res = await app.inject({ method: "GET", url });
      expect(res.body).not.toContain("root:");
      expect(res.body).not.toBe("no");
    },
  );

  test("the server's own routes keep precedence", async () => {
    expect((await app.inject({ method: "GET", url: "/metrics" })).body).toBe("up 1\n");
    expect((await app.inject({ method: "GET", url: "/api/v1/labels" })).json()).toEqual({
      status: "success",
      data: [],
    });
  });

  test("answers 304 to a matching If-None-Match", async () => {
    const first = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await app.inject({
      method: "GET",
      url: "/assets/index-abc123.js",
      headers: { "if-none-match": etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });
});

describe("uiRoutes without a built app", () => {
  test("answers 503 with a page that says how to build it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "relay-ui-empty-"));
    const app = Fastify();
    await app.register(uiRoutes, { root: join(dir, "missing") });
    const res = await app.inject({ method: "GET", url: "/dashboards" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.body).toContain("npm run build");
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });
});
