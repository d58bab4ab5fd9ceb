import { useEffect, useRef, useState, type FormEvent } from 'react';
import { FocusScope } from 'react-aria';
import type { JobSummary } from '../../../shared/job';
import type { VerificationSummary } from '../../../shared/restore';
import { BackupList } from '../components/BackupList';
import { EmptyState } from '../components/EmptyState';
import { ErrorBanner } from '../components/ErrorBanner';
import { Field } from '../components/Field';
import { closeOnEscape } from '../components/InlineConfirm';
import { PathInput } from '../components/PathInput';
import { JobProgressView } from '../components/JobProgressView';
import { Pagination } from '../components/Pagination';
import { ServerFields } from '../components/ServerFields';
import { VerifyOutcome } from '../components/VerifyOutcome';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { formatDateTime, formatShortDateTime } from '../lib/format';
import { EMPTY_SERVER, serverFromPlan, serverRequest, validateServer, type ServerDraft, type ServerErrors } from '../lib/server-draft';
import { useJob } from '../lib/use-job';
import { useJobsStore } from '../stores/jobs-store';
import { usePlansStore } from '../stores/plans-store';
import { RESULTS_PAGE_SIZE, loadBackupVerification, useVerifyStore, type BackupVerification } from '../stores/verify';
import { ProvenMark } from '../components/ProvenMark';
import { FileName, Trunc } from '../components/Trunc';

const fileName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

const VERIFY_BADGE: Record<VerificationSummary['status'], string> = {
  passed: 'badge-success',
  warnings: 'badge-partial',
  failed: 'badge-failed',
};

export function VerificationBadge({ status }: { status: VerificationSummary['status'] }) {
  return <span className={`badge ${VERIFY_BADGE[status]}`}>{status}</span>;
}

/** Reasons of a failed or warned verification; the checks a passed drill made. */
function Reasons({ verification, limit = Infinity }: { verification: VerificationSummary; limit?: number }) {
  if (verification.reasons.length === 0) return null;
  const shown = verification.reasons.slice(0, limit);
  const cls = verification.status === 'failed' ? 'error-text' : verification.status === 'warnings' ? 'warn-text' : 'muted';
  return (
    <ul className={`reason-list small ${cls}`} aria-label="Reasons">
      {shown.map((reason, i) => (
        <li key={i}>{reason}</li>
      ))}
      {verification.reasons.length > shown.length && <li className="muted">and {verification.reasons.length - shown.length} more</li>}
    </ul>
  );
}

