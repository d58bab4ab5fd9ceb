import { useId, useState, type KeyboardEvent } from 'react';
import { addExclude, excludePatterns, isDefaultExclude, missingDefaultExcludes, removeExclude, restoreDefaultExcludes } from '../lib/plan-form';

/**
 * A folder's exclude patterns as chips: Lifeboat's defaults (grey) and the user's own (blue),
 * each removable, with a field to add one and a way to bring back removed defaults. `value` is
 * the draft's text, one pattern per line.
 */
export function ExcludeChips({ value, onChange, error }: { value: string; onChange(value: string): void; error?: string }) {
  const id = useId();
  const [typed, setTyped] = useState('');
  const patterns = excludePatterns(value);
  const missing = missingDefaultExcludes(value);

  const add = () => {
    if (!typed.trim()) return;
    onChange(addExclude(value, typed));
    setTyped('');
  };
  // Enter adds the pattern; in the plan form it would otherwise submit the whole plan
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    add();
  };

  return (
    <div className={`field${error ? ' field-invalid' : ''}`} role="group" aria-labelledby={`${id}-label`}>
      <span className="field-label" id={`${id}-label`}>
        Exclude patterns
      </span>
      {patterns.length > 0 ? (
        <ul className="chips" aria-labelledby={`${id}-label`}>
          {patterns.map((pattern) => {
            const isDefault = isDefaultExclude(pattern);
            return (
              <li key={pattern} className={`chip${isDefault ? ' chip-default' : ''}`} title={isDefault ? 'A default pattern' : 'Your pattern'}>
                <span className="mono">{pattern}</span>
                <button type="button" className="chip-remove" aria-label={`Remove ${pattern}`} onClick={() => onChange(removeExclude(value, pattern))}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="field-hint">Nothing is excluded: every file in the folder is backed up.</p>
      )}
      <div className="chip-add">
        <input
          className="mono"
          aria-label="Add exclude pattern"
          aria-invalid={Boolean(error)}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
          value={typed}
          placeholder="one pattern, e.g. *.iso or build/tmp"
          onChange={(e) => setTyped(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" onClick={add} disabled={!typed.trim()}>
          Add
        </button>
        {missing.length > 0 && (
          <button type="button" className="link-button" onClick={() => onChange(restoreDefaultExcludes(value))}>
            Restore {missing.length === 1 ? 'the removed default' : `${missing.length} removed defaults`}
          </button>
        )}
      </div>
      <div className="field-hint" id={`${id}-hint`}>
        Matched against names and relative paths. Grey chips are Lifeboat&apos;s defaults (dependencies, version control, temporary and log
        files); remove one to back those files up.
      </div>
      {error && (
        <div className="field-error" id={`${id}-error`}>
          {error}
        </div>
      )}
    </div>
  );
}
