import { useEffect } from 'react';
import { hrefFor, useRoute, type Screen } from './lib/route';
import { connectLiveUpdates } from './stores/live-updates';
import { connectOpenFile } from './stores/open-file';
import { connectOtherProcesses } from './stores/other-process';
import { useSchedulerStore } from './stores/scheduler-store';
import { schedulesRunByText } from './lib/other-process';
import { DropZone } from './components/DropZone';
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

export function App() {
  const route = useRoute();
  const paused = useAppStore((s) => s.paused);
  const runningCount = useJobsStore((s) => Object.keys(s.active).length);
  // the `lifeboat daemon` service (or another app) may run the schedules of this catalog
  const runBy = useSchedulerStore((s) => s.status?.runBy);
  const runByOther = schedulesRunByText(runBy);

  useEffect(() => connectLiveUpdates(), []);
  // a .lifeboat file opened from the file manager or the command line opens in Restore
  useEffect(() => connectOpenFile(), []);
  // jobs another process runs are read from the catalog, not pushed
  useEffect(() => connectOtherProcesses(), []);

  return (
    <div className="app">
      <aside className="sidebar">
        <div className="brand">
          <Logo />
          <span>Lifeboat</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.screen}>
                <a
                  href={hrefFor(item.screen)}
                  className="nav-link"
                  aria-current={route.screen === item.screen ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sidebar-status" role="status">
          <span className={`dot ${paused ? 'dot-paused' : 'dot-running'}`} aria-hidden="true" />
          {runByOther ? <span title={`on host ${runBy?.host}`}>{runByOther}</span> : paused ? 'Schedules paused' : 'Schedules active'}
          {runningCount > 0 && <span className="sidebar-running">{runningCount} running</span>}
        </div>
      </aside>
      <main className="content">
        {route.screen === 'dashboard' && <DashboardScreen />}
        {route.screen === 'plans' && <PlansScreen />}
        {route.screen === 'history' && <HistoryScreen jobId={route.params.get('job')} />}
        {route.screen === 'verify' && <VerifyScreen />}
        {route.screen === 'restore' && <RestoreScreen />}
        {route.screen === 'settings' && <SettingsScreen />}
      </main>
      <DropZone />
    </div>
  );
}
