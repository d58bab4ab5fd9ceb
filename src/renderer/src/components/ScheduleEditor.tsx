import { useEffect, useId, useState } from 'react';
import { scheduleSchema, type Schedule } from '../../../shared/plan';
import { call } from '../lib/api';
import { toUiError } from '../lib/errors';
import { WEEK_DAYS, scheduleFromDraft, type FieldErrors, type PlanDraft, type ScheduleKind } from '../lib/plan-form';
import { browserTimeZone, formatInZone, formatLocalShort, formatRelative, validationDetail } from '../lib/schedule-format';
import { CheckboxField, Field } from './Field';
import { TimeZoneField } from './TimeZoneField';

const SCHEDULE_KINDS: { value: ScheduleKind; label: string }[] = [
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
  { value: 'monthly', label: 'Monthly' },
  { value: 'hourly', label: 'Every N hours' },
  { value: 'cron', label: 'Cron expression' },
  { value: 'manual', label: 'Manual only' },
];

/** How many runs the preview shows. */
const PREVIEW_COUNT = 5;
/** Wait for a pause in typing before asking main. */
const PREVIEW_DEBOUNCE_MS = 350;

/**
 * A schedule problem main found (unknown zone, bad cron): the field it belongs to and a short
 * message for it; the preview beside the field shows main's whole explanation.
 */
export interface ScheduleProblem {
  field: 'timezone' | 'schedule.expression';
  message: string;
}

const FIELD_PROBLEMS: Record<ScheduleProblem['field'], string> = {
  timezone: 'Not a time zone Lifeboat knows',
  'schedule.expression': 'Not a valid cron expression',
};

/** What the form itself can tell before asking main; null when the schedule is complete. */
function localProblem(schedule: Schedule, timezone: string): string | null {
  if (schedule.kind === 'manual') return null;
  if (schedule.kind === 'cron' && schedule.expression === '') return 'Enter a cron expression to see its next runs.';
  if (!timezone.trim()) return 'Enter a timezone to see the next runs.';
  if (scheduleSchema.safeParse(schedule).success) return null;
  switch (schedule.kind) {
    case 'daily':
    case 'weekly':
    case 'monthly':
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(schedule.time)) return 'Enter a time as HH:mm, for example 02:00.';
      if (schedule.kind === 'weekly') return 'Choose at least one day of the week.';
      return 'Enter a day of the month from 1 to 31.';
    case 'hourly':
      return 'Enter a whole number of hours from 1 to 168.';
    case 'cron':
      return 'A cron expression has 5 fields: minute hour day month weekday, for example 0 2 * * *.';
  }
}

function problemOf(detail: string): ScheduleProblem {
  const field = /time zone/i.test(detail) ? 'timezone' : 'schedule.expression';
  return { field, message: FIELD_PROBLEMS[field] };
}

type Preview =
  | { state: 'idle'; note: string | null }
  | { state: 'loading'; runs: string[] }
  | { state: 'ready'; runs: string[] }
  | { state: 'error'; message: string };

let previewSeq = 0;

/**
 * The next runs of a schedule as main computes them ('plans/preview-schedule': the same pure
 * function the scheduler arms its timers with, DST rules included), asked for after a pause in
 * typing. Reports main's validation error (bad cron, unknown zone) through `onProblem`.
 */
