import { describe, expect, test } from "vitest";
import {
  contentTypeFor,
  formatFromContentType,
  negotiateResponseFormat,
  OPENMETRICS_CONTENT_TYPE,
  SCRAPE_ACCEPT_HEADER,
  TEXT_CONTENT_TYPE,
} from "./index.js";

describe("the scrape Accept header", () => {
  test("is Prometheus 3's default protocol list without protobuf", () => {
    expect(SCRAPE_ACCEPT_HEADER).toBe(
      "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
        "application/openmetrics-text;version=0.0.1;q=0.5," +
        "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
        "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
    );
  });
  test("makes our own /metrics answer in OpenMetrics", () => {
    expect(negotiateResponseFormat(SCRAPE_ACCEPT_HEADER)).toBe("openmetrics");
  });
});

describe("formatFromContentType", () => {
  const cases: [string | undefined, "text" | "openmetrics"][] = [
    ["application/openmetrics-text; version=1.0.0; charset=utf-8", "openmetrics"],
    ["application/openmetrics-text;version=0.0.1", "openmetrics"],
    ["Application/OpenMetrics-Text", "openmetrics"],
    ["  application/openmetrics-text ;charset=utf-8", "openmetrics"],
    ["text/plain; version=0.0.4; charset=utf-8", "text"],
    ["text/plain", "text"],
    ["application/json", "text"],
    ["application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "text"],
    ["garbage;;;", "text"],
    ["", "text"],
    [undefined, "text"],
  ];
  test.each(cases)("%j → %s", (ct, want) => {
    expect(formatFromContentType(ct)).toBe(want);
  });
});

describe("negotiateResponseFormat", () => {
  const cases: [string | undefined, "text" | "openmetrics"][] = [
    [undefined, "text"],
    ["", "text"],
    ["*/*", "text"],
    ["text/plain", "text"],
    ["application/openmetrics-text", "openmetrics"],
    ["application/openmetrics-text; version=1.0.0", "openmetrics"],
    ['application/openmetrics-text; version="0.0.1"', "openmetrics"],
    ["application/openmetrics-text; version=2.0.0", "text"],
    ["text/plain;version=0.0.4;q=0.3,application/openmetrics-text;version=1.0.0;q=0.6", "openmetrics"],
    ["application/openmetrics-text;q=0.2,text/plain;q=0.9", "text"],
    ["application/openmetrics-text;q=0,text/plain;q=0.1", "text"],
    ["application/openmetrics-text;q=0", "text"],
    ["text/plain, application/openmetrics-text", "text"],
    ["application/openmetrics-text, text/plain", "openmetrics"],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text"],
    ["application/json, application/openmetrics-text;q=0.5", "openmetrics"],
    ["application/openmetrics-text;q=bogus,text/plain", "text"],
  ];
  test.each(cases)("%j → %s", (accept, want) => {
    expect(negotiateResponseFormat(accept)).toBe(want);
  });

  test("content types", () => {
    expect(contentTypeFor("text")).toBe(TEXT_CONTENT_TYPE);
    expect(contentTypeFor("openmetrics")).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(TEXT_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(OPENMETRICS_CONTENT_TYPE).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(formatFromContentType(OPENMETRICS_CONTENT_TYPE)).toBe("openmetrics");
  });
});
