import { lazy, type ReactNode, Suspense, useEffect, useRef, useState } from "react";
import { Link, navigate, useLocation } from "./components/nav.js";
import { interpretKey } from "./keys.js";
import { DashboardPage } from "./pages/DashboardPage.js";
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

// Every page but the dashboards (the home page) is its own chunk, loaded when first opened.
const DashboardsPage = lazy(() =>
  import("./pages/DashboardsPage.js").then((m) => ({ default: m.DashboardsPage })),
);
const ExplorePage = lazy(() => import("./pages/ExplorePage.js").then((m) => ({ default: m.ExplorePage })));
const insight = () => import("./pages/InsightPages.js");
const AnalysisPage = lazy(() => insight().then((m) => ({ default: m.AnalysisPage })));
const CapacityPage = lazy(() => insight().then((m) => ({ default: m.CapacityPage })));
const CommunityPage = lazy(() => insight().then((m) => ({ default: m.CommunityPage })));
const ops = () => import("./pages/OpsPages.js");
const AlertsPage = lazy(() => ops().then((m) => ({ default: m.AlertsPage })));
const RulesPage = lazy(() => ops().then((m) => ({ default: m.RulesPage })));
const SilencesPage = lazy(() => ops().then((m) => ({ default: m.SilencesPage })));
const TargetsPage = lazy(() => ops().then((m) => ({ default: m.TargetsPage })));
const StatusPage = lazy(() => import("./pages/StatusPage.js").then((m) => ({ default: m.StatusPage })));

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
    if (route.page === "dashboard") return; // the dashboard page titles itself once loaded
    const title = NAV.find((n) => n.page === route.page)?.label;
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
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page route={route} search={loc.search} />
        </Suspense>
      </main>
      {help && <Help onClose={() => setHelp(false)} />}
    </div>
  );
}
