/**
 * The plan editor's copies (3-2-1): below the primary folder, each copy of every backup at
 * another destination — S3-compatible storage, Azure Blob Storage, an SFTP server or another
 * folder — with its fields (DestinationFields), its secret (kept in the OS keychain, never shown
 * again) and Test.
 */
import { useState } from 'react';
import { isOffSite, type DestinationKind } from '../../../shared/destination';
import { COPY_KINDS, DESTINATION_KIND_LABELS, MAX_COPIES, copyFacts, draftUrl, newDestinationDraft, type DestinationDraft } from '../lib/destination-form';
import type { FieldErrors } from '../lib/plan-form';
import { DestinationFields } from './DestinationFields';
import { DestinationTest } from './DestinationTest';

const ADD_LABELS: Record<DestinationKind, string> = {
  s3: 'Add an S3 copy',
  azure: 'Add an Azure copy',
  sftp: 'Add an SFTP copy',
  // not "Add folder copy": the sources' "Add folder" is a prefix of it
  local: 'Add a folder copy',
};

export function DestinationsSection({
  copies,
  errors,
  planId,
  onChange,
}: {
  copies: DestinationDraft[];
  errors: FieldErrors;
  planId: string | undefined;
  onChange(copies: DestinationDraft[]): void;
}) {
  // copies added in this edit start open; saved ones show their summary until Edit
  const [open, setOpen] = useState<Set<string>>(() => new Set());
  const toggle = (id: string, value: boolean) =>
    setOpen((current) => {
      const next = new Set(current);
      if (value) next.add(id);
      else next.delete(id);
      return next;
    });
  const update = (index: number, patch: Partial<DestinationDraft>) => onChange(copies.map((c, i) => (i === index ? { ...c, ...patch } : c)));
  const add = (kind: DestinationKind) => {
    const copy = newDestinationDraft(kind);
    toggle(copy.id, true);
    onChange([...copies, copy]);
  };

  return (
    <div className="copies" role="group" aria-labelledby="copies-title">
      <div className="copies-head">
        <h3 id="copies-title">Copies (off-site)</h3>
        <p className="field-hint">
          3-2-1: after each backup, a copy goes to each destination here — object storage, an SFTP server or another folder. A failed copy
          makes the run partial; the backup stays in the folder above and the copy is retried on the next run.
        </p>
      </div>
      {copies.length === 0 && <p className="muted copies-empty">No copies: every backup exists only in the folder above.</p>}
      {copies.map((copy, index) => {
        const prefix = `options.copies.${index}.`;
        const copyErrors = Object.fromEntries(
          Object.entries(errors)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, message]) => [key.slice(prefix.length), message]),
        );
        const hasErrors = Object.keys(copyErrors).length > 0;
        const expanded = open.has(copy.id) || hasErrors;
        const bodyId = `copy-body-${copy.id}`;
        return (
          <div className="source copy" key={copy.id} role="group" aria-label={`Copy ${index + 1}`} data-field={`options.copies.${index}`}>
            <div className="copy-header">
              <div className="copy-title">
                <h4>
                  Copy {index + 1}
                  <span className="badge badge-neutral">{DESTINATION_KIND_LABELS[copy.kind]}</span>
                  {!isOffSite(copy.kind) && <span className="badge badge-cancelled">on this machine</span>}
                  {hasErrors && <span className="badge badge-failed">to fix</span>}
                </h4>
                {copy.label.trim() && <p className="copy-label">{copy.label.trim()}</p>}
                <p className="mono small muted break copy-url">{draftUrl(copy) ?? 'not complete yet'}</p>
                {copyFacts(copy).length > 0 && <p className="small muted copy-facts">{copyFacts(copy).join(' · ')}</p>}
              </div>
              <div className="copy-actions">
                <button type="button" aria-expanded={expanded} aria-controls={bodyId} aria-label={`${expanded ? 'Close' : 'Edit'} copy ${index + 1}`} onClick={() => toggle(copy.id, !expanded)} disabled={hasErrors}>
                  {expanded ? 'Close' : 'Edit'}
                </button>
                <button type="button" className="button-ghost" aria-label={`Remove copy ${index + 1}`} onClick={() => onChange(copies.filter((_, i) => i !== index))}>
                  Remove
                </button>
              </div>
            </div>
            {expanded && (
              <div id={bodyId} className="copy-body">
                <DestinationFields
                  draft={copy}
                  errors={copyErrors}
                  update={(patch) => update(index, patch)}
                  namePrefix={`options.copies.${index}.`}
                  subject={`copy ${index + 1}`}
                />
              </div>
            )}
            <DestinationTest draft={copy} planId={planId} label={`copy ${index + 1}`} onAcceptHostKey={(hostKey) => update(index, { hostKey })} />
          </div>
        );
      })}
      <div className="button-row copies-add" role="group" aria-label="Add a copy">
        {COPY_KINDS.map((kind) => (
          <button key={kind} type="button" disabled={copies.length >= MAX_COPIES} onClick={() => add(kind)}>
            {ADD_LABELS[kind]}
          </button>
        ))}
        {copies.length >= MAX_COPIES && <span className="muted small">A plan has at most {MAX_COPIES} copies.</span>}
      </div>
    </div>
  );
}
