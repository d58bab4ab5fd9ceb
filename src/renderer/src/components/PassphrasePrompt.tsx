import { useId, useState, type FormEvent } from 'react';
import type { UiError } from '../lib/errors';
import { closeOnEscape } from './InlineConfirm';

/**
 * Asks for the passphrase of an encrypted backup. The passphrase stays in memory for this one
 * backup; it is never saved. A wrong one shows main's message (WRONG_PASSPHRASE), which names
 * the fix, and the field keeps focus for another try.
 */
export function PassphrasePrompt({
  fileName,
  busy,
  error,
  onUnlock,
  onCancel,
}: {
  fileName: string;
  busy: boolean;
  error: UiError | null;
  onUnlock(passphrase: string): void;
  onCancel(): void;
}) {
  const [passphrase, setPassphrase] = useState('');
  const id = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (passphrase) onUnlock(passphrase);
  };
  return (
    // Escape: the same as "Choose another backup"
    <form className="card passphrase-prompt" aria-labelledby={`${id}-title`} onSubmit={submit} onKeyDown={closeOnEscape(onCancel)}>
      <h2 id={`${id}-title`}>This backup is encrypted</h2>
      <p className="muted">
        Enter the passphrase that was set when <span className="mono break">{fileName}</span> was made. It is used to read
        this backup only and is not saved.
      </p>
      <div className="field">
        <label htmlFor={id}>Passphrase</label>
        <input
          id={id}
          type="password"
          autoComplete="off"
          autoFocus
          value={passphrase}
          aria-invalid={Boolean(error)}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        {error && (
          <div className="field-error" id={`${id}-error`} role="alert">
            {error.code && <strong className="banner-code">{error.code}</strong>}
            {error.message}
          </div>
        )}
      </div>
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={!passphrase || busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
        <button type="button" onClick={onCancel}>
          Choose another backup
        </button>
      </div>
    </form>
  );
}
