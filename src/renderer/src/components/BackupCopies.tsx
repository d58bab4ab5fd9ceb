import { useEffect, useState } from 'react';
import type { BackupCopy } from '../../../shared/destination';
import { call } from '../lib/api';
import { COPY_STATUS_LABELS, DESTINATION_KIND_LABELS, copyStatusClass } from '../lib/destination-form';
import { toUiError, type UiError } from '../lib/errors';
import { formatBytes, formatShortDateTime } from '../lib/format';
import { usePlansStore } from '../stores/plans-store';
import { ErrorBanner } from './ErrorBanner';

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

function CopyItem({ copy, label }: { copy: BackupCopy; label: string | null }) {
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
      </div>
      <div className="mono small break backup-copy-url">{copy.url || copy.destinationUrl}</div>
      {facts.length > 0 && <div className="muted small">{facts.join(' · ')}</div>}
      {copy.error && <div className="error-text small">{copy.error}</div>}
    </li>
  );
}

/**
 * Where a backup lives besides its file: each copy at another destination with its status,
 * size, upload and verification times and the last error. `restore`: the Restore screen's
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
  const { copies, error } = useBackupCopies(backupId, refreshKey);
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
              <CopyItem key={copy.destinationId} copy={copy} label={labelOf(copy)} />
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
