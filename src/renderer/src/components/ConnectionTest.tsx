import { useState } from 'react';
import type { ConnectionTestResult } from '../../../shared/ipc-contract';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { databaseSourceOf, type DatabaseDraft } from '../lib/plan-form';

type TestState = { state: 'idle' } | { state: 'testing' } | { state: 'ok'; result: ConnectionTestResult } | { state: 'failed'; error: UiError };

/**
 * "Test connection" for a database source of the plan editor: the checks a backup run starts
 * with (pg_dump found, the server reached with these credentials, pg_dump new enough for it),
 * run now in main (plans/test-connection), with the result beside the button.
 */
export function ConnectionTest({ db, planId, label }: { db: DatabaseDraft; planId: string | undefined; label: string }) {
  const [test, setTest] = useState<TestState>({ state: 'idle' });
  const run = async () => {
    setTest({ state: 'testing' });
    try {
      const source = databaseSourceOf(db);
      const result = await call('plans/test-connection', { ...(planId ? { planId } : {}), source, ...(db.password ? { password: db.password } : {}) });
      setTest({ state: 'ok', result });
    } catch (e) {
      setTest({ state: 'failed', error: toUiError(e) });
    }
  };
  const incomplete = !db.host.trim() || !db.user.trim() || !db.database.trim() || !/^\d+$/.test(db.port.trim());
  return (
    <div className="connection-test">
      <button type="button" aria-label={`Test connection of ${label}`} disabled={test.state === 'testing' || incomplete} onClick={() => void run()}>
        {test.state === 'testing' ? 'Testing…' : 'Test connection'}
      </button>
      <div className="connection-test-result" role="status" aria-live="polite">
        {incomplete && test.state === 'idle' && <span className="muted small">Fill in host, port, user and database to test.</span>}
        {test.state === 'ok' && (
          <span className="ok-text">
            <span aria-hidden="true">✓ </span>Connected: {serverLine(test.result.serverVersion)}; pg_dump {toolLine(test.result.pgDumpVersion)} can dump it.
            <span className="muted small mono break"> {test.result.pgDumpPath}</span>
          </span>
        )}
        {test.state === 'failed' && (
          <span className="error-text">
            <span aria-hidden="true">✕ </span>
            {test.error.message}
          </span>
        )}
      </div>
    </div>
  );
}

/** "15.14 (Debian 15.14-0+deb12u1)" → "PostgreSQL 15.14 (Debian …)" */
function serverLine(text: string): string {
  return /postgres/i.test(text) ? text : `PostgreSQL ${text}`;
}

/** "pg_dump (PostgreSQL) 15.14 (Debian …)" → "15.14 (Debian …)" */
function toolLine(text: string): string {
  return text.replace(/^pg_dump\s+\(PostgreSQL\)\s+/i, '');
}
