import { type AnchorHTMLAttributes, type ReactNode, useEffect, useState } from "react";

/** Goes to `href` (path and query) without reloading; `replace` keeps the history length. */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The current location, updated on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const [loc, setLoc] = useState({ pathname: location.pathname, search: location.search });
  useEffect(() => {
    const on = () => setLoc({ pathname: location.pathname, search: location.search });
    window.addEventListener("popstate", on);
    return () => window.removeEventListener("popstate", on);
  }, []);
  return loc;
}

/** A link that navigates inside the app (modified clicks open normally). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }): ReactNode {
  const { href, onClick, ...rest } = props;
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    />
  );
}
