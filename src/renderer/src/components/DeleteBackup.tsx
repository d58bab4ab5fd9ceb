import { useState } from 'react';
import type { BackupDeletionPreview } from '../../../shared/ipc-contract';
import type { JobSummary } from '../../../shared/job';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatShortDateTime } from '../lib/format';
import { ErrorBanner } from './ErrorBanner';
import { InlineConfirm, useReturnFocus } from './InlineConfirm';

/**
 * "Delete backup…" in the job panel, chain-aware: it first asks main what the deletion involves.
 * A backup that others build on (an incremental chain's links, a differential's full) can go
 * only with them, so the confirmation lists them and deletes them all; nothing is ever orphaned.
 */
export function DeleteBackup({ job, onDeleted }: { job: JobSummary; onDeleted(deleted: JobSummary[]): void }) {
  const [preview, setPreview] = useState<BackupDeletionPreview | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const askRef = useReturnFocus<HTMLButtonElement>(preview !== null);

  const run = async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setError(null);
    setBusy(true);
    try {
      return await work();
    } catch (e) {
      setError(toUiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  };

  const ask = () => void run(async () => setPreview(await call('backups/preview-delete', { id: job.id })));
  const confirm = () =>
    void run(async () => {
      const { deleted } = await call('backups/delete', { id: job.id, withDependents: (preview?.dependents.length ?? 0) > 0 });
      setPreview(null);
      onDeleted(deleted);
    });

  const dependents = preview?.dependents ?? [];
  return (
    <div className="delete-backup">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {!preview ? (
        <button type="button" ref={askRef} className="button-danger" disabled={busy} onClick={ask}>
          Delete backup…
        </button>
      ) : (
        <InlineConfirm label="Confirm delete" onCancel={() => setPreview(null)}>
          {dependents.length === 0 ? (
            <p>Delete this backup's file? This cannot be undone; the job stays in History.</p>
          ) : (
            <>
              <p>
                {dependents.length === 1 ? 'One newer backup builds' : `${dependents.length} newer backups build`} on this one and cannot be
                restored without it. Deleting it deletes {dependents.length === 1 ? 'that one' : 'them'} too:
              </p>
              <ul className="dependent-list" aria-label="Backups that build on it">
                {dependents.map((d) => (
                  <li key={d.id}>
                    {formatShortDateTime(d.startedAt)} <span className="mono break small">{d.filePath}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <div className="button-row">
            <button type="button" className="button-danger" disabled={busy} onClick={confirm}>
              {dependents.length === 0 ? 'Delete' : `Delete all ${dependents.length + 1}`}
            </button>
            <button type="button" disabled={busy} onClick={() => setPreview(null)}>
              Keep
            </button>
          </div>
        </InlineConfirm>
      )}
    </div>
  );
}
