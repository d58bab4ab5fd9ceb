import { useEffect, useState } from 'react';
import { useHealth, useHealthLoader } from './stores/health-store';
import { hrefFor, useRoute, type Screen } from './lib/route';
import { connectLiveUpdates } from './stores/live-updates';
import { connectOpenFile } from './stores/open-file';
import { connectOtherProcesses } from './stores/other-process';
import { useSchedulerStore } from './stores/scheduler-store';
import { schedulesRunByText } from './lib/other-process';
import { Focusable, Tooltip, TooltipTrigger } from 'react-aria-components';
import { DropZone } from './components/DropZone';
import { NavIcon } from './components/NavIcon';
import { UnsavedChangesDialog } from './components/UnsavedChangesDialog';
import { guardInAppLinks } from './stores/leave-guard';
import { useAppStore } from './stores/app-store';
import { useJobsStore } from './stores/jobs-store';
import { DashboardScreen } from './screens/DashboardScreen';
import { PlansScreen } from './screens/PlansScreen';
import { HistoryScreen } from './screens/HistoryScreen';
import { VerifyScreen } from './screens/VerifyScreen';
import { RestoreScreen } from './screens/RestoreScreen';
import { SettingsScreen } from './screens/SettingsScreen';

const NAV: { screen: Screen; label: string }[] = [
  { screen: 'dashboard', label: 'Dashboard' },
  { screen: 'plans', label: 'Plans' },
  { screen: 'history', label: 'History' },
  { screen: 'verify', label: 'Verify' },
  { screen: 'restore', label: 'Restore' },
  { screen: 'settings', label: 'Settings' },
];

function Logo() {
  // a ring buoy, drawn inline: the CSP allows no remote images and this needs no asset file
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true">
      <circle cx="16" cy="16" r="12" className="logo-ring" />
      <circle cx="16" cy="16" r="12" className="logo-bands" />
    </svg>
  );
}

const COLLAPSED_KEY = 'lifeboat.sidebarCollapsed';

/** Collapsed by choice (remembered), or by default in a narrow window. */
function useSidebarCollapsed(): [boolean, (value: boolean) => void] {
  const [collapsed, setCollapsed] = useState(() => {
    const saved = window.localStorage.getItem(COLLAPSED_KEY);
    return saved === null ? window.innerWidth < 1000 : saved === '1';
  });
  return [
    collapsed,
    (value) => {
      window.localStorage.setItem(COLLAPSED_KEY, value ? '1' : '0');
      setCollapsed(value);
    },
  ];
}

export function App() {
  const route = useRoute();
  const paused = useAppStore((s) => s.paused);
  const runningCount = useJobsStore((s) => Object.keys(s.active).length);
  // the `lifeboat daemon` service (or another app) may run the schedules of this catalog
  const runBy = useSchedulerStore((s) => s.status?.runBy);
  const runByOther = schedulesRunByText(runBy);
  // the same health as the Dashboard's banner, as a dot beside Dashboard (src/shared/health.ts)
  useHealthLoader();
  const health = useHealth();
  const [collapsed, setCollapsed] = useSidebarCollapsed();

  useEffect(() => connectLiveUpdates(), []);
  // a .lifeboat file opened from the file manager or the command line opens in Restore
  useEffect(() => connectOpenFile(), []);
  // jobs another process runs are read from the catalog, not pushed
  useEffect(() => connectOtherProcesses(), []);
  // leaving the plan editor with unsaved changes asks first
  useEffect(() => guardInAppLinks(), []);
  // a new screen starts at its top (the content pane keeps its scroll otherwise)
  useEffect(() => {
    // a block body: newer Chromium returns a promise from scrollTo, which React would take for a cleanup
    document.getElementById('main')?.scrollTo(0, 0);
  }, [route.screen]);

  return (
    <div className={collapsed ? 'app app-collapsed' : 'app'}>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          // not a hash change: the hash is the route
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <Logo />
          <span className="brand-name">Lifeboat</span>
          <button
            type="button"
            className="sidebar-toggle"
            aria-expanded={!collapsed}
            aria-label={collapsed ? 'Expand the sidebar' : 'Collapse the sidebar'}
            title={collapsed ? 'Expand the sidebar' : 'Collapse the sidebar'}
            onClick={() => setCollapsed(!collapsed)}
          >
            {collapsed ? '»' : '«'}
          </button>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => {
              const link = (
                <a href={hrefFor(item.screen)} className="nav-link" aria-current={route.screen === item.screen ? 'page' : undefined}>
                  <NavIcon screen={item.screen} />
                  {/* the link's name; collapsed, it is hidden from sight only and the tooltip shows it */}
                  <span className="nav-label">{item.label}</span>
                  {item.screen === 'dashboard' && health && health.level !== 'ok' && (
                    <span className={`dot nav-dot dot-${health.level}`} role="img" aria-label={health.level === 'error' ? 'failing' : 'needs a look'} title={health.headline} />
                  )}
                </a>
              );
              return (
                <li key={item.screen}>
                  {collapsed ? (
                    // on hover and on keyboard focus, Escape hides it (react-aria)
                    <TooltipTrigger delay={300} closeDelay={0}>
                      <Focusable>{link}</Focusable>
                      <Tooltip className="nav-tooltip" placement="end" offset={10}>
                        {item.label}
                      </Tooltip>
                    </TooltipTrigger>
                  ) : (
                    link
                  )}
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="sidebar-status" role="status">
          <span className={`dot ${paused ? 'dot-paused' : 'dot-running'}`} aria-hidden="true" />
          {runByOther ? <span title={`on host ${runBy?.host}`}>{runByOther}</span> : paused ? 'Schedules paused' : 'Schedules active'}
          {runningCount > 0 && <span className="sidebar-running">{runningCount} running</span>}
        </div>
      </aside>
      <main className="content" id="main" tabIndex={-1}>
        {route.screen === 'dashboard' && <DashboardScreen />}
        {route.screen === 'plans' && <PlansScreen />}
        {route.screen === 'history' && <HistoryScreen jobId={route.params.get('job')} />}
        {route.screen === 'verify' && <VerifyScreen />}
        {route.screen === 'restore' && <RestoreScreen />}
        {route.screen === 'settings' && <SettingsScreen />}
      </main>
      <DropZone />
      <UnsavedChangesDialog />
    </div>
  );
}
