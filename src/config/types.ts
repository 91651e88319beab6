import { z } from "zod";
import { isDuration, parseDuration } from "../model/index.js";

/** Renders a value for an error message the way a user typed it. */
export function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (typeof v === "object") return Array.isArray(v) ? "a list" : "a mapping";
  return String(v);
}

/** A Prometheus duration string (`15s`, `1h30m`), parsed to milliseconds. */
export const duration = () =>
  z.unknown().transform((v, ctx): number => {
    if (typeof v === "string" && isDuration(v)) return parseDuration(v);
    ctx.addIssue({ code: "custom", message: `expected a duration like 15s, got ${shown(v)}` });
    return z.NEVER;
  });

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KB: 1024,
  KiB: 1024,
  MB: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1024 ** 3,
  GiB: 1024 ** 3,
  TB: 1024 ** 4,
  TiB: 1024 ** 4,
};

/** A byte size like Prometheus's units (`512MB`, `1GB`, `0` = no limit), parsed to bytes. */
export const byteSize = () =>
  z.unknown().transform((v, ctx): number => {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === "string") {
      const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?$/.exec(v.trim());
      if (m) return Math.round(Number(m[1]) * SIZE_UNITS[m[2] ?? ""]!);
    }
    ctx.addIssue({ code: "custom", message: `expected a size like 512MB or 0, got ${shown(v)}` });
    return z.NEVER;
  });

/** A non-negative integer limit; 0 means unlimited. */
export const limit = () =>
  z.unknown().transform((v, ctx): number => {
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    ctx.addIssue({ code: "custom", message: `expected a whole number >= 0 (0 = no limit), got ${shown(v)}` });
    return z.NEVER;
  });

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label name (legacy charset). */
export const labelName = () =>
  z.unknown().transform((v, ctx): string => {
    if (typeof v === "string" && LABEL_NAME_RE.test(v)) return v;
    ctx.addIssue({
      code: "custom",
      message: `expected a label name matching [a-zA-Z_][a-zA-Z0-9_]*, got ${shown(v)}`,
    });
    return z.NEVER;
  });

/** A mapping of label names to string values. */
export const labelSet = () =>
  z.record(z.string(), z.unknown()).transform((rec, ctx): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (!LABEL_NAME_RE.test(k)) {
        ctx.addIssue({ code: "custom", path: [k], message: `invalid label name ${shown(k)}` });
      } else if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `expected a string label value, got ${shown(v)}`,
        });
      } else {
        out[k] = String(v);
      }
    }
    return out;
  });
