import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { DestinationKind } from '../../../shared/destination';
import type { RebuildCatalogResult } from '../../../shared/restore';
import { call } from '../lib/api';
import { DESTINATION_KIND_LABELS, type DestinationDraft, type DestinationErrors } from '../lib/destination-form';
import { toUiError, type UiError } from '../lib/errors';
import { REBUILD_KINDS, firstOf, newRebuildForm, rebuildRequest, withKind, type RebuildForm, type RebuildFrom } from '../lib/rebuild-form';
import { Choice } from './Choice';
import { DestinationFields } from './DestinationFields';
import { DestinationTest } from './DestinationTest';
import { ErrorBanner } from './ErrorBanner';
import { Field } from './Field';
import { PathInput } from './PathInput';

const FORM_NAMES: Record<RebuildFrom, string> = {
  folder: 'Rebuild the catalog from a folder',
  destination: 'Rebuild the catalog from an off-site destination',
};

/**
 * Rebuild the catalog from a folder or from an off-site destination (S3-compatible storage, Azure
 * Blob Storage, an SFTP server): every .lifeboat file in the folder, or every .lifeboat object
 * below the destination's prefix or folder, is read whole (every chunk authenticated) and entered
 * into the catalog — after the catalog was lost, or for backups made on another machine. The
 * destination's fields are the plan editor's (DestinationFields), its Test too: an SFTP server's
 * host key is seen and accepted there. Its secret and the passphrase are sent with this one
 * request and never saved.
 */
