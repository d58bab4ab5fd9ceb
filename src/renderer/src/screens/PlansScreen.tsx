import { useState } from 'react';
import type { PlanPreset } from '../../../shared/ipc-contract';
import type { Plan } from '../../../shared/plan';
import { ErrorBanner } from '../components/ErrorBanner';
import { JobProgressView } from '../components/JobProgressView';
import { NextBackupLine } from '../components/NextBackupLine';
import { PlanPresetPicker } from '../components/PlanPresetPicker';
import { toUiError, type UiError } from '../lib/errors';
import { describeRetention, describeSchedule } from '../lib/plan-form';
import { hrefFor } from '../lib/route';
import { activeJobOfPlan, useJobsStore } from '../stores/jobs-store';
import { usePlansStore } from '../stores/plans-store';
import { PlanEditor } from './PlanEditor';

type Editing = { mode: 'new'; preset?: PlanPreset } | { mode: 'edit'; plan: Plan } | null;

function sourcesLine(plan: Plan): string {
  const parts: string[] = [];
  if (plan.databases.length) parts.push(`${plan.databases.length} database${plan.databases.length > 1 ? 's' : ''}`);
  if (plan.folders.length) parts.push(`${plan.folders.length} folder${plan.folders.length > 1 ? 's' : ''}`);
  return parts.join(', ');
}

function PlanCard({ plan, onEdit, onError }: { plan: Plan; onEdit(): void; onError(error: UiError | null): void }) {
  const { runNow, remove } = usePlansStore();
  const activeJob = useJobsStore((s) => activeJobOfPlan(s.active, plan.id));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  // "Run with a label": the run's own description (History, the CSV export, the manifest)
  const [label, setLabel] = useState<string | null>(null);

  const act = async (action: () => Promise<unknown>) => {
    onError(null);
    setBusy(true);
    try {
      await action();
    } catch (e) {
      onError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="card plan-card" aria-label={plan.name}>
      <div className="plan-card-main">
        <div className="plan-card-title">
          <h2>{plan.name}</h2>
          <span className={`badge ${plan.enabled ? 'badge-success' : 'badge-cancelled'}`}>{plan.enabled ? 'enabled' : 'disabled'}</span>
          <span className="badge badge-neutral">{plan.type}</span>
          {plan.options.encrypt && <span className="badge badge-neutral">encrypted</span>}
        </div>
        <p className="muted">
          {sourcesLine(plan)} · {describeSchedule(plan.schedule)} ({plan.timezone}) · {describeRetention(plan.retention)}
        </p>
        <p className="muted mono small break">→ {plan.options.destination}</p>
        {plan.type !== 'full' && <NextBackupLine plan={plan} onError={onError} />}
      </div>
      <div className="plan-card-actions">
        {confirmDelete ? (
          <>
            <span className="muted">Delete “{plan.name}”? Its backups stay on disk.</span>
            <button type="button" className="button-danger" disabled={busy} onClick={() => void act(() => remove(plan.id))}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className="button-primary"
              disabled={busy || Boolean(activeJob)}
              onClick={() => void act(() => runNow(plan.id, label ?? undefined)).then(() => setLabel(null))}
            >
              Run now
            </button>
            {label === null ? (
              <button type="button" className="button-ghost" disabled={busy || Boolean(activeJob)} onClick={() => setLabel('')}>
                Add a label…
              </button>
            ) : (
              <input
                aria-label={`Label of the next run of ${plan.name}`}
                placeholder={plan.description || 'e.g. before the v2 migration'}
                maxLength={500}
                value={label}
                onChange={(e) => setLabel(e.target.value)}
              />
            )}
            <button type="button" onClick={onEdit}>
              Edit
            </button>
            <button type="button" disabled={Boolean(activeJob)} onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </>
        )}
      </div>
      {activeJob && (
        <div className="plan-card-progress">
          <JobProgressView job={activeJob} />
        </div>
      )}
    </li>
  );
}

export function PlansScreen() {
  const { plans, loaded, error } = usePlansStore();
  const [editing, setEditing] = useState<Editing>(null);
  const [actionError, setActionError] = useState<UiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  if (editing) {
    return (
      <PlanEditor
        plan={editing.mode === 'edit' ? editing.plan : null}
        preset={editing.mode === 'new' ? editing.preset : null}
        onDone={(saved) => {
          setEditing(null);
          setNotice(saved ? `Saved “${saved.name}”.` : null);
        }}
      />
    );
  }

  return (
    <section className="screen" aria-labelledby="plans-title">
      <header className="screen-header">
        <h1 id="plans-title">Plans</h1>
        <button type="button" className="button-primary" onClick={() => (setNotice(null), setEditing({ mode: 'new' }))}>
          New plan
        </button>
      </header>
      {notice && (
        <div className="banner banner-info" role="status">
          {notice} <a href={hrefFor('history')}>Runs appear in History.</a>
        </div>
      )}
      <ErrorBanner error={error} />
      <ErrorBanner error={actionError} onDismiss={() => setActionError(null)} />
      {loaded && plans.length === 0 && (
        <PlanPresetPicker
          onChoose={(preset) => (setNotice(null), setEditing({ mode: 'new', preset }))}
          onBlank={() => (setNotice(null), setEditing({ mode: 'new' }))}
        />
      )}
      {plans.length > 0 && (
        <ul className="plan-list" aria-label="Plans">
          {plans.map((plan) => (
            <PlanCard key={plan.id} plan={plan} onEdit={() => setEditing({ mode: 'edit', plan })} onError={setActionError} />
          ))}
        </ul>
      )}
    </section>
  );
}
