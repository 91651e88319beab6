import { type ReactNode, useEffect, useRef, useState } from "react";
import { Link, navigate, useLocation } from "./components/nav.js";
import { BUILTIN_DASHBOARDS } from "./dashboards/builtin.js";
import { interpretKey } from "./keys.js";
import { DashboardPage } from "./pages/DashboardPage.js";
import { DashboardsPage } from "./pages/DashboardsPage.js";
import { ExplorePage } from "./pages/ExplorePage.js";
import { AnalysisPage, CapacityPage, CommunityPage } from "./pages/InsightPages.js";
import { AlertsPage, RulesPage, SilencesPage, TargetsPage } from "./pages/OpsPages.js";
import { StatusPage } from "./pages/StatusPage.js";
import { HOME_DASHBOARD, NAV, parseRoute, type Route, routePath } from "./router.js";

type Theme = "light" | "dark";

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() =>
    document.documentElement.dataset.theme === "dark" ? "dark" : "light",
  );
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = () =>
    setTheme((t) => {
      const next = t === "dark" ? "light" : "dark";
      try {
        localStorage.setItem("relay.theme", next);
      } catch {
        // storage may be unavailable (private mode); the theme still applies to this page
      }
      return next;
    });
  return [theme, toggle];
}

function Page(props: { route: Route; search: string }): ReactNode {
  const { route, search } = props;
  switch (route.page) {
    case "dashboard":
      return <DashboardPage key={route.uid} uid={route.uid} search={search} />;
    case "dashboards":
      return <DashboardsPage />;
    case "explore":
      return <ExplorePage search={search} />;
    case "targets":
      return <TargetsPage />;
    case "rules":
      return <RulesPage />;
    case "alerts":
      return <AlertsPage />;
    case "silences":
      return <SilencesPage search={search} />;
    case "analysis":
      return <AnalysisPage />;
    case "capacity":
      return <CapacityPage />;
    case "community":
      return <CommunityPage />;
    case "status":
      return <StatusPage />;
    case "notfound":
      return (
        <div>
          <h1>Page not found</h1>
          <p>
            Nothing at <code>{route.path}</code>. <Link href="/">Go to the System Overview</Link>.
          </p>
        </div>
      );
  }
}

function Help(props: { onClose: () => void }): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} onClose={props.onClose} aria-labelledby="help-title">
      <h2 id="help-title">Keyboard shortcuts</h2>
      <table className="data">
        <tbody>
          <tr>
            <td>
              <span className="kbd">g</span> <span className="kbd">h</span>
            </td>
            <td>Home (System Overview)</td>
          </tr>
          {NAV.map((n) => (
            <tr key={n.page}>
              <td>
                <span className="kbd">g</span> <span className="kbd">{n.key}</span>
              </td>
              <td>{n.label}</td>
            </tr>
          ))}
          <tr>
            <td>
              <span className="kbd">t</span>
            </td>
            <td>Toggle light and dark theme</td>
          </tr>
          <tr>
            <td>
              <span className="kbd">Enter</span> / <span className="kbd">Shift+Enter</span>
            </td>
            <td>In the query editor: run / new line</td>
          </tr>
          <tr>
            <td>
              <span className="kbd">Tab</span>
            </td>
            <td>Move between controls; Esc closes this dialog</td>
          </tr>
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}

/** The application shell: navigation, theme, shortcuts and the current page. */
export function App(): ReactNode {
  const loc = useLocation();
  const route = parseRoute(loc.pathname);
  const [theme, toggleTheme] = useTheme();
  const [help, setHelp] = useState(false);
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    let prev = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (
        t &&
        (t.closest("input, textarea, select, [contenteditable=true], .cm-editor") || t.isContentEditable)
      )
        return;
      const action = interpretKey(prev, e.key);
      prev = action?.kind === "prefix" ? e.key : "";
      clearTimeout(timer);
      if (prev) timer = setTimeout(() => (prev = ""), 1500);
      if (!action || action.kind === "prefix") return;
      e.preventDefault();
      if (action.kind === "help") setHelp(true);
      else if (action.kind === "theme") toggleTheme();
      else
        navigate(
          routePath(
            action.page === "dashboard"
              ? { page: "dashboard", uid: HOME_DASHBOARD }
              : ({ page: action.page } as Route),
          ),
        );
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [toggleTheme]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the page changes
  useEffect(() => {
    setMenuOpen(false);
    const title =
      route.page === "dashboard"
        ? BUILTIN_DASHBOARDS.find((d) => d.uid === route.uid)?.title
        : NAV.find((n) => n.page === route.page)?.label;
    document.title = title ? `${title} · Relay Monitor` : "Relay Monitor";
  }, [route.page, route.page === "dashboard" ? route.uid : ""]);

  const current = route.page === "dashboard" ? "dashboards" : route.page;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link className="brand" href="/">
          Relay Monitor
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="nav" className={`nav${menuOpen ? " open" : ""}`} aria-label="Main">
          {NAV.map((n) => (
            <Link
              key={n.page}
              href={`/${n.page}`}
              aria-current={current === n.page ? "page" : undefined}
              aria-keyshortcuts={`g ${n.key}`}
            >
              {n.label}
            </Link>
          ))}
        </nav>
        <button
          type="button"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
          title="Toggle theme (t)"
        >
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
        <button
          type="button"
          onClick={() => setHelp(true)}
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
        >
          ?
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} search={loc.search} />
      </main>
      {help && <Help onClose={() => setHelp(false)} />}
    </div>
  );
}
