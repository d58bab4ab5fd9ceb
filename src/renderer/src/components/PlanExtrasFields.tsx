/**
 * The plan editor's parts for a database's dump options (with a check against the live
 * database), and for the plan's description, hooks and alert rules.
 */
import { useState } from 'react';
import { DUMP_FILTER_FIELDS, DUMP_FILTER_FLAGS, dumpPatternProblem, type DumpFilterField } from '../../../shared/dump-filter';
import type { DumpFilterCheck } from '../../../shared/ipc-contract';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { patternLines, type DumpFilterDraft, type PlanExtrasDraft } from '../lib/plan-extras-form';
import { databaseSourceOf, type DatabaseDraft, type FieldErrors } from '../lib/plan-form';
import { ErrorBanner } from './ErrorBanner';
import { CheckboxField, Field } from './Field';

const FILTER_LABELS: Record<DumpFilterField, { label: string; hint: string }> = {
  schemas: { label: 'Only these schemas', hint: 'One pattern per line; empty: every schema.' },
  excludeSchemas: { label: 'Leave out schemas', hint: 'For example tmp_* — nothing in them is backed up.' },
  excludeTables: { label: 'Leave out tables', hint: 'For example public.scratch or *.tmp_* — not in the backup at all.' },
  excludeTableData: { label: 'Leave out the rows of', hint: 'For example public.audit_log — the table comes back empty; the backup says why.' },
};

/** The first problem of a field's patterns, as main would refuse them. */
function patternError(field: DumpFilterField, value: string, fromSchema: string | undefined): string | undefined {
  for (const pattern of patternLines(value)) {
    const problem = dumpPatternProblem(field, pattern);
    if (problem) return `${pattern}: ${problem}`;
  }
  return fromSchema;
}