function useBackupVerification(job: JobSummary): BackupVerification | null {
  const generation = useVerifyStore((s) => s.generation);
  const [state, setState] = useState<{ backupJobId: string; value: BackupVerification } | null>(null);
  useEffect(() => {
    let current = true;
    loadBackupVerification(job.id, job.filePath, generation)
      .then((value) => current && setState({ backupJobId: job.id, value }))
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [job.id, job.filePath, generation]);
  // a reload keeps showing the last result until the new one is there
  return state?.backupJobId === job.id ? state.value : null;
}

function LastVerificationCell({ job }: { job: JobSummary }) {
  const v = useBackupVerification(job);
  if (!v) return <span className="muted">…</span>;
  if (!v.latest) return <span className="muted">never verified</span>;
  return (
    <div className="verification-cell">
      <div className="verification-line">
        <VerificationBadge status={v.latest.status} />
        <span className="small nowrap">{formatShortDateTime(v.latest.createdAt)}</span>
      </div>
      {v.latest.filePath !== job.filePath && <div className="muted small">a copy: {fileName(v.latest.filePath)}</div>}
      {v.latest.status !== 'passed' && <Reasons verification={v.latest} limit={2} />}
    </div>
  );
}

function ProvenCell({ job }: { job: JobSummary }) {
  const v = useBackupVerification(job);
  if (!v) return <span className="muted">…</span>;
  return (
    <div className="verification-cell">
      <ProvenMark at={v.lastProvenAt} none={v.latestDrill ? 'not proven' : 'no drill yet'} />
      {v.latestDrill && v.latestDrill.status === 'failed' && (
        <>
          <div className="verification-line">
            <VerificationBadge status="failed" />
            <span className="small nowrap">drill {formatShortDateTime(v.latestDrill.createdAt)}</span>
          </div>
          <Reasons verification={v.latestDrill} limit={1} />
        </>
      )}
    </div>
  );
}

function ActionsCell({ job, onDrill }: { job: JobSummary; onDrill(job: JobSummary): void }) {
  const startedId = useVerifyStore((s) => s.started[job.id]);
  const verifyBackup = useVerifyStore((s) => s.verifyBackup);
  const active = useJobsStore((s) => (startedId ? s.active[startedId] : undefined));
  if (active) return <JobProgressView job={active} compact />;
  if (!job.filePath) return <span className="muted small">file removed</span>;
  const label = fileName(job.filePath);
  return (
    <div className="button-row">
      <button type="button" onClick={() => void verifyBackup(job.id)} aria-label={`Verify ${label}`}>
        Verify
      </button>
      <button type="button" onClick={() => onDrill(job)} aria-label={`Restore drill of ${label}`}>
        Restore drill
      </button>
    </div>
  );
}

function Stats() {
  const stats = useVerifyStore((s) => s.stats);
  if (!stats) return null;
  return (
    <div className="stat-row stat-row-5" role="region" aria-label="Verification statistics">
      <div className="card stat">
        <span className="stat-label">Passed</span>
        <span className={`stat-value${stats.passed ? ' ok-text' : ''}`}>{stats.passed}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Warnings</span>
        <span className={`stat-value${stats.warnings ? ' warn-text' : ''}`}>{stats.warnings}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Failed</span>
        <span className={`stat-value${stats.failed ? ' error-text' : ''}`}>{stats.failed}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Restore drills</span>
        <span className="stat-value">{stats.drills}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Last proven restorable</span>
        <span className="stat-value stat-value-small">{stats.lastProvenAt ? formatDateTime(stats.lastProvenAt) : 'never'}</span>
      </div>
    </div>
  );
}

/** Verification and drill jobs running now, wherever they were started (also by Verify all). */
function RunningChecks() {
  const active = useJobsStore((s) => s.active);
  const running = Object.values(active).filter((job) => job.kind === 'verify' || job.kind === 'drill');
  if (running.length === 0) return null;
  return (
    <section className="section" aria-labelledby="running-title">
      <h2 id="running-title">Running now</h2>
      <ul className="plan-list">
        {running.map((job) => (
          <li key={job.id} className="card">
            <p className="running-title">
              <strong>{job.kind === 'drill' ? 'Restore drill' : 'Verification'}</strong> · {job.planName ?? 'backup'}
            </p>
            <JobProgressView job={job} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A restore drill: restore into a throwaway database on this server, compare row counts, drop it. */
function DrillForm({ job, onClose }: { job: JobSummary; onClose(): void }) {
  const plans = usePlansStore((s) => s.plans);
  const drill = useVerifyStore((s) => s.drill);
  const [server, setServer] = useState<ServerDraft>(() => serverFromPlan(plans, job.planId) ?? EMPTY_SERVER);
  const [errors, setErrors] = useState<ServerErrors>({});
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  // the row clicked may be far down the list: bring the form into view
  useEffect(() => {
    // a block body: newer Chromium returns a promise from scrollIntoView, which React would take for a cleanup
    formRef.current?.scrollIntoView({ block: 'nearest' });
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateServer(server);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setError(null);
    try {
      await drill(job.id, serverRequest(server));
      onClose();
    } catch (e) {
      setError(toUiError(e));
      setBusy(false);
    }
  };

  return (
    // focus moves into the form and back to its row's button when it closes; Escape closes it
    <FocusScope autoFocus restoreFocus>
    <form ref={formRef} className="card drill-form" aria-label="Restore drill" onSubmit={(e) => void submit(e)} onKeyDown={closeOnEscape(onClose)}>
      <div className="panel-header">
        <h2>Restore drill of {job.planName ?? 'a backup'} ({formatShortDateTime(job.finishedAt ?? job.startedAt)})</h2>
        <button type="button" className="button-ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">
        Each database of the backup is restored into a throwaway database (lifeboat_drill_…) on this server, every table’s row count is
        compared with the backup, and the throwaway database is dropped. The user must be allowed to create databases.
      </p>
      <ServerFields value={server} onChange={setServer} errors={errors} />
      <ErrorBanner error={error} />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start drill'}
        </button>
      </div>
    </form>
    </FocusScope>
  );
}

/** Verify a backup file that is not (or not only) in the catalog: a copy, a file from elsewhere. */
function VerifyFileForm() {
  const [path, setPath] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const job = useJob(jobId);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setJobId(null);
    try {
      const result = await call('verify/run', { filePath: path.trim(), ...(passphrase ? { passphrase } : {}) });
      setJobId(result.jobId);
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <form className="card" aria-label="Verify a backup file" onSubmit={(e) => void submit(e)}>
      <div className="open-file-row">
        <Field label="Backup file" className="toolbar-grow">
          {(p) => (
            <PathInput
              input={p}
              kind="backup-file"
              value={path}
              onChange={setPath}
              browseLabel="Browse for a backup to verify"
              dialogTitle="Choose a Lifeboat backup to verify"
              placeholder="/mnt/usb/nightly.lifeboat"
            />
          )}
        </Field>
        <Field label="Passphrase" hint="When the file is encrypted and its plan is not here.">
          {(p) => <input {...p} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />}
        </Field>
        <button type="submit" disabled={!path.trim()}>
          Verify file
        </button>
      </div>
      <ErrorBanner error={error} />
      {job && <VerifyOutcome job={job} />}
    </form>
  );
}

function Results() {
  const { items, total, page, loaded, error } = useVerifyStore();
  const setPage = useVerifyStore((s) => s.setPage);
  if (error) return <ErrorBanner error={error} />;
  if (!loaded) return <p className="muted">Loading…</p>;
  if (total === 0) {
    return (
      <EmptyState title="No verifications yet">
        Verify a backup to check every chunk, checksum and database dump; a restore drill proves it restores.
      </EmptyState>
    );
  }
  return (
    <>
      <div className="table-wrap table-fit">
        <table className="table table-fixed" aria-label="Verification results">
          <thead>
            <tr>
              <th scope="col" className="col-date">When</th>
              <th scope="col" className="col-trigger p2">Check</th>
              <th scope="col" className="col-status">Result</th>
              <th scope="col" className="col-file">Backup file</th>
              <th scope="col" className="cell-message">Reasons</th>
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.id} className={v.status === 'failed' ? 'row-failed' : undefined}>
                <td className="nowrap">{formatShortDateTime(v.createdAt)}</td>
                <td className="nowrap p2">{v.drill ? 'drill' : 'verify'}</td>
                <td>
                  <VerificationBadge status={v.status} />
                </td>
                <td className="col-file">
                  <FileName path={v.filePath} />
                </td>
                <td className="cell-message">{v.reasons.length ? <Trunc text={v.reasons.join('; ')} /> : <span className="muted">all checks passed</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pagination page={page} pageSize={RESULTS_PAGE_SIZE} total={total} nouns={['result', 'results']} onPage={setPage} />
    </>
  );
}

export function VerifyScreen() {
  const finishedCount = useJobsStore((s) => s.finishedCount);
  const { runAll, actionError } = useVerifyStore();
  const refresh = useVerifyStore((s) => s.refresh);
  const verifyAll = useVerifyStore((s) => s.verifyAll);
  const dismissActionError = useVerifyStore((s) => s.dismissActionError);
  const [drillFor, setDrillFor] = useState<JobSummary | null>(null);

  // a verification or drill that ends changes the results, the counts and the rows
  useEffect(() => {
    refresh();
  }, [finishedCount, refresh]);

  return (
    <section className="screen" aria-labelledby="verify-title">
      <header className="screen-header">
        <h1 id="verify-title">Verify</h1>
        <button type="button" className="button-primary" onClick={() => void verifyAll()}>
          Verify all
        </button>
      </header>
      <p className="muted screen-intro">
        A verification reads the whole file: its SHA-256, every encrypted chunk, each entry against the manifest and each database dump
        with pg_restore. A restore drill goes further and proves the databases restore.
      </p>
      <Stats />
      <ErrorBanner error={actionError} onDismiss={dismissActionError} />
      {runAll && (
        <div className="banner banner-info" role="status">
          Started {runAll.jobIds.length} {runAll.jobIds.length === 1 ? 'verification' : 'verifications'}.
          {runAll.skipped.length > 0 && (
            <ul className="reason-list">
              {runAll.skipped.map((s) => (
                <li key={s.backupJobId}>Skipped: {s.reason}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <RunningChecks />
      {drillFor && <DrillForm key={drillFor.id} job={drillFor} onClose={() => setDrillFor(null)} />}
      <section className="section" aria-labelledby="verify-backups-title">
        <h2 id="verify-backups-title">Backups in the catalog</h2>
        <BackupList
          tableClassName="table-backups-verify"
          columns={[
            { header: 'Last verification', cell: (job) => <LastVerificationCell job={job} />, className: 'cell-verification' },
            { header: 'Proven restorable', cell: (job) => <ProvenCell job={job} />, className: 'col-proven' },
            { header: 'Actions', cell: (job) => <ActionsCell job={job} onDrill={setDrillFor} />, className: 'cell-actions col-actions' },
          ]}
        />
      </section>
      <section className="section" aria-labelledby="verify-file-title">
        <h2 id="verify-file-title">Verify a backup file</h2>
        <VerifyFileForm />
      </section>
      <section className="section" aria-labelledby="verify-results-title">
        <h2 id="verify-results-title">Results</h2>
        <Results />
      </section>
    </section>
  );
}
