import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { PlanPreset } from '../../../shared/ipc-contract';
import { BACKUP_TYPES, SSL_MODES, type Plan } from '../../../shared/plan';
import { ErrorBanner } from '../components/ErrorBanner';
import { Choice } from '../components/Choice';
import { ExcludeChips } from '../components/ExcludeChips';
import { DumpFilterFields, PlanExtrasFields } from '../components/PlanExtrasFields';
import { CheckboxField, Field, FlaggedField } from '../components/Field';
import { editorFieldForError, editorFieldWords } from '../../../shared/error-field';
import type { HookPhase } from '../../../shared/hooks';
import { ScheduleEditor, type ScheduleProblem } from '../components/ScheduleEditor';
import { ServerFields } from '../components/ServerFields';
import { ConnectionTest } from '../components/ConnectionTest';
import { DestinationsSection } from '../components/DestinationsSection';
import { PathInput } from '../components/PathInput';
import { toUiError, type UiError } from '../lib/errors';
import {
  draftFromPlan,
  draftFromPreset,
  emptyDraft,
  fieldLabel,
  newDatabaseDraft,
  newFolderDraft,
  validateDraft,
  type DatabaseDraft,
  type FieldErrors,
  type FolderDraft,
  type PlanDraft,
  type SslMode,
} from '../lib/plan-form';
import { useAppStore } from '../stores/app-store';
import { useLeaveGuard } from '../stores/leave-guard';
import { usePlansStore } from '../stores/plans-store';

const COMPRESSION_LABELS: Record<number, string> = { 0: '0 — store, no compression', 1: '1 — fastest', 6: '6 — balanced', 9: '9 — smallest' };

/** The editor's sections, in order: the side navigation jumps to them and counts their errors. */
const SECTIONS = [
  { id: 'general', label: 'Plan' },
  { id: 'sources', label: 'Sources' },
  { id: 'destination', label: 'Destinations' },
  { id: 'schedule', label: 'Schedule' },
  { id: 'retention', label: 'Retention & chains' },
  { id: 'options', label: 'Options' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'hooks', label: 'Description & hooks' },
] as const;
type SectionId = (typeof SECTIONS)[number]['id'];

/** Which section holds the field of an error key (`databases.0.host`, `options.destination`...). */
function sectionOf(key: string): SectionId {
  if (key === 'name' || key === 'type') return 'general';
  if (key.startsWith('databases') || key.startsWith('folders')) return 'sources';
  if (key === 'options.destination' || key.startsWith('options.copies')) return 'destination';
  if (key.startsWith('schedule') || key === 'timezone') return 'schedule';
  if (key.startsWith('retention') || key.startsWith('options.fullEvery')) return 'retention';
  if (key.startsWith('alerts')) return 'alerts';
  if (key === 'description' || key.startsWith('hooks')) return 'hooks';
  return 'options';
}

const sectionElementId = (id: SectionId) => `plan-section-${id}`;

/** A failed run's error, from its Edit plan: the editor opens on the field it names. */
export interface PlanFailure {
  code: string;
  sourceLabel?: string | null;
  hookPhase?: HookPhase | null;
}

/**
 * Scrolls to the field a failed run points at and focuses its input; a field that is not shown
 * (a closed section of options) falls back to its source, then to its section.
 */
function revealField(form: HTMLFormElement, name: string): void {
  const byName = (key: string) => form.querySelector<HTMLElement>(`[data-field="${CSS.escape(key)}"]`);
  const source = /^(databases|folders)\.\d+/.exec(name)?.[0];
  const target = byName(name) ?? (source ? byName(source) : null) ?? document.getElementById(sectionElementId(sectionOf(name)));
  if (!target) return;
  target.scrollIntoView({ block: 'center' });
  const input = target.querySelector<HTMLElement>('input:not([type="hidden"]), select, textarea') ?? target;
  input.focus({ preventScroll: true });
}

function EditorSection({ id, children }: { id: SectionId; children: ReactNode }) {
  // focusable so that the side navigation can move focus there, not only scroll
  return (
    <div id={sectionElementId(id)} className="editor-section" tabIndex={-1}>
      {children}
    </div>
  );
}

