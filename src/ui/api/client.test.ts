import { describe, expect, test } from "vitest";
import { encodeParams, interpretResponse, isNotAvailable } from "./client.js";

describe("interpretResponse", () => {
  test.each([
    [
      "success envelope",
      200,
      '{"status":"success","data":[1]}',
      { ok: true, data: [1], warnings: [], infos: [] },
    ],
    [
      "success with warnings",
      200,
      '{"status":"success","data":2,"warnings":["w"],"infos":["i"]}',
      { ok: true, data: 2, warnings: ["w"], infos: ["i"] },
    ],
    [
      "error envelope",
      400,
      '{"status":"error","errorType":"bad_data","error":"parse error"}',
      { ok: false, status: 400, errorType: "bad_data", error: "parse error" },
    ],
    [
      "404 without envelope",
      404,
      "404 page not found: /api/v1/rules\n",
      { ok: false, status: 404, errorType: "not_available", error: "not available on this server" },
    ],
    [
      "404 with an envelope is the server's own error",
      404,
      '{"status":"error","errorType":"not_found","error":"no such dashboard"}',
      { ok: false, status: 404, errorType: "not_found", error: "no such dashboard" },
    ],
    [
      "bare JSON (Alertmanager v2)",
      200,
      '[{"id":"a"}]',
      { ok: true, data: [{ id: "a" }], warnings: [], infos: [] },
    ],
    [
      "server failure",
      502,
      "bad gateway",
      { ok: false, status: 502, errorType: "http", error: "HTTP 502: bad gateway" },
    ],
  ])("%s", (_name, status, body, want) => {
    expect(interpretResponse(status, body)).toEqual(want);
  });

  test("isNotAvailable tells a missing endpoint from other failures", () => {
    expect(isNotAvailable(interpretResponse(404, "nope"))).toBe(true);
    expect(
      isNotAvailable(interpretResponse(400, '{"status":"error","errorType":"bad_data","error":"x"}')),
    ).toBe(false);
  });
});

test("encodeParams repeats array keys and drops undefined", () => {
  expect(encodeParams({ "match[]": ["up", 'a{b="c"}'], start: 1, end: undefined })).toBe(
    "match%5B%5D=up&match%5B%5D=a%7Bb%3D%22c%22%7D&start=1",
  );
});