export function DumpFilterFields({
  db,
  index,
  planId,
  errors,
  onChange,
}: {
  db: DatabaseDraft;
  index: number;
  planId: string | undefined;
  errors: FieldErrors;
  onChange(filter: DumpFilterDraft): void;
}) {
  const [open, setOpen] = useState(() => DUMP_FILTER_FIELDS.some((f) => db.filter[f].trim() !== ''));
  const [check, setCheck] = useState<DumpFilterCheck | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const fieldError = (f: DumpFilterField) =>
    patternError(f, db.filter[f], Object.entries(errors).find(([k]) => k.startsWith(`databases.${index}.${f}`))?.[1]);

  const runCheck = async () => {
    setError(null);
    setChecking(true);
    try {
      const source = databaseSourceOf(db);
      setCheck(await call('plans/check-dump-filter', { ...(planId ? { planId } : {}), source, ...(db.password ? { password: db.password } : {}) }));
    } catch (e) {
      setError(toUiError(e));
      setCheck(null);
    } finally {
      setChecking(false);
    }
  };

  if (!open) {
    return (
      <button type="button" className="button-ghost" onClick={() => setOpen(true)}>
        Leave out schemas, tables or table data…
      </button>
    );
  }
  return (
    <div className="dump-filter" role="group" aria-label={`Dump options of database ${index + 1}`}>
      <div className="grid-2">
        {DUMP_FILTER_FIELDS.map((f) => (
          <Field key={f} name={`databases.${index}.${f}`} label={FILTER_LABELS[f].label} hint={`${FILTER_LABELS[f].hint} (pg_dump ${DUMP_FILTER_FLAGS[f]})`} error={fieldError(f)}>
            {(p) => (
              <textarea
                {...p}
                className="mono"
                rows={2}
                value={db.filter[f]}
                onChange={(e) => {
                  setCheck(null);
                  onChange({ ...db.filter, [f]: e.target.value });
                }}
              />
            )}
          </Field>
        ))}
      </div>
      <div className="button-row">
        <button type="button" onClick={() => void runCheck()} disabled={checking || !db.database.trim()}>
          {checking ? 'Checking…' : 'Check patterns against the database'}
        </button>
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      {check && (
        <div className={`banner ${check.warnings.length ? 'banner-warn' : 'banner-info'}`} role="status">
          <div>
            {check.warnings.length ? (
              <ul>
                {check.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            ) : (
              <strong>Every pattern matches something.</strong>
            )}
            <ul className="small">
              {check.patterns
                .filter((p) => p.count > 0)
                .map((p) => (
                  <li key={`${p.field}:${p.pattern}`}>
                    {DUMP_FILTER_FLAGS[p.field]} {p.pattern}: {p.matches.join(', ')}
                    {p.count > p.matches.length ? ` and ${p.count - p.matches.length} more` : ''}
                  </li>
                ))}
            </ul>
          </div>
        </div>
      )}
    </div>
  );
}

/** The plan editor's "Description and hooks" (`part` hooks) or "Alerts" section. */
export function PlanExtrasFields({
  part,
  extras,
  errors,
  onChange,
}: {
  part: 'hooks' | 'alerts';
  extras: PlanExtrasDraft;
  errors: FieldErrors;
  onChange(patch: Partial<PlanExtrasDraft>): void;
}) {
  const err = (prefix: string) => Object.entries(errors).find(([k]) => k.startsWith(prefix))?.[1];
  return (
    <>
      {part === 'hooks' && (
      <fieldset className="card">
        <legend>Description and hooks</legend>
        <Field label="Description" hint="A label of this plan's backups, shown in History and the CSV export and kept in each backup. Run now can give a run its own." error={errors.description}>
          {(p) => <input {...p} maxLength={500} value={extras.description} onChange={(e) => onChange({ description: e.target.value })} />}
        </Field>
        <div className="grid-2">
          <Field
            label="Before each backup run"
            name="hooks.pre"
            hint="A program and its arguments, run without a shell. If it fails, the run fails before anything is written."
            error={err('hooks.pre')}
          >
            {(p) => <input {...p} className="mono" placeholder="/usr/local/bin/before-backup.sh" value={extras.preHook} onChange={(e) => onChange({ preHook: e.target.value })} />}
          </Field>
          <Field
            label="After each backup run"
            name="hooks.post"
            hint="Gets LIFEBOAT_BACKUP_PATH, LIFEBOAT_BACKUP_STATUS, LIFEBOAT_PLAN_NAME… in its environment."
            error={err('hooks.post')}
          >
            {(p) => <input {...p} className="mono" placeholder="/usr/local/bin/after-backup.sh" value={extras.postHook} onChange={(e) => onChange({ postHook: e.target.value })} />}
          </Field>
          <Field label="Hook timeout (seconds)" name="hooks.timeoutSeconds" hint="A hook still running then is stopped, and fails." error={err('hooks.pre.timeoutSeconds') ?? err('hooks.post.timeoutSeconds')}>
            {(p) => <input {...p} inputMode="numeric" value={extras.hookTimeout} onChange={(e) => onChange({ hookTimeout: e.target.value })} />}
          </Field>
        </div>
      </fieldset>
      )}

      {part === 'alerts' && (
      <fieldset className="card">
        <legend>Alerts</legend>
        <div className="grid-2">
          <CheckboxField label="Failed runs in a row" checked={extras.failuresOn} onChange={(failuresOn) => onChange({ failuresOn })} />
          <Field label="After this many" error={err('alerts.consecutiveFailures')}>
            {(p) => <input {...p} inputMode="numeric" disabled={!extras.failuresOn} value={extras.failures} onChange={(e) => onChange({ failures: e.target.value })} />}
          </Field>
          <CheckboxField label="Unusual backup size" checked={extras.sizeOn} onChange={(sizeOn) => onChange({ sizeOn })} />
          <Field label="Factor" hint="2: more than twice or less than half the usual size." error={err('alerts.sizeChange')}>
            {(p) => <input {...p} inputMode="decimal" disabled={!extras.sizeOn} value={extras.sizeFactor} onChange={(e) => onChange({ sizeFactor: e.target.value })} />}
          </Field>
          <CheckboxField label="Run takes too long" checked={extras.durationOn} onChange={(durationOn) => onChange({ durationOn })} />
          <div className="grid-2">
            <Field label="Times the usual" error={err('alerts.duration')}>
              {(p) => <input {...p} inputMode="decimal" disabled={!extras.durationOn} value={extras.durationFactor} onChange={(e) => onChange({ durationFactor: e.target.value })} />}
            </Field>
            <Field label="Or minutes">
              {(p) => <input {...p} inputMode="numeric" disabled={!extras.durationOn} value={extras.durationMinutes} onChange={(e) => onChange({ durationMinutes: e.target.value })} />}
            </Field>
          </div>
          <CheckboxField label="Low disk space at the destination" checked={extras.diskOn} onChange={(diskOn) => onChange({ diskOn })} />
          <div className="grid-2">
            <Field label="Below percent free" error={err('alerts.lowDisk')}>
              {(p) => <input {...p} inputMode="decimal" disabled={!extras.diskOn} value={extras.diskPercent} onChange={(e) => onChange({ diskPercent: e.target.value })} />}
            </Field>
            <Field label="Or below (size)" hint="1GB, 500MiB">
              {(p) => <input {...p} disabled={!extras.diskOn} value={extras.diskFree} onChange={(e) => onChange({ diskFree: e.target.value })} />}
            </Field>
          </div>
          <CheckboxField label="No recent successful backup" checked={extras.overdueOn} onChange={(overdueOn) => onChange({ overdueOn })} />
          <Field label="Grace minutes after one schedule interval" hint="Empty: after two intervals." error={err('alerts.overdue')}>
            {(p) => <input {...p} inputMode="numeric" disabled={!extras.overdueOn} value={extras.overdueGrace} onChange={(e) => onChange({ overdueGrace: e.target.value })} />}
          </Field>
        </div>
      </fieldset>
      )}
    </>
  );
}
