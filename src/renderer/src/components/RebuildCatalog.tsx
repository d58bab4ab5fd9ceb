import { useState, type FormEvent } from 'react';
import type { RebuildCatalogResult } from '../../../shared/restore';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { ErrorBanner } from './ErrorBanner';
import { Field } from './Field';
import { PathInput } from './PathInput';

/**
 * "Rebuild the catalog from a folder": every .lifeboat file in a destination folder is read
 * whole (every chunk authenticated) and entered into the catalog, after the catalog was lost or
 * for backups copied from another machine.
 */
export function RebuildCatalog({ onImported }: { onImported(): void }) {
  const [folder, setFolder] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [result, setResult] = useState<RebuildCatalogResult | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!folder.trim()) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await call('backups/rebuild-catalog', { folder: folder.trim(), ...(passphrase ? { passphrase } : {}) });
      setResult(r);
      if (r.imported.length > 0) onImported();
    } catch (e) {
      setError(toUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card rebuild-form" aria-label="Rebuild the catalog from a folder" onSubmit={(e) => void submit(e)}>
      <div className="grid-2">
        <Field label="Folder with .lifeboat files" hint="Files directly in this folder are read; backups already in the catalog are left as they are.">
          {(p) => (
            <PathInput
              input={p}
              kind="folder"
              value={folder}
              onChange={setFolder}
              browseLabel="Browse for the backups' folder"
              dialogTitle="Choose a folder with .lifeboat files"
              placeholder="/var/backups/lifeboat"
            />
          )}
        </Field>
        <Field label="Passphrase (encrypted backups)" hint="Used for this import only, never saved.">
          {(p) => <input {...p} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />}
        </Field>
      </div>
      <div className="form-actions">
        <button type="submit" disabled={busy || !folder.trim()}>
          {busy ? 'Reading backups…' : 'Rebuild catalog'}
        </button>
      </div>
      <ErrorBanner error={error} />
      {result && (
        <div className="rebuild-result" role="status">
          <p>
            <strong>{result.imported.length}</strong> imported, <strong>{result.alreadyKnown.length}</strong> already in the catalog,{' '}
            <strong className={result.failed.length ? 'error-text' : undefined}>{result.failed.length}</strong> could not be read.
          </p>
          {result.failed.length > 0 && (
            <ul className="reason-list">
              {result.failed.map((f) => (
                <li key={f.filePath}>
                  <span className="mono break">{f.filePath}</span>: <span className="error-text">{f.message}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
