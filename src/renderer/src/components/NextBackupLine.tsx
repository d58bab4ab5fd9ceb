import { useEffect, useState } from 'react';
import type { PlanNextBackup } from '../../../shared/ipc-contract';
import type { Plan } from '../../../shared/plan';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { useJobsStore } from '../stores/jobs-store';

/**
 * An incremental or differential plan's next run: what it makes and why ("builds on the chain
 * started …", "the chain holds 5 backups"), and the "Next run: full" switch that starts a new
 * chain. Reloads when a job finishes and when the plan changes.
 */
export function NextBackupLine({ plan, onError }: { plan: Plan; onError(error: UiError | null): void }) {
  const [next, setNext] = useState<PlanNextBackup | null>(null);
  const [busy, setBusy] = useState(false);
  const finishedCount = useJobsStore((s) => s.finishedCount);

  useEffect(() => {
    let current = true;
    call('plans/next-backup', { id: plan.id })
      .then((value) => current && setNext(value))
      .catch((e) => current && onError(toUiError(e)));
    return () => {
      current = false;
    };
  }, [plan.id, plan.updatedAt, finishedCount, onError]);

  if (!next) return null;
  const toggle = async () => {
    onError(null);
    setBusy(true);
    try {
      setNext(await call('plans/set-next-full', { id: plan.id, full: !next.fullRequested }));
    } catch (e) {
      onError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <p className="muted small next-backup" aria-label="Next run">
      <span>
        Next run: <strong>{next.type}</strong> — {next.reason}.
      </span>{' '}
      <button type="button" className="button-ghost" aria-pressed={next.fullRequested} disabled={busy} onClick={() => void toggle()}>
        {next.fullRequested ? 'Cancel “Next run: full”' : 'Next run: full'}
      </button>
    </p>
  );
}