function SectionNav({ errors }: { errors: FieldErrors }) {
  const counts = new Map<SectionId, number>();
  for (const key of Object.keys(errors)) counts.set(sectionOf(key), (counts.get(sectionOf(key)) ?? 0) + 1);
  const goTo = (id: SectionId) => {
    const element = document.getElementById(sectionElementId(id));
    element?.scrollIntoView({ block: 'start' });
    element?.focus({ preventScroll: true });
  };
  return (
    <nav className="editor-nav" aria-label="Plan sections">
      <ul>
        {SECTIONS.map((section) => {
          const count = counts.get(section.id) ?? 0;
          return (
            <li key={section.id}>
              <button type="button" className="editor-nav-link" onClick={() => goTo(section.id)}>
                {section.label}
                {count > 0 && (
                  <span className="editor-nav-errors" aria-label={`${count} to fix`}>
                    {count}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function defaultDestination(dataDir: string | undefined, platform: string | undefined): string {
  if (!dataDir) return '';
  return `${dataDir}${platform === 'win32' ? '\\' : '/'}backups`;
}

export function PlanEditor({
  plan,
  preset = null,
  failure = null,
  onDone,
}: {
  plan: Plan | null;
  /** a new plan prefilled from a first-run preset */
  preset?: PlanPreset | null;
  /** opened from a failed run: the field its error names is shown, focused and highlighted */
  failure?: PlanFailure | null;
  onDone(saved: Plan | null): void;
}) {
  const info = useAppStore((s) => s.info);
  const save = usePlansStore((s) => s.save);
  const [draft, setDraft] = useState<PlanDraft>(() => {
    if (plan) return draftFromPlan(plan);
    const destination = defaultDestination(info?.dataDir, info?.platform);
    return preset ? draftFromPreset(preset, destination) : emptyDraft({ destination });
  });
  const [scheduleProblem, setScheduleProblem] = useState<ScheduleProblem | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<UiError | null>(null);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const [flagged] = useState(() => {
    const name = plan && failure ? editorFieldForError(failure.code, plan, failure) : null;
    return name && failure ? { name, code: failure.code, note: `The failed run points here (${failure.code}).` } : null;
  });
  useEffect(() => {
    if (!flagged) return;
    // after the App has scrolled the new screen to its top, and after focus left the closed job panel
    const frame = requestAnimationFrame(() => formRef.current && revealField(formRef.current, flagged.name));
    return () => cancelAnimationFrame(frame);
  }, [flagged]);
  // the draft as opened: what "unsaved changes" compares with
  const [initial] = useState(() => JSON.stringify(draft));
  const dirty = !saving && JSON.stringify(draft) !== initial;
  const setDirty = useLeaveGuard((s) => s.setDirty);
  const leave = useLeaveGuard((s) => s.leave);
  useEffect(() => setDirty(dirty, () => onDone(null)), [dirty, setDirty, onDone]);
  useEffect(() => () => setDirty(false, null), [setDirty]);

  // after a failed submit, take the user to the first field to fix
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const update = (patch: Partial<PlanDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const updateDb = (index: number, patch: Partial<DatabaseDraft>) =>
    setDraft((d) => ({ ...d, databases: d.databases.map((db, i) => (i === index ? { ...db, ...patch } : db)) }));
  const updateFolder = (index: number, patch: Partial<FolderDraft>) =>
    setDraft((d) => ({ ...d, folders: d.folders.map((f, i) => (i === index ? { ...f, ...patch } : f)) }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setServerError(null);
    const result = validateDraft(draft);
    // main said the schedule cannot run (a bad cron, an unknown zone): do not save it
    const scheduled = draft.scheduleKind !== 'manual';
    if (!result.ok || (scheduled && scheduleProblem)) {
      setErrors({
        ...(scheduled && scheduleProblem ? { [scheduleProblem.field]: scheduleProblem.message } : {}),
        ...(result.ok ? {} : result.errors),
      });
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      const saved = await save(result.plan, result.secrets);
      onDone(saved);
    } catch (e) {
      setServerError(toUiError(e));
    } finally {
      setSaving(false);
    }
  };

  const errorCount = Object.keys(errors).length;
  // the schema reports "no source at all" on `databases`; per-source errors have longer paths
  const sourcesError = errors.databases;

  return (
    <section className="screen" aria-labelledby="editor-title">
      <header className="screen-header">
        <h1 id="editor-title">{plan ? `Edit “${plan.name}”` : 'New plan'}</h1>
      </header>

      <div className="editor-layout">
      <SectionNav errors={errors} />
      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Plan">
        <FlaggedField.Provider value={flagged}>
        {errorCount > 0 && (
          <div className="banner banner-error" role="alert">
            <div>
              <strong>{errorCount === 1 ? 'One field needs attention:' : `${errorCount} fields need attention:`}</strong>{' '}
              {[...new Set(Object.keys(errors).map(fieldLabel))].join(', ')}.
            </div>
          </div>
        )}
        <ErrorBanner error={serverError} onDismiss={() => setServerError(null)} />
        {flagged && (
          <div className="banner banner-info" role="status">
            <div>
              <strong className="banner-code">{flagged.code}</strong>
              The last run failed on {editorFieldWords(flagged.name)}: correct it here and save, then retry the plan.
            </div>
          </div>
        )}
        {preset && !plan && (
          <div className="banner banner-info" role="status">
            <div>
              <strong>{preset.title}</strong> — {preset.description} Add the {preset.sources === 'databases' ? 'databases' : 'databases or folders'}{' '}
              to back up and check the destination folder, then create the plan.
            </div>
          </div>
        )}

        <EditorSection id="general">
        <fieldset className="card">
          <legend>Plan</legend>
          <div className="grid-2">
            <Field label="Name" error={errors.name}>
              {(p) => <input {...p} value={draft.name} onChange={(e) => update({ name: e.target.value })} maxLength={120} />}
            </Field>
            <Field label="Backup type" hint="Incremental and differential back up changed files only; databases are always dumped whole.">
              {(p) => (
                <select {...p} value={draft.type} onChange={(e) => update({ type: e.target.value as PlanDraft['type'] })}>
                  {BACKUP_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        </fieldset>

        </EditorSection>

        <EditorSection id="sources">
        <fieldset className="card">
          <legend>Sources</legend>
          {sourcesError && (
            <div className="field-error" role="alert">
              {sourcesError}
            </div>
          )}
          {draft.databases.map((db, index) => (
            <div className="source" key={db.id} aria-label={`Database ${index + 1}`} role="group" data-field={`databases.${index}`}>
              <div className="source-header">
                <h3>Database {index + 1}</h3>
                <button
                  type="button"
                  className="button-ghost"
                  onClick={() => update({ databases: draft.databases.filter((_, i) => i !== index) })}
                >
                  Remove database
                </button>
              </div>
              <div className="grid-3">
                <Field label="Host" name={`databases.${index}.host`} error={errors[`databases.${index}.host`]}>
                  {(p) => <input {...p} value={db.host} onChange={(e) => updateDb(index, { host: e.target.value })} />}
                </Field>
                <Field label="Port" name={`databases.${index}.port`} error={errors[`databases.${index}.port`]}>
                  {(p) => <input {...p} inputMode="numeric" value={db.port} onChange={(e) => updateDb(index, { port: e.target.value })} />}
                </Field>
                <Field label="SSL mode">
                  {(p) => (
                    <select {...p} value={db.sslMode} onChange={(e) => updateDb(index, { sslMode: e.target.value as SslMode })}>
                      {SSL_MODES.map((m) => (
                        <option key={m} value={m}>
                          {m}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label="User" name={`databases.${index}.user`} error={errors[`databases.${index}.user`]}>
                  {(p) => <input {...p} value={db.user} onChange={(e) => updateDb(index, { user: e.target.value })} autoComplete="off" />}
                </Field>
                <Field label="Database" name={`databases.${index}.database`} error={errors[`databases.${index}.database`]}>
                  {(p) => <input {...p} value={db.database} onChange={(e) => updateDb(index, { database: e.target.value })} />}
                </Field>
                {db.passwordFrom ? (
                  <Field label="Password" name={`databases.${index}.password`} hint="Named with the lifeboat command (lifeboat plan edit changes it); read where the plan runs, never kept here.">
                    {(p) => <input {...p} className="mono" value={`from ${db.passwordFrom}`} readOnly />}
                  </Field>
                ) : (
                <Field
                  label="Password"
                  name={`databases.${index}.password`}
                  hint={
                    db.hasPassword
                      ? db.removePassword
                        ? 'The stored password will be removed.'
                        : 'Stored in keychain. Leave blank to keep it.'
                      : 'Kept in the OS keychain, never in the plan.'
                  }
                >
                  {(p) => (
                    <input
                      {...p}
                      type="password"
                      autoComplete="new-password"
                      value={db.password}
                      placeholder={db.hasPassword ? 'stored in keychain' : ''}
                      onChange={(e) => updateDb(index, { password: e.target.value })}
                    />
                  )}
                </Field>
                )}
              </div>
              {db.hasPassword && (
                <CheckboxField
                  label="Remove the stored password"
                  checked={db.removePassword}
                  onChange={(removePassword) => updateDb(index, { removePassword, password: '' })}
                />
              )}
              <ConnectionTest db={db} planId={plan?.id} label={`database ${index + 1}`} />
              <DumpFilterFields db={db} index={index} planId={plan?.id} errors={errors} onChange={(filter) => updateDb(index, { filter })} />
            </div>
          ))}
          {draft.folders.map((folder, index) => (
            <div className="source" key={folder.id} aria-label={`Folder ${index + 1}`} role="group" data-field={`folders.${index}`}>
              <div className="source-header">
                <h3>Folder {index + 1}</h3>
                <button
                  type="button"
                  className="button-ghost"
                  onClick={() => update({ folders: draft.folders.filter((_, i) => i !== index) })}
                >
                  Remove folder
                </button>
              </div>
              <Field label="Folder path" name={`folders.${index}.path`} error={errors[`folders.${index}.path`]}>
                {(p) => (
                  <PathInput
                    input={p}
                    kind="folder"
                    value={folder.path}
                    onChange={(path) => updateFolder(index, { path })}
                    browseLabel={`Browse for folder ${index + 1}`}
                    dialogTitle="Choose a folder to back up"
                    placeholder="/home/me/projects"
                  />
                )}
              </Field>
              <ExcludeChips
                value={folder.excludes}
                onChange={(excludes) => updateFolder(index, { excludes })}
                error={Object.entries(errors).find(([k]) => k.startsWith(`folders.${index}.excludes`))?.[1]}
              />
            </div>
          ))}
          <div className="button-row">
            <button type="button" onClick={() => update({ databases: [...draft.databases, newDatabaseDraft()] })}>
              Add database
            </button>
            <button type="button" onClick={() => update({ folders: [...draft.folders, newFolderDraft()] })}>
              Add folder
            </button>
          </div>
        </fieldset>

        </EditorSection>

        <EditorSection id="destination">
          <fieldset className="card">
            <legend>Destinations</legend>
            <Field
              label="Destination folder"
              name="options.destination"
              error={errors['options.destination']}
              hint="Each backup is one .lifeboat file written here; created when it does not exist."
            >
              {(p) => (
                <PathInput
                  input={p}
                  kind="folder"
                  value={draft.destination}
                  onChange={(destination) => update({ destination })}
                  browseLabel="Browse for the destination"
                  dialogTitle="Choose where backups are written"
                  placeholder="/var/backups/lifeboat"
                />
              )}
            </Field>
            <DestinationsSection copies={draft.copies} errors={errors} planId={plan?.id} onChange={(copies) => update({ copies })} />
          </fieldset>
        </EditorSection>

        <EditorSection id="schedule">
          <ScheduleEditor draft={draft} errors={errors} update={update} onProblem={setScheduleProblem} />
        </EditorSection>

        <EditorSection id="retention">

        <fieldset className="card">
          <legend>Retention &amp; chains</legend>
          <div className="grid-3">
            <Field label="Keep for days" hint="1–365; blank keeps regardless of age." error={errors['retention.days']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.retentionDays} onChange={(e) => update({ retentionDays: e.target.value })} />}
            </Field>
            <Field label="Keep at most" hint="Backups in total; blank for no limit." error={errors['retention.maxCount']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.maxCount} onChange={(e) => update({ maxCount: e.target.value })} />}
            </Field>
            <Field label="Keep last" error={errors['retention.keepLast']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.keepLast} onChange={(e) => update({ keepLast: e.target.value })} />}
            </Field>
            <Field label="Keep daily" error={errors['retention.keepDaily']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.keepDaily} onChange={(e) => update({ keepDaily: e.target.value })} />}
            </Field>
            <Field label="Keep weekly" error={errors['retention.keepWeekly']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.keepWeekly} onChange={(e) => update({ keepWeekly: e.target.value })} />}
            </Field>
            <Field label="Keep monthly" error={errors['retention.keepMonthly']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.keepMonthly} onChange={(e) => update({ keepMonthly: e.target.value })} />}
            </Field>
            <Field label="Keep chains" hint="The newest N chains, whole (a full and what builds on it)." error={errors['retention.keepChains']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.keepChains} onChange={(e) => update({ keepChains: e.target.value })} />}
            </Field>
            <Field
              label="Storage cap"
              hint="For example 50MB or 2GB; blank for no cap. After each run the oldest chains go while the plan is over it."
              error={errors['retention.capBytes']}
            >
              {(p) => <input {...p} value={draft.cap} placeholder="no cap" onChange={(e) => update({ cap: e.target.value })} />}
            </Field>
          </div>
          <p className="field-hint">
            The newest backup, the newest verified one and the newest verified full, and any backup a kept incremental or differential depends on,
            are never deleted; you are alerted when they alone exceed the storage cap.
          </p>
          {draft.type !== 'full' && (
            <div className="grid-2" role="group" aria-label="New chain">
              <Field
                label="New full every N runs"
                hint="A new chain starts with a full backup when the current one holds this many backups; blank: no run limit."
                error={errors['options.fullEveryRuns']}
              >
                {(p) => <input {...p} inputMode="numeric" value={draft.fullEveryRuns} onChange={(e) => update({ fullEveryRuns: e.target.value })} />}
              </Field>
              <Field
                label="New full every N days"
                hint="…or when its full is this many days old (default 7); blank: no age limit. Retention can only remove whole chains."
                error={errors['options.fullEveryDays']}
              >
                {(p) => <input {...p} inputMode="numeric" value={draft.fullEveryDays} onChange={(e) => update({ fullEveryDays: e.target.value })} />}
              </Field>
            </div>
          )}
        </fieldset>

        </EditorSection>

        <EditorSection id="options">
        <fieldset className="card">
          <legend>Options</legend>
          <div className="grid-2">
            <Field label="Compression level" error={errors['options.compressionLevel']}>
              {(p) => (
                <select {...p} value={draft.compressionLevel} onChange={(e) => update({ compressionLevel: e.target.value })}>
                  {Array.from({ length: 10 }, (_, level) => (
                    <option key={level} value={String(level)}>
                      {COMPRESSION_LABELS[level] ?? String(level)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <CheckboxField label="Encrypt backups (AES-256-GCM)" checked={draft.encrypt} onChange={(encrypt) => update({ encrypt })} />
          {draft.encrypt && draft.passphraseFrom && (
            <Field label="Passphrase" name="passphrase" hint="Named with the lifeboat command (lifeboat plan edit changes it); read where the plan runs, never kept here.">
              {(p) => <input {...p} className="mono" value={`from ${draft.passphraseFrom}`} readOnly />}
            </Field>
          )}
          {draft.encrypt && !draft.passphraseFrom && (
            <div className="grid-2">
              <Field
                label="Passphrase"
                name="passphrase"
                error={errors.passphrase}
                hint={
                  draft.hadEncryption
                    ? 'Stored in keychain. Leave blank to keep it. Older backups keep needing the passphrase they were made with.'
                    : 'At least 8 characters. Kept in the OS keychain. Without it the backups cannot be read.'
                }
              >
                {(p) => (
                  <input
                    {...p}
                    type="password"
                    autoComplete="new-password"
                    value={draft.passphrase}
                    onChange={(e) => update({ passphrase: e.target.value })}
                  />
                )}
              </Field>
              <Field label="Confirm passphrase" error={errors.passphraseConfirm}>
                {(p) => (
                  <input
                    {...p}
                    type="password"
                    autoComplete="new-password"
                    value={draft.passphraseConfirm}
                    onChange={(e) => update({ passphraseConfirm: e.target.value })}
                  />
                )}
              </Field>
            </div>
          )}
          <CheckboxField label="Verify after backup" checked={draft.verifyAfter} onChange={(verifyAfter) => update({ verifyAfter })} />
          <CheckboxField
            label="Restore drill after backup"
            checked={draft.drillAfter}
            onChange={(drillAfter) => update({ drillAfter })}
            hint="Proves each backup restores: every database is restored into a throwaway database, its row counts compared with the backup, and the database dropped. A failed drill fails the run and notifies you."
          />
          {errors['options.drillAfter'] && (
            <p className="field-error" role="alert">
              {errors['options.drillAfter']}
            </p>
          )}
          {draft.drillAfter && (
            <div className="drill-options" data-field="options.drillAfter" role="group" aria-label="Restore drill server">
              <Choice
                legend="Where the drill runs"
                value={draft.drillOn}
                onChange={(drillOn) => update({ drillOn })}
                options={[
                  { value: 'own', label: "On each database's own server", hint: "With the plan's credentials; the user needs CREATEDB." },
                  { value: 'other', label: 'On another server', hint: 'Keeps the load off production.' },
                ]}
              />
              {draft.drillOn === 'other' && (
                <ServerFields
                  value={draft.drillServer}
                  onChange={(drillServer) => update({ drillServer })}
                  errors={{
                    host: errors['options.drillServer.host'],
                    port: errors['options.drillServer.port'],
                    user: errors['options.drillServer.user'],
                  }}
                  passwordHint={
                    draft.hadDrillPassword
                      ? 'Stored in keychain. Leave blank to keep it.'
                      : 'Kept in the OS keychain. Empty: no password, or ~/.pgpass.'
                  }
                />
              )}
            </div>
          )}
          <div className="grid-2">
            <Field label="Retries" hint="For transient failures such as an unreachable server." error={errors['options.retries.count']}>
              {(p) => <input {...p} inputMode="numeric" value={draft.retriesCount} onChange={(e) => update({ retriesCount: e.target.value })} />}
            </Field>
            <Field label="Back-off (seconds)" error={errors['options.retries.backoffSeconds']}>
              {(p) => (
                <input {...p} inputMode="numeric" value={draft.backoffSeconds} onChange={(e) => update({ backoffSeconds: e.target.value })} />
              )}
            </Field>
          </div>
        </fieldset>

        </EditorSection>

        <EditorSection id="alerts">
          <PlanExtrasFields part="alerts" extras={draft.extras} errors={errors} onChange={(patch) => update({ extras: { ...draft.extras, ...patch } })} />
        </EditorSection>

        <EditorSection id="hooks">
          <PlanExtrasFields part="hooks" extras={draft.extras} errors={errors} onChange={(patch) => update({ extras: { ...draft.extras, ...patch } })} />
        </EditorSection>

        <div className="editor-actions" role="group" aria-label="Save or cancel">
          <span className="editor-dirty" role="status">
            {dirty ? 'Unsaved changes' : ''}
          </span>
          <button type="submit" className="button-primary" disabled={saving}>
            {saving ? 'Saving…' : plan ? 'Save changes' : 'Create plan'}
          </button>
          <button type="button" onClick={() => leave(() => onDone(null))} disabled={saving}>
            Cancel
          </button>
        </div>
        </FlaggedField.Provider>
      </form>
      </div>
    </section>
  );
}