function useSchedulePreview(schedule: Schedule, timezone: string, onProblem: (problem: ScheduleProblem | null) => void): Preview {
  const key = JSON.stringify([schedule, timezone.trim()]);
  const [preview, setPreview] = useState<Preview>({ state: 'idle', note: null });

  useEffect(() => {
    const [current, zone] = JSON.parse(key) as [Schedule, string];
    if (current.kind === 'manual') {
      setPreview({ state: 'idle', note: 'Manual only: this plan runs when you press Run now (or from the tray).' });
      onProblem(null);
      return;
    }
    const problem = localProblem(current, zone);
    if (problem) {
      setPreview({ state: 'idle', note: problem });
      onProblem(null);
      return;
    }
    setPreview((p) => ({ state: 'loading', runs: p.state === 'ready' || p.state === 'loading' ? p.runs : [] }));
    const seq = ++previewSeq;
    const timer = setTimeout(() => {
      call('plans/preview-schedule', { schedule: current, timezone: zone, count: PREVIEW_COUNT })
        .then(({ runs }) => {
          if (seq !== previewSeq) return;
          setPreview({ state: 'ready', runs });
          onProblem(null);
        })
        .catch((error: unknown) => {
          if (seq !== previewSeq) return;
          const message = validationDetail(toUiError(error));
          setPreview({ state: 'error', message });
          onProblem(toUiError(error).code === 'VALIDATION' ? problemOf(message) : null);
        });
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key, onProblem]);

  return preview;
}

function SchedulePreview({ preview, timezone }: { preview: Preview; timezone: string }) {
  const titleId = useId();
  const local = browserTimeZone();
  const now = new Date();
  return (
    <section className="schedule-preview" aria-labelledby={titleId}>
      <h3 id={titleId}>Next {PREVIEW_COUNT} runs</h3>
      <div aria-live="polite">
        {preview.state === 'idle' && preview.note && <p className="muted">{preview.note}</p>}
        {preview.state === 'error' && (
          <p className="schedule-preview-error" role="alert">
            {preview.message}
          </p>
        )}
        {(preview.state === 'ready' || preview.state === 'loading') &&
          (preview.runs.length === 0 ? (
            <p className="muted">{preview.state === 'loading' ? 'Working out the next runs…' : 'This schedule never runs.'}</p>
          ) : (
            <ol className={`schedule-preview-runs${preview.state === 'loading' ? ' is-stale' : ''}`} aria-label="Next runs" aria-busy={preview.state === 'loading'}>
              {preview.runs.map((iso) => (
                <li key={iso}>
                  <time dateTime={iso}>{formatInZone(iso, timezone.trim())}</time>
                  <span className="muted small">
                    {formatRelative(iso, now)}
                    {local !== timezone.trim() && ` · ${formatLocalShort(iso)} here`}
                  </span>
                </li>
              ))}
            </ol>
          ))}
      </div>
      {preview.state !== 'error' && preview.state !== 'idle' && (
        <p className="muted small">Times in {timezone.trim()}; daylight-saving changes are taken into account.</p>
      )}
    </section>
  );
}

/**
 * The schedule section of the plan editor: kind (daily at HH:mm, weekly on chosen days, monthly
 * on a day, every N hours, cron), timezone, enabled, and a live preview of the next runs.
 */
export function ScheduleEditor({
  draft,
  errors,
  update,
  onProblem,
}: {
  draft: PlanDraft;
  errors: FieldErrors;
  update(patch: Partial<PlanDraft>): void;
  /** main's verdict on the schedule, for the form to refuse saving a schedule that cannot run */
  onProblem(problem: ScheduleProblem | null): void;
}) {
  const schedule = scheduleFromDraft(draft);
  const preview = useSchedulePreview(schedule, draft.timezone, onProblem);
  const previewProblem = preview.state === 'error' ? problemOf(preview.message) : null;
  // main's live verdict wins over what the last submit found: a fixed field stops being red
  const fieldError = (field: ScheduleProblem['field']) => {
    if (preview.state === 'ready') return undefined;
    return errors[field] ?? (previewProblem?.field === field ? previewProblem.message : undefined);
  };
  const atTime = draft.scheduleKind === 'daily' || draft.scheduleKind === 'weekly' || draft.scheduleKind === 'monthly';

  return (
    <fieldset className="card">
      <legend>Schedule</legend>
      <div className="schedule-layout">
        <div className="schedule-fields">
          <div className="grid-2">
            <Field label="Runs">
              {(p) => (
                <select {...p} value={draft.scheduleKind} onChange={(e) => update({ scheduleKind: e.target.value as ScheduleKind })}>
                  {SCHEDULE_KINDS.map((k) => (
                    <option key={k.value} value={k.value}>
                      {k.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {draft.scheduleKind !== 'manual' && (
              <TimeZoneField
                value={draft.timezone}
                onChange={(timezone) => update({ timezone })}
                error={fieldError('timezone')}
                hint="The schedule follows this zone's clock."
              />
            )}
            {atTime && (
              <Field label="At (HH:mm)" error={errors['schedule.time']}>
                {(p) => <input {...p} type="time" value={draft.time} onChange={(e) => update({ time: e.target.value })} />}
              </Field>
            )}
            {draft.scheduleKind === 'monthly' && (
              <Field label="Day of month" error={errors['schedule.day']} hint="Days past the month's end run on its last day.">
                {(p) => <input {...p} inputMode="numeric" value={draft.monthDay} onChange={(e) => update({ monthDay: e.target.value })} />}
              </Field>
            )}
            {draft.scheduleKind === 'hourly' && (
              <Field
                label="Every N hours"
                error={errors['schedule.everyHours']}
                hint="Counted from midnight: every 6 hours runs at 00:00, 06:00, 12:00 and 18:00."
              >
                {(p) => <input {...p} inputMode="numeric" value={draft.everyHours} onChange={(e) => update({ everyHours: e.target.value })} />}
              </Field>
            )}
            {draft.scheduleKind === 'cron' && (
              <Field
                label="Cron expression"
                error={fieldError('schedule.expression')}
                hint="minute hour day month weekday, e.g. 30 1 * * 1-5"
                className="field-span-2"
              >
                {(p) => (
                  <input
                    {...p}
                    className="mono"
                    value={draft.cron}
                    placeholder="0 2 * * *"
                    spellCheck={false}
                    onChange={(e) => update({ cron: e.target.value })}
                  />
                )}
              </Field>
            )}
          </div>
          {draft.scheduleKind === 'weekly' && (
            <fieldset className="weekdays">
              <legend>On these days</legend>
              {WEEK_DAYS.map((label, day) => (
                <label key={label} className="weekday">
                  <input
                    type="checkbox"
                    checked={draft.weekDays.includes(day)}
                    onChange={(e) =>
                      update({ weekDays: e.target.checked ? [...draft.weekDays, day] : draft.weekDays.filter((d) => d !== day) })
                    }
                  />
                  {label}
                </label>
              ))}
              {errors['schedule.days'] && <div className="field-error">{errors['schedule.days']}</div>}
            </fieldset>
          )}
          <CheckboxField
            label="Enabled (runs on its schedule)"
            checked={draft.enabled}
            onChange={(enabled) => update({ enabled })}
            hint={draft.enabled ? undefined : 'Disabled: the schedule is kept but does not run. Run now still works.'}
          />
        </div>
        <SchedulePreview preview={preview} timezone={draft.timezone} />
      </div>
    </fieldset>
  );
}
