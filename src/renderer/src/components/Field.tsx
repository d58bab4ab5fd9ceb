import { createContext, useContext, useId, type ReactNode } from 'react';

/**
 * The field a failed run points at (`databases.0.host`...): the editor opened from a job's Edit
 * plan provides it, and the Field of that name is highlighted and says why.
 */
export const FlaggedField = createContext<{ name: string; note: string } | null>(null);

export interface FieldInputProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/**
 * A labelled form field with its hint and error. The input comes from a render function so that
 * it gets the ids tying it to its label, hint and error (what a screen reader reads out).
 */
export function Field({
  label,
  error,
  hint,
  className,
  name,
  children,
}: {
  label: string;
  error?: string;
  hint?: ReactNode;
  className?: string;
  /** the field's key (its error key, `databases.0.host`): what a failed run's Edit plan looks for */
  name?: string;
  children(props: FieldInputProps): ReactNode;
}) {
  const id = useId();
  const flag = useContext(FlaggedField);
  const flagged = Boolean(name && flag && flag.name === name);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const flagId = flagged ? `${id}-flag` : undefined;
  const describedBy = [flagId, hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div
      className={`field${error ? ' field-invalid' : ''}${flagged ? ' field-flagged' : ''}${className ? ` ${className}` : ''}`}
      data-field={name}
    >
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {flagged && (
        <div className="field-flag" id={flagId}>
          {flag!.note}
        </div>
      )}
      {hint && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={errorId}>
          {error}
        </div>
      )}
    </div>
  );
}

/** A checkbox with its label on the right, the usual layout for on/off options. */
export function CheckboxField({
  label,
  checked,
  onChange,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
  hint?: ReactNode;
}) {
  const id = useId();
  return (
    <div className="field field-checkbox">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
      {hint && <div className="field-hint">{hint}</div>}
    </div>
  );
}
