/**
 * The plan editor's copies (3-2-1): below the primary folder, each copy of every backup at
 * another destination — S3-compatible storage, Azure Blob Storage, an SFTP server or another
 * folder — with its fields, its secret (kept in the OS keychain, never shown again) and Test.
 */
import { useState, type ReactNode } from 'react';
import { isOffSite, type DestinationKind } from '../../../shared/destination';
import {
  COPY_KINDS,
  DESTINATION_KIND_LABELS,
  MAX_COPIES,
  S3_STORAGE_CLASSES,
  copyFacts,
  draftUrl,
  newDestinationDraft,
  secretField,
  secretPurpose,
  type DestinationDraft,
} from '../lib/destination-form';
import type { FieldErrors } from '../lib/plan-form';
import { Choice } from './Choice';
import { DestinationTest } from './DestinationTest';
import { CheckboxField, Field } from './Field';
import { PathInput } from './PathInput';

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
                <CopyFields copy={copy} index={index} errors={copyErrors} update={(patch) => update(index, patch)} />
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

function CopyFields({
  copy,
  index,
  errors,
  update,
}: {
  copy: DestinationDraft;
  index: number;
  errors: Record<string, string>;
  update(patch: Partial<DestinationDraft>): void;
}) {
  const name = (field: string) => `options.copies.${index}.${field}`;
  const text = (field: keyof DestinationDraft & string, label: string, options: { hint?: ReactNode; placeholder?: string; mono?: boolean; numeric?: boolean; className?: string } = {}) => (
    <Field label={label} name={name(field)} error={errors[field]} hint={options.hint} className={options.className}>
      {(p) => (
        <input
          {...p}
          className={options.mono ? 'mono' : undefined}
          inputMode={options.numeric ? 'numeric' : undefined}
          autoComplete="off"
          spellCheck={false}
          value={copy[field] as string}
          placeholder={options.placeholder}
          onChange={(e) => update({ [field]: e.target.value })}
        />
      )}
    </Field>
  );

  return (
    <>
      <div className="grid-2">
        {text('label', 'Copy name', { placeholder: 'optional, e.g. Wasabi Frankfurt', hint: 'Shown in History and on the Dashboard; empty: the URL.' })}
      </div>
      {copy.kind === 'local' && (
        <Field label="Folder" name={name('path')} error={errors.path} hint="Another disk or a mounted share; created when it does not exist.">
          {(p) => (
            <PathInput
              input={p}
              kind="folder"
              value={copy.path}
              onChange={(path) => update({ path })}
              browseLabel={`Browse for the folder of copy ${index + 1}`}
              dialogTitle="Choose where the copies are written"
              placeholder="/mnt/usb-disk/lifeboat"
            />
          )}
        </Field>
      )}

      {copy.kind === 's3' && (
        <>
          <div className="grid-2">
            {text('bucket', 'Bucket', { placeholder: 'acme-backups', mono: true })}
            {text('prefix', 'Prefix', { placeholder: 'lifeboat/shop', mono: true, hint: 'A folder inside the bucket; empty: its top.' })}
            {text('region', 'Region', { placeholder: 'us-east-1', mono: true, hint: 'R2 and some others take auto.' })}
            {text('endpoint', 'Endpoint', {
              placeholder: 'empty for AWS',
              mono: true,
              hint: 'For MinIO, Backblaze B2, Wasabi, Cloudflare R2 or GCS (https://storage.googleapis.com); empty for AWS S3.',
            })}
            <Field label="Storage class" name={name('storageClass')} error={errors.storageClass}>
              {(p) => (
                <select {...p} value={copy.storageClass} onChange={(e) => update({ storageClass: e.target.value })}>
                  {[...new Set([...S3_STORAGE_CLASSES, copy.storageClass])].map((c) => (
                    <option key={c} value={c}>
                      {c === '' ? "The bucket's default" : c}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="copy-checkbox">
              <CheckboxField
                label="Path-style URLs"
                checked={copy.forcePathStyle}
                onChange={(forcePathStyle) => update({ forcePathStyle })}
                hint="https://host/bucket/key — MinIO and most self-hosted servers need it."
              />
            </div>
          </div>
          <Choice
            legend="Credentials"
            value={copy.credentials}
            onChange={(credentials) => update({ credentials })}
            options={[
              { value: 'keychain', label: 'An access key', hint: 'Its secret is kept in the OS keychain.' },
              {
                value: 'aws-chain',
                label: 'The standard AWS chain',
                hint: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, AWS_PROFILE or an instance role, read where the plan runs.',
              },
            ]}
          />
          {copy.credentials === 'keychain' ? (
            <div className="grid-2">
              {text('accessKeyId', 'Access key id', { placeholder: 'AKIA…', mono: true })}
              <SecretField copy={copy} index={index} error={errors.secret} update={update} />
            </div>
          ) : (
            <div className="grid-2">{text('profile', 'AWS profile', { placeholder: 'default', mono: true, hint: 'A profile of ~/.aws/credentials; empty: the default chain.' })}</div>
          )}
        </>
      )}

      {copy.kind === 'azure' && (
        <>
          <div className="grid-2">
            {text('account', 'Storage account', { placeholder: 'acmebackups', mono: true })}
            {text('container', 'Container', { placeholder: 'lifeboat', mono: true })}
            {text('prefix', 'Prefix', { placeholder: 'shop/nightly', mono: true, hint: 'A folder inside the container; empty: its top.' })}
            {text('endpoint', 'Endpoint', {
              placeholder: 'https://<account>.blob.core.windows.net',
              mono: true,
              hint: 'Empty: the account’s own. For Azurite: http://127.0.0.1:10000/<account>.',
            })}
          </div>
          <Choice
            legend="Sign in with"
            value={copy.azureAuth}
            onChange={(azureAuth) => update({ azureAuth, secret: '' })}
            options={[
              { value: 'key', label: 'The account key' },
              { value: 'sas', label: 'A SAS token', hint: 'Limited to the container; it expires, so renew it here in time.' },
            ]}
          />
          <div className="grid-2">
            <SecretField copy={copy} index={index} error={errors.secret} update={update} />
          </div>
        </>
      )}

      {copy.kind === 'sftp' && (
        <>
          <div className="grid-3">
            {text('host', 'Host', { placeholder: 'backup.example.com', mono: true })}
            {text('port', 'Port', { numeric: true })}
            {text('user', 'User', { placeholder: 'lifeboat', mono: true })}
          </div>
          {text('path', 'Remote folder', { placeholder: 'backups/lifeboat or /srv/backups', mono: true, hint: 'Absolute, or relative to the user’s home folder.' })}
          <Choice
            legend="Sign in with"
            value={copy.sftpAuth}
            onChange={(sftpAuth) => update({ sftpAuth, secret: '' })}
            options={[
              { value: 'key', label: 'A private key file' },
              { value: 'password', label: 'A password' },
            ]}
          />
          <div className="grid-2">
            {copy.sftpAuth === 'key' && text('keyFile', 'Private key file', { placeholder: '/home/me/.ssh/id_ed25519', mono: true, hint: 'OpenSSH or PEM format, on this computer.' })}
            <SecretField copy={copy} index={index} error={errors.secret} update={update} />
          </div>
          <HostKeyField copy={copy} error={errors.hostKey} update={update} />
        </>
      )}

      <CheckboxField
        label="Read back after upload"
        checked={copy.readBack}
        onChange={(readBack) => update({ readBack })}
        hint="Downloads each copy once and compares its SHA-256 with the backup's: proof the copy is whole, at the cost of a download."
      />
    </>
  );
}

/** A copy's secret: a password field that is never prefilled; "stored in the keychain" when one is. */
function SecretField({ copy, index, error, update }: { copy: DestinationDraft; index: number; error: string | undefined; update(patch: Partial<DestinationDraft>): void }) {
  const field = secretField(copy);
  if (!field) return null;
  const name = `options.copies.${index}.secret`;
  if (copy.secretFrom) {
    return (
      <Field label={field.label} name={name} hint="Named with the lifeboat command (lifeboat plan edit changes it); read where the plan runs, never kept here.">
        {(p) => <input {...p} className="mono" value={`from ${copy.secretFrom}`} readOnly />}
      </Field>
    );
  }
  const stored = copy.hasSecret && !copy.removeSecret && copy.savedPurpose === secretPurpose(copy);
  const otherPurpose = copy.hasSecret && copy.savedPurpose !== secretPurpose(copy);
  const hint = copy.removeSecret
    ? 'The stored secret will be removed.'
    : stored
      ? 'Stored in the keychain. Leave blank to keep it.'
      : otherPurpose
        ? `The stored secret was for another way of signing in: enter the ${field.label.toLowerCase()}. ${field.hint}`
        : `${field.hint} Kept in the OS keychain, never in the plan.`;
  return (
    <div className="secret-field">
      <Field label={field.label} name={name} error={error} hint={hint}>
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete="new-password"
            value={copy.secret}
            placeholder={stored ? 'stored in the keychain' : field.required ? '' : 'optional'}
            onChange={(e) => update({ secret: e.target.value, removeSecret: false })}
          />
        )}
      </Field>
      {stored && !field.required && (
        <CheckboxField label="Remove the stored secret" checked={copy.removeSecret} onChange={(removeSecret) => update({ removeSecret, secret: '' })} />
      )}
    </div>
  );
}

/** The SFTP server's pinned host key: shown whole, forgotten only by the user (after a changed key was confirmed). */
function HostKeyField({ copy, error, update }: { copy: DestinationDraft; error: string | undefined; update(patch: Partial<DestinationDraft>): void }) {
  return (
    <div className="host-key" role="group" aria-label="Host key">
      <span className="field-label">Host key</span>
      {copy.hostKey ? (
        <div className="host-key-line">
          <span className="badge badge-success">pinned</span>
          <span className="mono break">{copy.hostKey}</span>
          <button type="button" className="button-ghost" onClick={() => update({ hostKey: '' })}>
            Forget pinned key
          </button>
        </div>
      ) : (
        <p className="muted small">Not pinned: Test shows the server's SHA-256 fingerprint for you to check and accept.</p>
      )}
      {error && <div className="field-error">{error}</div>}
    </div>
  );
}
