import { UNENCRYPTED_NOTE } from '../components/UnencryptedMark';
import { useMemo, useState, type FormEvent } from 'react';
import type { BackupSummary } from '../../../shared/restore';
import { BackupList } from '../components/BackupList';
import { BackupCopies } from '../components/BackupCopies';
import { BackupPreview } from '../components/BackupPreview';
import { ErrorBanner } from '../components/ErrorBanner';
import { PathInput } from '../components/PathInput';
import { Field } from '../components/Field';
import { JobProgressView } from '../components/JobProgressView';
import { PassphrasePrompt } from '../components/PassphrasePrompt';
import { RebuildCatalog } from '../components/RebuildCatalog';
import { RestoreHistory } from '../components/RestoreHistory';
import { DatabasePlanView, FilesPlanView } from '../components/RestorePlanView';
import { RestoreTargetForm } from '../components/RestoreTargetForm';
import { StatusBadge } from '../components/StatusBadge';
import { VerifyOutcome } from '../components/VerifyOutcome';
import { formatBytes, formatDateTime, humanize } from '../lib/format';
import { hasErrors, initialDraft, requestFromDraft, validateDraft, type RestoreDraft } from '../lib/restore-draft';
import { hrefFor } from '../lib/route';
import { useJob, type FollowedJob } from '../lib/use-job';
import { usePlansStore } from '../stores/plans-store';
import { targetKey, useRestoreStore, type OpenBackup } from '../stores/restore';

const fileName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
const isFinalJob = (job: FollowedJob | null) => Boolean(job && !['pending', 'running'].includes(job.status));

/** Where a backup comes from: a file (typed or dropped) or the catalog, and the catalog rebuild. */
function ChooseBackup() {
  const openFile = useRestoreStore((s) => s.openFile);
  const [path, setPath] = useState('');
  const [refreshKey, setRefreshKey] = useState(0);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) void openFile(path.trim());
  };
  return (
    <>
      <section className="section" aria-labelledby="open-file-title">
        <h2 id="open-file-title">Open a backup file</h2>
        <form className="card open-file" onSubmit={submit}>
          <p className="drop-hint">
            Drop a <span className="mono">.lifeboat</span> file anywhere on this window, or enter its path. Lifeboat shows what it holds
            before anything is restored.
          </p>
          <div className="open-file-row">
            <Field label="Backup file" className="toolbar-grow">
              {(p) => (
                <PathInput
                  input={p}
                  kind="backup-file"
                  value={path}
                  onChange={setPath}
                  onPicked={(picked) => void openFile(picked)}
                  browseLabel="Browse for a backup to open"
                  dialogTitle="Open a Lifeboat backup"
                  placeholder="/var/backups/lifeboat/nightly.lifeboat"
                />
              )}
            </Field>
            <button type="submit" className="button-primary" disabled={!path.trim()}>
              Open
            </button>
          </div>
        </form>
      </section>
      <section className="section" aria-labelledby="catalog-title">
        <h2 id="catalog-title">Backups in the catalog</h2>
        <BackupList
          refreshKey={refreshKey}
          tableClassName="table-backups-restore"
          columns={[
            {
              header: 'Action',
              className: 'nowrap col-open',
              cell: (job) =>
                job.filePath ? (
                  <button type="button" onClick={() => void openFile(job.filePath!)} aria-label={`Open backup ${fileName(job.filePath)}`}>
                    Open
                  </button>
                ) : null,
            },
          ]}
        />
      </section>
      <section className="section" aria-labelledby="rebuild-title">
        <h2 id="rebuild-title">Rebuild the catalog</h2>
        <RebuildCatalog onImported={() => setRefreshKey((k) => k + 1)} />
      </section>
    </>
  );
}

