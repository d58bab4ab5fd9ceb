import { useState } from 'react';
import type { PickPathKind } from '../../../shared/ipc-contract';
import { call } from '../lib/api';
import { toUiError } from '../lib/errors';
import type { FieldInputProps } from './Field';

/**
 * A path typed by hand or picked with the OS dialog (dialog/pick-path): a text input with a
 * Browse button beside it. `browseLabel` names the button for a screen reader, e.g. "Browse for
 * folder 1" (it must not repeat the field's label, which names the input).
 */
export function PathInput({
  input,
  kind,
  value,
  onChange,
  browseLabel,
  dialogTitle,
  placeholder,
  onPicked,
}: {
  input: FieldInputProps;
  kind: PickPathKind;
  value: string;
  onChange(path: string): void;
  browseLabel: string;
  dialogTitle?: string;
  placeholder?: string;
  /** after a pick in the dialog (not after typing): e.g. open the file at once */
  onPicked?(path: string): void;
}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const browse = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const { path } = await call('dialog/pick-path', {
        kind,
        ...(dialogTitle ? { title: dialogTitle } : {}),
        ...(value.trim() ? { defaultPath: value.trim() } : {}),
      });
      if (path) {
        onChange(path);
        onPicked?.(path);
      }
    } catch (e) {
      setProblem(toUiError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <div className="path-input">
        <input {...input} className="mono" value={value} placeholder={placeholder} autoComplete="off" spellCheck={false} onChange={(e) => onChange(e.target.value)} />
        <button type="button" aria-label={browseLabel} disabled={busy} onClick={() => void browse()}>
          Browse…
        </button>
      </div>
      {problem && (
        <div className="field-error" role="alert">
          {problem}
        </div>
      )}
    </>
  );
}
