import { useCallback, useEffect, useState } from 'react';
import type { AuditEntry, Page } from '../../../shared/ipc-contract';
import { EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { Pagination } from '../components/Pagination';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatShortDateTime } from '../lib/format';
import { useAppStore } from '../stores/app-store';

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

export function SettingsScreen() {
  const { info, paused, error, setPaused } = useAppStore();

  return (
    <section className="screen" aria-labelledby="settings-title">
      <header className="screen-header">
        <h1 id="settings-title">Settings</h1>
      </header>
      <ErrorBanner error={error} />

      <section className="card section" aria-labelledby="schedules-title">
        <h2 id="schedules-title">Schedules</h2>
        <div className="field field-checkbox">
          <input id="pause-all" type="checkbox" role="switch" checked={paused} onChange={(e) => void setPaused(e.target.checked)} />
          <label htmlFor="pause-all">Pause all scheduled backups</label>
          <div className="field-hint">
            {paused
              ? 'Paused: no scheduled backup starts. Run now still works.'
              : 'Active: plans run on their schedules. Pausing does not stop jobs already running.'}
          </div>
        </div>
      </section>

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

      {/* reload the log when the pause state changes: that change is itself an audited action */}
      <AuditLog refreshKey={paused} />
    </section>
  );
}