export function RebuildCatalog({ onImported }: { onImported(): void }) {
  const [form, setForm] = useState<RebuildForm>(newRebuildForm);
  const [errors, setErrors] = useState<DestinationErrors>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [result, setResult] = useState<RebuildCatalogResult | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  // after a refused submit: the first field to fix gets the focus
  const [focusTick, setFocusTick] = useState(0);
  useEffect(() => {
    if (focusTick > 0) formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusTick]);

  const patch = (next: Partial<RebuildForm>) => setForm((current) => ({ ...current, ...next }));
  const updateDraft = (change: Partial<DestinationDraft>) => {
    setForm((current) => ({ ...current, draft: { ...current.draft, ...change } }));
    // a field typed again is no longer flagged (its error comes back on the next submit if still wrong)
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([field]) => !(field in change))));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const built = rebuildRequest(form);
    if (!built.ok) {
      setErrors(built.errors);
      setFocusTick((t) => t + 1);
      return;
    }
    setErrors({});
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await call('backups/rebuild-catalog', built.request);
      setResult(r);
      if (r.imported.length > 0) onImported();
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  const fromDestination = form.from === 'destination';
  const hostKeyRefused = error?.code === 'HOST_KEY_UNKNOWN' || error?.code === 'HOST_KEY_CHANGED';
  const passphraseField = (
    <Field label="Passphrase (encrypted backups)" hint="Used for this import only, never saved.">
      {(p) => <input {...p} type="password" autoComplete="off" value={form.passphrase} onChange={(e) => patch({ passphrase: e.target.value })} />}
    </Field>
  );

  return (
    <form ref={formRef} className="card rebuild-form" aria-label={FORM_NAMES[form.from]} onSubmit={(e) => void submit(e)} noValidate>
      <Choice
        legend="Read the backups"
        value={form.from}
        onChange={(from) => {
          patch({ from });
          setErrors({});
          setError(null);
          setResult(null);
        }}
        options={[
          { value: 'folder', label: 'From a folder', hint: 'A disk or a mounted share on this computer.' },
          {
            value: 'destination',
            label: 'From an off-site destination',
            hint: 'S3-compatible storage, Azure Blob Storage or an SFTP server: every backup below its prefix or folder, at any depth.',
          },
        ]}
      />
      {fromDestination ? (
        <>
          <div className="rebuild-destination" role="group" aria-label="Off-site destination">
            <div className="grid-2">
              <Field label="Kind of destination">
                {(p) => (
                  <select {...p} value={form.draft.kind} onChange={(e) => {
                      patch({ draft: withKind(form.draft, e.target.value as DestinationKind) });
                      setErrors({});
                    }}
                  >
                    {REBUILD_KINDS.map((kind) => (
                      <option key={kind} value={kind}>
                        {DESTINATION_KIND_LABELS[kind]}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <DestinationFields draft={form.draft} errors={errors} update={updateDraft} namePrefix="rebuild.destination." subject="the destination" use="source" />
            <DestinationTest
              draft={form.draft}
              planId={undefined}
              label="the destination"
              noun="destination"
              acceptNote="Accepted, it is used for this rebuild only (nothing is saved), and a different key is refused."
              onAcceptHostKey={(hostKey) => {
                updateDraft({ hostKey });
                if (hostKeyRefused) setError(null);
              }}
            />
          </div>
          <div className="grid-2">{passphraseField}</div>
        </>
      ) : (
        <div className="grid-2">
          <Field label="Folder with .lifeboat files" error={errors.folder} hint="Files directly in this folder are read; backups already in the catalog are left as they are.">
            {(p) => (
              <PathInput
                input={p}
                kind="folder"
                value={form.folder}
                onChange={(folder) => {
                  patch({ folder });
                  setErrors({});
                }}
                browseLabel="Browse for the backups' folder"
                dialogTitle="Choose a folder with .lifeboat files"
                placeholder="/var/backups/lifeboat"
              />
            )}
          </Field>
          {passphraseField}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={busy || (!fromDestination && !form.folder.trim())}>
          {busy ? 'Reading backups…' : 'Rebuild catalog'}
        </button>
        {fromDestination && Object.keys(errors).length > 0 && (
          <span className="error-text small" role="alert">
            Fix the fields marked above.
          </span>
        )}
      </div>
      <ErrorBanner error={error} />
      {fromDestination && error?.code === 'HOST_KEY_UNKNOWN' && (
        <p className="small rebuild-host-key-note">
          Use <strong>Test</strong> above: it shows the server's SHA-256 fingerprint to compare with what its administrator reads on the server, and
          Accept lets this rebuild trust it. Then rebuild again.
        </p>
      )}
      {result && <RebuildResultView result={result} />}
    </form>
  );
}

/** What a rebuild did: how many backups were imported, already known or unreadable, each named with its location. */
function RebuildResultView({ result }: { result: RebuildCatalogResult }) {
  const imported = firstOf(result.imported);
  const known = firstOf(result.alreadyKnown);
  const failed = firstOf(result.failed);
  const id = useId();
  const more = (n: number) => n > 0 && <li className="muted">and {n} more</li>;
  return (
    <div className="rebuild-result" role="status">
      <p>
        <strong>{result.imported.length}</strong> imported, <strong>{result.alreadyKnown.length}</strong> already in the catalog,{' '}
        <strong className={result.failed.length ? 'error-text' : undefined}>{result.failed.length}</strong> could not be read
        {result.folder && (
          <>
            {' '}
            from <span className="mono break">{result.folder}</span>
          </>
        )}
        .
      </p>
      {result.imported.length > 0 && (
        <div className="rebuild-list">
          <h3 id={`${id}-imported`}>Imported</h3>
          <ul className="reason-list" aria-labelledby={`${id}-imported`}>
            {imported.shown.map((i) => (
              <li key={i.filePath} className="mono break">
                {i.filePath}
              </li>
            ))}
            {more(imported.more)}
          </ul>
        </div>
      )}
      {result.alreadyKnown.length > 0 && (
        <div className="rebuild-list">
          <h3 id={`${id}-known`}>Already in the catalog</h3>
          <ul className="reason-list" aria-labelledby={`${id}-known`}>
            {known.shown.map((i) => (
              <li key={i.filePath} className="mono break muted">
                {i.filePath}
              </li>
            ))}
            {more(known.more)}
          </ul>
        </div>
      )}
      {result.failed.length > 0 && (
        <div className="rebuild-list">
          <h3 id={`${id}-failed`}>Could not be read</h3>
          <ul className="reason-list" aria-labelledby={`${id}-failed`}>
            {failed.shown.map((f) => (
              <li key={f.filePath}>
                <span className="mono break">{f.filePath}</span>: <span className="error-text">{f.message}</span>
              </li>
            ))}
            {more(failed.more)}
          </ul>
        </div>
      )}
    </div>
  );
}
