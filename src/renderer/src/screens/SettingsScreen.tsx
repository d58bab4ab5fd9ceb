import { useCallback, useEffect, useState } from 'react';
import type { AuditEntry, Page, UpdateStatus } from '../../../shared/ipc-contract';
import {
  DEFAULT_CONCURRENT_JOBS,
  DEFAULT_STALL_MINUTES,
  MAX_CONCURRENT_JOBS,
  MIN_CONCURRENT_JOBS,
  type AlertEntry,
  type AppSettings,
} from '../../../shared/notify';
import { AlertList } from '../components/AlertList';
import { EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { CheckboxField, Field } from '../components/Field';
import { NotificationChannels } from '../components/NotificationChannels';
import { Pagination } from '../components/Pagination';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatDuration, formatShortDateTime } from '../lib/format';
import { useAppStore } from '../stores/app-store';
import { useNotifyStore } from '../stores/notify-store';
import { planName, usePlansStore } from '../stores/plans-store';

const AUDIT_PAGE_SIZE = 25;

function AuditLog({ refreshKey }: { refreshKey: unknown }) {
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<Page<AuditEntry> | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  const load = useCallback(async (p: number) => {
    try {
      setResult(await call('audit/list', { page: p, pageSize: AUDIT_PAGE_SIZE }));
      setError(null);
    } catch (e) {
      setError(toUiError(e));
    }
  }, []);

  useEffect(() => {
    void load(page);
  }, [load, page, refreshKey]);

  return (
    <section className="section" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p className="muted">Every change and action, newest first. Secrets are never recorded.</p>
      <ErrorBanner error={error} />
      {result && result.total === 0 && <EmptyState title="Nothing recorded yet" />}
      {result && result.total > 0 && (
        <>
          <div className="table-wrap">
            <table className="table table-compact" aria-label="Audit log">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {result.items.map((entry) => (
                  <tr key={entry.id}>
                    <td className="nowrap">{formatShortDateTime(entry.at)}</td>
                    <td>{entry.actor}</td>
                    <td className="mono">{entry.action}</td>
                    <td className="mono small break">{entry.target ?? ''}</td>
                    <td className="mono small break">{entry.details ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={page} pageSize={AUDIT_PAGE_SIZE} total={result.total} nouns={['entry', 'entries']} onPage={setPage} />
        </>
      )}
    </section>
  );
}

/** One settings switch: saved as soon as it changes, its error shown in place. */
function useSettingSwitch(settings: AppSettings | null) {
  const updateSettings = useNotifyStore((s) => s.updateSettings);
  const [error, setError] = useState<UiError | null>(null);
  // the switch follows the click at once; main's answer settles it (or an error puts it back)
  const [pending, setPending] = useState<Partial<AppSettings> | null>(null);
  const change = async (patch: Partial<AppSettings>) => {
    setError(null);
    setPending(patch);
    try {
      await updateSettings(patch);
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setPending(null);
    }
  };
  const shown = settings && { ...settings, ...pending };
  return { shown, error, saving: pending !== null, change, clearError: () => setError(null) };
}

/** How many jobs may run at once (1-8): the app and the lifeboat daemon on this data folder both honour it. */
function JobsAtOnce({ settings: saved }: { settings: AppSettings | null }) {
  const { shown: settings, error, saving, change, clearError } = useSettingSwitch(saved);
  return (
    <section className="card section" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      <ErrorBanner error={error} onDismiss={clearError} />
      {settings ? (
        <Field label="Jobs that may run at once" hint="Backups, verifications and restores beyond this wait their turn; a plan never runs twice at once. The lifeboat daemon on this data folder honours it too.">
          {(p) => (
            <select
              {...p}
              disabled={saving}
              value={String(settings.maxConcurrentJobs)}
              onChange={(e) => void change({ maxConcurrentJobs: Number(e.target.value) })}
            >
              {Array.from({ length: MAX_CONCURRENT_JOBS - MIN_CONCURRENT_JOBS + 1 }, (_, i) => MIN_CONCURRENT_JOBS + i).map((n) => (
                <option key={n} value={String(n)}>
                  {n}
                  {n === DEFAULT_CONCURRENT_JOBS ? ' (default)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : (
        <p className="muted">Loading…</p>
      )}
      {settings && (
        <Field
          label="Call a job stalled after"
          hint="A running job whose progress has not moved for this long is shown as stalled, with what the server says it waits on (a lock, for instance), in the window and the tray, and raises an alert."
        >
          {(p) => (
            <select {...p} disabled={saving} value={String(settings.stallMinutes)} onChange={(e) => void change({ stallMinutes: Number(e.target.value) })}>
              {stallChoices(settings.stallMinutes).map((n) => (
                <option key={n} value={String(n)}>
                  {formatDuration(n * 60_000)}
                  {n === DEFAULT_STALL_MINUTES ? ' (default)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
    </section>
  );
}

const STALL_CHOICES = [2, 5, 10, 15, 20, 30, 45, 60, 120, 240];

/** The offered stall thresholds, with the saved one among them even when the CLI set another. */
function stallChoices(current: number): number[] {
  return STALL_CHOICES.includes(current) ? STALL_CHOICES : [...STALL_CHOICES, current].sort((a, b) => a - b);
}

function StartAtLogin({ settings: saved }: { settings: AppSettings | null }) {
  const { shown: settings, error, saving, change, clearError } = useSettingSwitch(saved);
  return (
    <section className="card section" aria-labelledby="login-title">
      <h2 id="login-title">Start at login</h2>
      <ErrorBanner error={error} onDismiss={clearError} />
      {settings ? (
        <fieldset className="plain-fieldset" disabled={saving}>
          <CheckboxField
            label="Start Lifeboat when I log in"
            checked={settings.startAtLogin}
            onChange={(startAtLogin) => void change({ startAtLogin })}
            hint="Schedules run only while Lifeboat runs; closing the window keeps it in the tray."
          />
          <CheckboxField
            label="Start minimised to the tray"
            checked={settings.startMinimized}
            onChange={(startMinimized) => void change({ startMinimized })}
            hint="When started at login, stay in the tray instead of opening this window."
          />
        </fieldset>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </section>
  );
}

function DesktopNotifications({ settings: saved }: { settings: AppSettings | null }) {
  const { shown: settings, error, saving, change, clearError } = useSettingSwitch(saved);
  return (
    <div className="section">
      <h3>Desktop</h3>
      <ErrorBanner error={error} onDismiss={clearError} />
      {settings && (
        <fieldset className="plain-fieldset" disabled={saving}>
          <CheckboxField
            label="Notify on success too"
            checked={settings.notifyOnSuccess}
            onChange={(notifyOnSuccess) => void change({ notifyOnSuccess })}
            hint="A failure always shows a desktop notification; clicking it opens the job."
          />
        </fieldset>
      )}
    </div>
  );
}

/**
 * Updates (the automatic check can be turned off; Check now always asks) and the logs folder.
 * Both are the desktop app's: elsewhere (a browser test bridge) the section says so.
 */
function UpdatesAndLogs() {
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  const [desktopOnly, setDesktopOnly] = useState(false);
  const [busy, setBusy] = useState<'check' | 'auto' | 'logs' | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [logsPath, setLogsPath] = useState<string | null>(null);

  useEffect(() => {
    call('updates/status').then(setStatus, () => setDesktopOnly(true));
  }, []);

  const run = async (what: 'check' | 'auto' | 'logs', action: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card section" aria-labelledby="updates-title">
      <h2 id="updates-title">Updates and logs</h2>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {desktopOnly && <p className="muted">Updates and the logs folder are handled by the Lifeboat desktop app.</p>}
      {status && (
        <>
          {!status.configured && <p className="muted">{status.reason}</p>}
          <fieldset className="plain-fieldset" disabled={busy === 'auto'}>
            <CheckboxField
              label="Check for updates automatically"
              checked={status.autoCheck}
              onChange={(enabled) => void run('auto', async () => setStatus(await call('updates/set-auto-check', { enabled })))}
              hint="Off: Lifeboat never checks on its own. Check for updates below still asks when you click it."
            />
          </fieldset>
          <div className="button-row">
            <button
              type="button"
              disabled={busy === 'check'}
              onClick={() => void run('check', async () => {
                const lastCheck = await call('updates/check');
                setStatus((s) => s && { ...s, lastCheck });
              })}
            >
              {busy === 'check' ? 'Checking…' : 'Check for updates'}
            </button>
            <button
              type="button"
              disabled={busy === 'logs'}
              onClick={() => void run('logs', async () => setLogsPath((await call('app/open-logs-folder')).path))}
            >
              Open logs folder
            </button>
          </div>
          <p className="muted" role="status">
            {status.lastCheck ? status.lastCheck.message : `This is Lifeboat ${status.currentVersion}.`}
            {logsPath && (
              <>
                {' '}Logs: <span className="mono break">{logsPath}</span>
              </>
            )}
          </p>
        </>
      )}
    </section>
  );
}

const ALERTS_PAGE_SIZE = 10;

function AlertsLog() {
  const plans = usePlansStore((s) => s.plans);
  // a new alert (pushed) counts in the store: reload the page then
  const liveTotal = useNotifyStore((s) => s.alertsTotal);
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<Page<AlertEntry> | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  useEffect(() => {
    let current = true;
    call('alerts/list', { page, pageSize: ALERTS_PAGE_SIZE })
      .then((r) => current && (setResult(r), setError(null)))
      .catch((e: unknown) => current && setError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [page, liveTotal]);

  return (
    <section className="card section" aria-labelledby="alerts-log-title">
      <h2 id="alerts-log-title">Alerts</h2>
      <p className="muted">
        Raised when a plan fails twice in a row, a backup is far larger or smaller than usual or runs much longer, the destination
        is low on disk space, or a plan has not succeeded within twice its schedule's interval. Each alert shows on the desktop
        and goes to every enabled channel.
      </p>
      <ErrorBanner error={error} />
      {result && result.total === 0 && <p className="muted">No alerts so far.</p>}
      {result && result.total > 0 && (
        <>
          <AlertList alerts={result.items} planName={(id) => planName(plans, id)} label="Alerts" />
          <Pagination page={page} pageSize={ALERTS_PAGE_SIZE} total={result.total} nouns={['alert', 'alerts']} onPage={setPage} />
        </>
      )}
    </section>
  );
}

export function SettingsScreen() {
  const { info, paused, error, setPaused } = useAppStore();
  // the switch follows the click at once; main's answer (or the pushed event) settles it
  const [pendingPaused, setPendingPaused] = useState<boolean | null>(null);
  const pausedShown = pendingPaused ?? paused;
  const togglePause = async (next: boolean) => {
    setPendingPaused(next);
    await setPaused(next);
    setPendingPaused(null);
  };
  const settings = useNotifyStore((s) => s.settings);
  const settingsError = useNotifyStore((s) => s.settingsError);
  const loadSettings = useNotifyStore((s) => s.loadSettings);
  const channelsVersion = useNotifyStore((s) => s.channels.map((c) => `${c.id}@${c.updatedAt}`).join(','));

  useEffect(() => {
    void loadSettings();
  }, [loadSettings]);

  return (
    <section className="screen" aria-labelledby="settings-title">
      <header className="screen-header">
        <h1 id="settings-title">Settings</h1>
      </header>
      <ErrorBanner error={error} />

      <section className="card section" aria-labelledby="schedules-title">
        <h2 id="schedules-title">Schedules</h2>
        <div className="field field-checkbox">
          <input id="pause-all" type="checkbox" role="switch" checked={pausedShown} onChange={(e) => void togglePause(e.target.checked)} />
          <label htmlFor="pause-all">Pause all scheduled backups</label>
          <div className="field-hint">
            {pausedShown
              ? 'Paused: no scheduled backup starts. Run now still works.'
              : 'Active: plans run on their schedules. Pausing does not stop jobs already running.'}
          </div>
        </div>
      </section>

      <StartAtLogin settings={settings} />
      <JobsAtOnce settings={settings} />

      <section className="card section" aria-labelledby="notifications-title">
        <h2 id="notifications-title">Notifications</h2>
        <ErrorBanner error={settingsError} />
        <DesktopNotifications settings={settings} />
        <NotificationChannels />
      </section>

      <AlertsLog />

      <UpdatesAndLogs />

      <section className="card section" aria-labelledby="about-title">
        <h2 id="about-title">About</h2>
        {info ? (
          <dl className="facts">
            <dt>Version</dt>
            <dd>{info.version}</dd>
            <dt>Data folder</dt>
            <dd className="mono break">{info.dataDir}</dd>
            <dt>Platform</dt>
            <dd>{info.platform}</dd>
          </dl>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>

      {/* reload the log when the pause state, a setting or a channel changes: each is an audited action */}
      <AuditLog refreshKey={`${paused}:${JSON.stringify(settings)}:${channelsVersion}`} />
    </section>
  );
}