/** What the file is: header facts, whether it is in the catalog (import), and Verify. */
function BackupHeader({ backup }: { backup: OpenBackup }) {
  const { importing, importError, importResult, verifyJobId, verifyError } = useRestoreStore();
  const importIntoCatalog = useRestoreStore((s) => s.importIntoCatalog);
  const verify = useRestoreStore((s) => s.verify);
  const verifyJob = useJob(verifyJobId);
  const { inspection } = backup;
  const summary = inspection.summary;
  const locked = inspection.needsPassphrase;
  const verifying = Boolean(verifyJobId) && !isFinalJob(verifyJob);
  return (
    <section className="card backup-header" aria-label="Opened backup">
      <div className="backup-header-top">
        <div>
          <h2>{summary?.plan?.name ?? fileName(backup.filePath)}</h2>
          <p className="mono break muted small">{backup.filePath}</p>
        </div>
        <div className="button-row">
          <button type="button" onClick={() => void verify()} disabled={locked || verifying}>
            {verifying ? 'Verifying…' : 'Verify'}
          </button>
          {!inspection.catalogJobId && (
            <button type="button" onClick={() => void importIntoCatalog()} disabled={locked || importing}>
              {importing ? 'Importing…' : 'Import into catalog'}
            </button>
          )}
        </div>
      </div>
      <dl className="facts facts-inline">
        <dt>Made</dt>
        <dd>{formatDateTime(summary?.createdAt ?? inspection.header.createdAt)}</dd>
        {summary && (
          <>
            <dt>Type</dt>
            <dd>{humanize(summary.type)}</dd>
            <dt>On</dt>
            <dd>{summary.host}</dd>
          </>
        )}
        <dt>Size</dt>
        <dd>{formatBytes(inspection.header.fileSize)}</dd>
        <dt>Encrypted</dt>
        <dd>
          {inspection.header.encrypted ? (
            'yes (AES-256-GCM): only the passphrase holder can have written it'
          ) : (
            <span className="warn-text">{UNENCRYPTED_NOTE}</span>
          )}
        </dd>
        <dt>Catalog</dt>
        <dd>
          {inspection.catalogJobId ? (
            <a href={hrefFor('history', { job: inspection.catalogJobId })}>in the catalog</a>
          ) : (
            <span className="muted">not in the catalog</span>
          )}
        </dd>
      </dl>
      {inspection.catalogJobId && <BackupCopies backupId={inspection.catalogJobId} planId={summary?.plan?.id} variant="restore" />}
      {importResult && (
        <p className="ok-text" role="status">
          {importResult.imported ? 'Imported into the catalog: it now shows in History, Verify and Restore.' : importResult.reason}
        </p>
      )}
      <ErrorBanner error={importError} />
      <ErrorBanner error={verifyError} />
      {verifyJob && <VerifyOutcome job={verifyJob} />}
    </section>
  );
}

function RestoreJobCard({ jobId }: { jobId: string }) {
  const job = useJob(jobId);
  const dismiss = useRestoreStore((s) => s.dismissRestore);
  if (!job) return <p className="muted">Starting the restore…</p>;
  const done = isFinalJob(job);
  return (
    <section className="card restore-job" aria-label="Restore progress">
      <header className="contents-head">
        <h3>{done ? 'Restore finished' : 'Restoring…'}</h3>
        <StatusBadge status={job.status} />
      </header>
      {!done && <JobProgressView job={job} />}
      {done && (
        <>
          {job.displayMessage && (
            <p className={job.status === 'success' ? 'detail-message' : 'detail-message error-text'}>
              {job.errorCode && <strong className="banner-code">{job.errorCode}</strong>}
              {job.displayMessage}
            </p>
          )}
          {job.sources && job.sources.length > 0 && (
            <ul className="reason-list">
              {job.sources.map((s, i) => (
                <li key={i}>
                  <span className="kind-tag">{s.kind}</span> {s.label}: <span className={s.status === 'failed' ? 'error-text' : undefined}>{s.message}</span>
                </li>
              ))}
            </ul>
          )}
          <div className="form-actions">
            <button type="button" onClick={dismiss}>
              Done
            </button>
            <a className="button-link" href={hrefFor('history', { job: job.id })}>
              Open in History
            </a>
          </div>
        </>
      )}
    </section>
  );
}

