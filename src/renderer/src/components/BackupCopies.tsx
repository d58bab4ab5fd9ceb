import { useCallback, useEffect, useState } from 'react';
import type { BackupCopy } from '../../../shared/destination';
import { call } from '../lib/api';
import { COPY_STATUS_LABELS, DESTINATION_KIND_LABELS, copyStatusClass } from '../lib/destination-form';
import { toUiError, type UiError } from '../lib/errors';
import { formatBytes, formatShortDateTime } from '../lib/format';
import { useJob } from '../lib/use-job';
import { isFinal } from '../stores/jobs-store';
import { usePlansStore } from '../stores/plans-store';
import { ErrorBanner } from './ErrorBanner';
import { VerifyOutcome } from './VerifyOutcome';

/** A backup's copies as the catalog records them (backups/copies); null while loading. */
export function useBackupCopies(backupId: string | null, refreshKey = ''): { copies: BackupCopy[] | null; error: UiError | null } {
  const [state, setState] = useState<{ copies: BackupCopy[] | null; error: UiError | null }>({ copies: null, error: null });
  useEffect(() => {
    if (!backupId) return;
    let current = true;
    call('backups/copies', { id: backupId })
      .then((copies) => current && setState({ copies, error: null }))
      .catch((e: unknown) => current && setState({ copies: null, error: toUiError(e) }));
    return () => {
      current = false;
    };
  }, [backupId, refreshKey]);
  return backupId ? state : { copies: null, error: null };
}

/** A copy's status that a verification can check: it is (or should be) at its destination. */
const VERIFIABLE: readonly BackupCopy['status'][] = ['uploaded', 'verified', 'failed'];

/**
 * Verify one copy where it lies (verify/run with `copy`): the job's progress and result below the
 * copy, as the Verify screen shows them, and `onFinished` once it ended (the copy's row changed).
 */
function useCopyVerify(copy: BackupCopy, onFinished: () => void) {
  const [jobId, setJobId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const job = useJob(jobId);
  const ended = job !== null && isFinal(job.status);
  useEffect(() => {
    if (ended) onFinished();
  }, [ended, job?.id, onFinished]);
  const start = async () => {
    setError(null);
    setStarting(true);
    try {
      setJobId((await call('verify/run', { jobId: copy.backupId, copy: copy.destinationId })).jobId);
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setStarting(false);
    }
  };
  return { job, error, busy: starting || (jobId !== null && !ended), start };
}

function CopyItem({ copy, label, onVerified }: { copy: BackupCopy; label: string | null; onVerified: () => void }) {
  const verify = useCopyVerify(copy, onVerified);
  const where = copy.url || copy.destinationUrl;
  const facts = [
    formatBytes(copy.sizeBytes),
    copy.uploadedAt ? `uploaded ${formatShortDateTime(copy.uploadedAt)}` : null,
    copy.verifiedAt ? `verified ${formatShortDateTime(copy.verifiedAt)}` : null,
    copy.attempts > 1 ? `${copy.attempts} attempts` : null,
  ].filter((f): f is string => Boolean(f) && f !== '—');
  return (
    <li className="backup-copy" aria-label={`${DESTINATION_KIND_LABELS[copy.kind]} copy: ${copy.status}`}>
      <div className="backup-copy-head">
        <span className={`badge ${copyStatusClass(copy.status)}`}>{COPY_STATUS_LABELS[copy.status]}</span>
        <span className="kind-tag">{copy.kind === 'local' ? 'folder' : copy.kind}</span>
        <strong className="backup-copy-name">{label ?? DESTINATION_KIND_LABELS[copy.kind]}</strong>
        {VERIFIABLE.includes(copy.status) && (
          <button
            type="button"
            className="backup-copy-verify"
            onClick={() => void verify.start()}
            disabled={verify.busy}
            aria-label={`Verify the copy ${label ? `${label} at ` : 'at '}${where}`}
            title="Read this copy where it lies and check it against the backup's SHA-256"
          >
            {verify.busy ? 'Verifying…' : 'Verify'}
          </button>
        )}
      </div>
      <div className="mono small break backup-copy-url">{where}</div>
      {facts.length > 0 && <div className="muted small">{facts.join(' · ')}</div>}
      {/* a verification that just failed says the same as the row's error, with the copy's URL: once is enough */}
      {copy.error && !(verify.job?.status === 'failed' && verify.job.displayMessage?.endsWith(copy.error.replace(/^Verification failed: /, ''))) && (
        <div className="error-text small">{copy.error}</div>
      )}
      {verify.job && <VerifyOutcome job={verify.job} />}
      <ErrorBanner error={verify.error} />
    </li>
  );
}

/**
 * Where a backup lives besides its file: each copy at another destination with its status,
 * size, upload and verification times and the last error, and Verify to check one copy where it
 * lies (the list reloads when that ends). `restore`: the Restore screen's
 * words (which copy a restore reads).
 */
export function BackupCopies({
  backupId,
  planId,
  refreshKey,
  variant = 'history',
}: {
  backupId: string;
  /** the backup's plan: its copies' names */
  planId?: string | null;
  refreshKey?: string;
  variant?: 'history' | 'restore';
}) {
  // bumped when a copy's verification ended: its row changed (status, verified time, error)
  const [reloads, setReloads] = useState(0);
  const onVerified = useCallback(() => setReloads((n) => n + 1), []);
  const { copies, error } = useBackupCopies(backupId, `${refreshKey ?? ''}:${reloads}`);
  const plan = usePlansStore((s) => (planId ? s.plans.find((p) => p.id === planId) : undefined));
  const labelOf = (copy: BackupCopy) => plan?.options.copies.find((c) => c.id === copy.destinationId)?.label ?? null;
  const healthy = copies?.filter((c) => c.status === 'verified' || c.status === 'uploaded').length ?? 0;
  return (
    <div className={`backup-copies backup-copies-${variant}`}>
      <h3>Copies</h3>
      <ErrorBanner error={error} />
      {!copies && !error && <p className="muted small">…</p>}
      {copies && copies.length === 0 && (
        <p className="muted small">{variant === 'restore' ? 'No copies at other destinations: a restore reads this file.' : 'No copies at other destinations: this backup exists only as its file.'}</p>
      )}
      {copies && copies.length > 0 && (
        <>
          <ul className="backup-copy-list" aria-label="Copies of this backup">
            {copies.map((copy) => (
              <CopyItem key={copy.destinationId} copy={copy} label={labelOf(copy)} onVerified={onVerified} />
            ))}
          </ul>
          {variant === 'restore' && (
            <p className="muted small">
              {healthy > 0
                ? 'A restore reads the nearest healthy copy: this file while it can be read, else a verified copy, reading only the parts it needs.'
                : 'No copy at another destination is healthy: a restore reads this file.'}
            </p>
          )}
        </>
      )}
    </div>
  );
}
