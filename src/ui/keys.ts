/**
 * Keyboard shortcuts: `g` followed by a page key goes to that page (as in GitHub and Grafana),
 * `?` opens the help, `t` toggles the theme. Typing in inputs and editors never triggers them.
 */
import { NAV, type Route } from "./router.js";

/** What a key press means given the previous key. */
export type KeyAction =
  | { kind: "go"; page: Route["page"] }
  | { kind: "help" }
  | { kind: "theme" }
  | { kind: "prefix" }
  | null;

/** Interprets `key` after `previous` (the last key pressed within the chord window, or ""). */
export function interpretKey(previous: string, key: string): KeyAction {
  if (previous === "g") {
    const entry = NAV.find((n) => n.key === key);
    if (entry) return { kind: "go", page: entry.page };
    if (key === "h") return { kind: "go", page: "dashboard" };
    return null;
  }
  if (key === "g") return { kind: "prefix" };
  if (key === "?") return { kind: "help" };
  if (key === "t") return { kind: "theme" };
  return null;
}