/** Target, preview, start: nothing is touched before the preview of this very target was shown. */
function RestorePlanner({ summary }: { summary: BackupSummary }) {
  const plans = usePlansStore((s) => s.plans);
  const { preview, previewKey, previewing, previewError, starting, startError, restoreJobId } = useRestoreStore();
  const previewRestore = useRestoreStore((s) => s.previewRestore);
  const startRestore = useRestoreStore((s) => s.startRestore);
  const [draft, setDraft] = useState<RestoreDraft>(() => initialDraft(summary, plans));
  const [showErrors, setShowErrors] = useState(false);
  const errors = useMemo(() => validateDraft(draft, summary), [draft, summary]);
  const request = useMemo(() => requestFromDraft(draft, summary), [draft, summary]);
  const current = preview !== null && previewKey === targetKey(request);
  const blocked = current && (preview.database?.action === 'conflict' || Boolean(preview.database?.roles?.refused));

  if (restoreJobId) return <RestoreJobCard jobId={restoreJobId} />;

  const onPreview = () => {
    setShowErrors(true);
    if (!hasErrors(errors)) void previewRestore(request);
  };

  return (
    <>
      <RestoreTargetForm summary={summary} draft={draft} errors={showErrors ? errors : {}} onChange={setDraft} />
      <div className="form-actions">
        <button type="button" className={current ? undefined : 'button-primary'} onClick={onPreview} disabled={previewing}>
          {previewing ? 'Preparing the preview…' : 'Preview restore'}
        </button>
      </div>
      <ErrorBanner error={previewError} />
      {preview && !current && !previewing && (
        <p className="banner banner-info">The target changed since the last preview. Preview again to see what this restore would do.</p>
      )}
      {current && (
        <section className="section" aria-labelledby="plan-title">
          <h2 id="plan-title">What this restore will do</h2>
          {preview.database && <DatabasePlanView plan={preview.database} />}
          {preview.files && <FilesPlanView plan={preview.files} />}
          <ErrorBanner error={startError} />
          <div className="form-actions">
            <button type="button" className="button-primary" disabled={starting || blocked} onClick={() => void startRestore(request)}>
              {starting ? 'Starting…' : 'Start restore'}
            </button>
            {blocked && (
              <span className="error-text">
                {preview.database?.action === 'conflict'
                  ? 'Choose another name, or restore over the existing database.'
                  : 'Create the missing roles, or restore without owners and privileges.'}
              </span>
            )}
          </div>
        </section>
      )}
    </>
  );
}

function OpenedBackupView({ backup }: { backup: OpenBackup }) {
  const { unlocking, passphraseError } = useRestoreStore();
  const unlock = useRestoreStore((s) => s.unlock);
  const close = useRestoreStore((s) => s.close);
  const summary = backup.inspection.summary;
  return (
    <>
      <BackupHeader backup={backup} />
      {backup.inspection.needsPassphrase || !summary ? (
        <PassphrasePrompt
          fileName={fileName(backup.filePath)}
          busy={unlocking}
          error={passphraseError}
          onUnlock={(p) => void unlock(p)}
          onCancel={close}
        />
      ) : (
        <>
          <section className="section" aria-labelledby="contents-title">
            <h2 id="contents-title">What the backup holds</h2>
            <BackupPreview summary={summary} />
          </section>
          <section className="section" aria-labelledby="target-title">
            <h2 id="target-title">Restore</h2>
            <RestorePlanner key={summary.backupId} summary={summary} />
          </section>
        </>
      )}
    </>
  );
}

export function RestoreScreen() {
  const { backup, opening, openError, requestedPath } = useRestoreStore();
  const close = useRestoreStore((s) => s.close);
  return (
    <section className="screen" aria-labelledby="restore-title">
      <header className="screen-header">
        <h1 id="restore-title">Restore</h1>
        {(backup || opening) && (
          <button type="button" onClick={close}>
            Choose another backup
          </button>
        )}
      </header>
      {opening && (
        <p className="card muted" role="status">
          Opening <span className="mono break">{requestedPath}</span>…
        </p>
      )}
      {openError && (
        <ErrorBanner
          error={{ ...openError, message: `${requestedPath ? `${fileName(requestedPath)}: ` : ''}${openError.message}` }}
          onDismiss={close}
        />
      )}
      {backup ? <OpenedBackupView key={backup.filePath} backup={backup} /> : !opening && <ChooseBackup />}
      <section className="section" aria-labelledby="restore-history-title">
        <h2 id="restore-history-title">Restore history</h2>
        <RestoreHistory />
      </section>
    </section>
  );
}
