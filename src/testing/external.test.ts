import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { binaryPolicy, freePort, requireBinary } from "./index.js";

describe("requireBinary", () => {
  it.each<[string, string, boolean, string]>([
    ["an executable", process.execPath, true, "is available"],
    ["a missing file", "/nonexistent/bin/tool", false, "apt-get install some-package"],
    ["a file that is not executable", import.meta.filename, false, "is not installed"],
  ])("reports %s", (_name, path, available, message) => {
    const req = requireBinary(path, "some-package");
    expect(req.available).toBe(available);
    expect(req.message).toContain(message);
    expect(req.message).toContain(path);
  });
});

describe("binaryPolicy", () => {
  it.each<[boolean, NodeJS.ProcessEnv, string]>([
    [true, {}, "run"],
    [true, { CI: "true" }, "run"],
    [false, {}, "skip"],
    [false, { CI: "false" }, "skip"],
    [false, { CI: "1" }, "skip"],
    [false, { CI: "true" }, "fail"],
  ])("available=%s env=%j → %s", (available, env, want) => {
    expect(binaryPolicy(available, env)).toBe(want);
  });
});

describe("freePort", () => {
  it("returns a port on 127.0.0.1 that can be bound", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.on("error", reject);
      srv.listen(port, "127.0.0.1", () => resolve());
    });
    await new Promise((r) => srv.close(r));
  });
});
