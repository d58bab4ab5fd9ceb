import { useEffect, useState } from 'react';
import type { PlanPreset } from '../../../shared/ipc-contract';
import type { JobSummary } from '../../../shared/job';
import type { Plan } from '../../../shared/plan';
import { InlineConfirm, useReturnFocus } from '../components/InlineConfirm';
import { ProvenMark } from '../components/ProvenMark';
import { StatusBadge } from '../components/StatusBadge';
import { call } from '../lib/api';
import { formatDateTime, formatShortDateTime } from '../lib/format';
import { formatRelative } from '../lib/schedule-format';
import { useSchedulerStore } from '../stores/scheduler-store';
import { ErrorBanner } from '../components/ErrorBanner';
import { JobProgressView } from '../components/JobProgressView';
import { NextBackupLine } from '../components/NextBackupLine';
import { PlanPresetPicker } from '../components/PlanPresetPicker';
import { toUiError, type UiError } from '../lib/errors';
import { describeRetention, describeSchedule } from '../lib/plan-form';
import { hrefFor, useRoute } from '../lib/route';
import { activeJobOfPlan, isFinal, useJobsStore } from '../stores/jobs-store';
import { usePlansStore } from '../stores/plans-store';
import { PlanEditor, type PlanFailure } from './PlanEditor';

type Editing = { mode: 'new'; preset?: PlanPreset } | { mode: 'edit'; plan: Plan; failure?: PlanFailure | null } | null;

function sourcesLine(plan: Plan): string {
  const parts: string[] = [];
  if (plan.databases.length) parts.push(`${plan.databases.length} database${plan.databases.length > 1 ? 's' : ''}`);
  if (plan.folders.length) parts.push(`${plan.folders.length} folder${plan.folders.length > 1 ? 's' : ''}`);
  return parts.join(', ');
}

/** What a plan card says about the plan's backups: its last result, next run and newest proof. */
interface PlanFacts {
  /** undefined: loading; null: no finished backup yet */
  last: JobSummary | null | undefined;
  provenAt: string | null;
}

/** The newest finished backup of each plan and when a drill last proved one, reloaded as jobs end. */
function usePlanFacts(plans: Plan[]): Record<string, PlanFacts> {
  const [facts, setFacts] = useState<Record<string, PlanFacts>>({});
  const activeCount = useJobsStore((s) => Object.keys(s.active).length);
  const ids = plans.map((p) => p.id).join(',');
  useEffect(() => {
    let live = true;
    const planIds = ids ? ids.split(',') : [];
    void Promise.all([
      Promise.all(planIds.map((planId) => call('jobs/list', { planId, kind: 'backup', page: 1, pageSize: 5 }))),
      call('jobs/stats', { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, days: 1 }),
    ])
      .then(([pages, stats]) => {
        if (!live) return;
        const next: Record<string, PlanFacts> = {};
        planIds.forEach((id, i) => {
          next[id] = { last: pages[i]!.items.find((job) => isFinal(job.status)) ?? null, provenAt: stats.lastProvenByPlan[id] ?? null };
        });
        setFacts(next);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [ids, activeCount]);
  return facts;
}

function PlanFactsLine({ plan, facts }: { plan: Plan; facts: PlanFacts | undefined }) {
  const nextAt = useSchedulerStore((s) => s.status?.nextRuns.find((r) => r.planId === plan.id)?.at ?? null);
  const last = facts?.last;
  return (
    <dl className="plan-facts">
      <div>
        <dt>Last result</dt>
        <dd>
          {last ? (
            <>
              <StatusBadge status={last.status} />{' '}
              <a href={hrefFor('history', { job: last.id })} title={formatDateTime(last.startedAt)}>
                {formatRelative(last.startedAt)}
              </a>
            </>
          ) : (
            <span className="muted">{last === null ? 'never run' : '…'}</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Next run</dt>
        <dd>
          {nextAt ? (
            <span title={formatDateTime(nextAt)}>{formatShortDateTime(nextAt)}</span>
          ) : (
            <span className="muted">{!plan.enabled ? 'disabled' : plan.schedule.kind === 'manual' ? 'manual only' : 'not armed'}</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Proven restorable</dt>
        <dd>
          <ProvenMark at={facts?.provenAt ?? null} none={plan.options.drillAfter ? 'not yet' : 'no drill'} />
        </dd>
      </div>
      {last && (last.status === 'failed' || last.status === 'partial') && last.displayMessage && (
        <div className="plan-facts-message">
          <dt className="visually-hidden">Last message</dt>
          <dd className="error-text" title={last.displayMessage}>
            {last.displayMessage}
          </dd>
        </div>
      )}
    </dl>
  );
}

function PlanCard({ plan, facts, onEdit, onError }: { plan: Plan; facts: PlanFacts | undefined; onEdit(): void; onError(error: UiError | null): void }) {
  const { runNow, remove } = usePlansStore();
  const activeJob = useJobsStore((s) => activeJobOfPlan(s.active, plan.id));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const deleteRef = useReturnFocus<HTMLButtonElement>(confirmDelete);
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
    <li className={`card plan-card${facts?.last?.status === 'failed' ? ' plan-card-failing' : ''}`} aria-label={plan.name}>
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
        <PlanFactsLine plan={plan} facts={facts} />
        {plan.type !== 'full' && <NextBackupLine plan={plan} onError={onError} />}
      </div>
      <div className="plan-card-actions">
        {confirmDelete ? (
          <InlineConfirm label={`Delete ${plan.name}?`} onCancel={() => setConfirmDelete(false)} className="confirm-inline">
            <span className="muted">Delete “{plan.name}”? Its backups stay on disk.</span>
            <button type="button" className="button-danger" disabled={busy} onClick={() => void act(() => remove(plan.id))}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </InlineConfirm>
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
            <button type="button" ref={deleteRef} disabled={Boolean(activeJob)} onClick={() => setConfirmDelete(true)}>
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
  const facts = usePlanFacts(plans);
  // #/plans?edit=<id> (the Dashboard's and a failed job's Edit plan) opens that plan's editor once
  // …on the field its error code names (&field=<code>&source=<label>&hook=<phase>)
  const params = useRoute().params;
  const editId = params.get('edit');
  const failureCode = params.get('field');
  const failureSource = params.get('source');
  const failureHook = params.get('hook');
  useEffect(() => {
    const plan = editId ? plans.find((p) => p.id === editId) : undefined;
    if (!plan) return;
    window.history.replaceState(null, '', hrefFor('plans'));
    const failure: PlanFailure | null = failureCode
      ? { code: failureCode, sourceLabel: failureSource, hookPhase: failureHook === 'post' ? 'post' : failureHook === 'pre' ? 'pre' : null }
      : null;
    setEditing({ mode: 'edit', plan, failure });
  }, [editId, plans, failureCode, failureSource, failureHook]);

  if (editing) {
    return (
      <PlanEditor
        plan={editing.mode === 'edit' ? editing.plan : null}
        preset={editing.mode === 'new' ? editing.preset : null}
        failure={editing.mode === 'edit' ? editing.failure : null}
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
            <PlanCard key={plan.id} plan={plan} facts={facts[plan.id]} onEdit={() => setEditing({ mode: 'edit', plan })} onError={setActionError} />
          ))}
        </ul>
      )}
    </section>
  );
}
