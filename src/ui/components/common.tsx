import { type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import type { ApiResult } from "../api/client.js";

/** The state of an API call made by a page. */
export type Loadable<T> = { state: "loading" } | { state: "done"; result: ApiResult<T> };

/** Calls `fn` when `deps` change (and on `reload()`); the latest answer wins. */
export function useApi<T>(
  fn: () => Promise<ApiResult<T>>,
  deps: readonly unknown[],
): [Loadable<T>, () => void] {
  const [value, setValue] = useState<Loadable<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists fn's inputs in deps
  useEffect(() => {
    const mine = ++seq.current;
    fn().then((result) => {
      if (mine === seq.current) setValue({ state: "done", result });
    });
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [value, reload];
}

/** Renders a loadable: loading text, the "not available" notice, an error, or `children(data)`. */
export function ApiView<T>(props: {
  value: Loadable<T>;
  what: string;
  children: (data: T) => ReactNode;
}): ReactNode {
  const v = props.value;
  if (v.state === "loading") return <p className="muted">Loading {props.what}…</p>;
  if (!v.result.ok) {
    if (v.result.errorType === "not_available") return <NotAvailable what={props.what} />;
    return <ErrorNotice error={`${v.result.errorType}: ${v.result.error}`} />;
  }
  return props.children(v.result.data);
}

/** The notice shown when this server does not offer an endpoint (yet). */
export function NotAvailable(props: { what: string }): ReactNode {
  return (
    <div className="notice unavailable" role="status" data-testid="not-available">
      <strong>{props.what}: not available on this server.</strong>{" "}
      <span className="muted">
        The API endpoint for this page answered 404; it needs a server with that feature.
      </span>
    </div>
  );
}

/** An error message box. */
export function ErrorNotice(props: { error: string }): ReactNode {
  return (
    <div className="notice error" role="alert">
      {props.error}
    </div>
  );
}

/** A label set as chips. */
export function Labels(props: {
  labels: Readonly<Record<string, string>>;
  skip?: readonly string[];
}): ReactNode {
  return (
    <span className="labels">
      {Object.entries(props.labels)
        .filter(([k]) => !props.skip?.includes(k))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => (
          <code key={k}>
            {k}="{v}"
          </code>
        ))}
    </span>
  );
}

/** "3m ago" style relative time. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return "never";
  const s = Math.round((now - t) / 1000);
  if (s < 0) return `in ${-s}s`;
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
