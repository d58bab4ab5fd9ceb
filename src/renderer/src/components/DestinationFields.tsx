/**
 * The fields of one destination, per kind (a folder, S3-compatible storage, Azure Blob Storage,
 * an SFTP server), on a DestinationDraft (lib/destination-form.ts). Shared by the plan editor's
 * copies (DestinationsSection) and Rebuild catalog from an off-site destination (RebuildCatalog):
 * `use` says which — a copy is saved with its plan (its name, storage class, read-back, its
 * secret kept in the keychain), a source is only read from once and nothing of it is saved.
 */
import type { ReactNode } from 'react';
import { S3_STORAGE_CLASSES, secretField, secretPurpose, type DestinationDraft } from '../lib/destination-form';
import { Choice } from './Choice';
import { CheckboxField, Field } from './Field';
import { PathInput } from './PathInput';

/** 'copy': a plan's copy, saved with the plan; 'source': read once (the catalog rebuild), nothing saved. */
export type DestinationUse = 'copy' | 'source';

export function DestinationFields({
  draft,
  errors,
  update,
  namePrefix,
  subject,
  use = 'copy',
}: {
  draft: DestinationDraft;
  /** field errors keyed by the draft's field (`bucket`, `secret`...) */
  errors: Record<string, string>;
  update(patch: Partial<DestinationDraft>): void;
  /** put before each field's key for its Field name (`options.copies.0.`): what a failed run's Edit plan points at */
  namePrefix: string;
  /** whose fields these are, for the Browse buttons' names: "copy 1", "the destination" */
  subject: string;
  use?: DestinationUse;
}) {
  const name = (field: string) => `${namePrefix}${field}`;
  const copy = use === 'copy';
  const text = (field: keyof DestinationDraft & string, label: string, options: { hint?: ReactNode; placeholder?: string; mono?: boolean; numeric?: boolean; className?: string } = {}) => (
    <Field label={label} name={name(field)} error={errors[field]} hint={options.hint} className={options.className}>
      {(p) => (
        <input
          {...p}
          className={options.mono ? 'mono' : undefined}
          inputMode={options.numeric ? 'numeric' : undefined}
          autoComplete="off"
          spellCheck={false}
          value={draft[field] as string}
          placeholder={options.placeholder}
          onChange={(e) => update({ [field]: e.target.value })}
        />
      )}
    </Field>
  );
  const secret = <SecretField draft={draft} name={name('secret')} error={errors.secret} use={use} update={update} />;

  return (
    <>
      {copy && (
        <div className="grid-2">
          {text('label', 'Copy name', { placeholder: 'optional, e.g. Wasabi Frankfurt', hint: 'Shown in History and on the Dashboard; empty: the URL.' })}
        </div>
      )}
      {draft.kind === 'local' && (
        <Field label="Folder" name={name('path')} error={errors.path} hint="Another disk or a mounted share; created when it does not exist.">
          {(p) => (
            <PathInput
              input={p}
              kind="folder"
              value={draft.path}
              onChange={(path) => update({ path })}
              browseLabel={`Browse for the folder of ${subject}`}
              dialogTitle="Choose where the copies are written"
              placeholder="/mnt/usb-disk/lifeboat"
            />
          )}
        </Field>
      )}

      {draft.kind === 's3' && (
        <>
          <div className="grid-2">
            {text('bucket', 'Bucket', { placeholder: 'acme-backups', mono: true })}
            {text('prefix', 'Prefix', {
              placeholder: 'lifeboat/shop',
              mono: true,
              hint: copy ? 'A folder inside the bucket; empty: its top.' : 'The folder inside the bucket the backups are below (at any depth); empty: the whole bucket.',
            })}
            {text('region', 'Region', { placeholder: 'us-east-1', mono: true, hint: 'R2 and some others take auto.' })}
            {text('endpoint', 'Endpoint', {
              placeholder: 'empty for AWS',
              mono: true,
              hint: 'For MinIO, Backblaze B2, Wasabi, Cloudflare R2 or GCS (https://storage.googleapis.com); empty for AWS S3.',
            })}
            {copy && (
              <Field label="Storage class" name={name('storageClass')} error={errors.storageClass}>
                {(p) => (
                  <select {...p} value={draft.storageClass} onChange={(e) => update({ storageClass: e.target.value })}>
                    {[...new Set([...S3_STORAGE_CLASSES, draft.storageClass])].map((c) => (
                      <option key={c} value={c}>
                        {c === '' ? "The bucket's default" : c}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            <div className="copy-checkbox">
              <CheckboxField
                label="Path-style URLs"
                checked={draft.forcePathStyle}
                onChange={(forcePathStyle) => update({ forcePathStyle })}
                hint="https://host/bucket/key — MinIO and most self-hosted servers need it."
              />
            </div>
          </div>
          <Choice
            legend="Credentials"
            value={draft.credentials}
            onChange={(credentials) => update({ credentials })}
            options={[
              { value: 'keychain', label: 'An access key', hint: copy ? 'Its secret is kept in the OS keychain.' : 'Its secret is typed below, for this import only.' },
              {
                value: 'aws-chain',
                label: 'The standard AWS chain',
                hint: copy
                  ? 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, AWS_PROFILE or an instance role, read where the plan runs.'
                  : 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, AWS_PROFILE or an instance role of this computer.',
              },
            ]}
          />
          {draft.credentials === 'keychain' ? (
            <div className="grid-2">
              {text('accessKeyId', 'Access key id', { placeholder: 'AKIA…', mono: true })}
              {secret}
            </div>
          ) : (
            <div className="grid-2">{text('profile', 'AWS profile', { placeholder: 'default', mono: true, hint: 'A profile of ~/.aws/credentials; empty: the default chain.' })}</div>
          )}
        </>
      )}

      {draft.kind === 'azure' && (
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
            value={draft.azureAuth}
            onChange={(azureAuth) => update({ azureAuth, secret: '' })}
            options={[
              { value: 'key', label: 'The account key' },
              { value: 'sas', label: 'A SAS token', hint: copy ? 'Limited to the container; it expires, so renew it here in time.' : 'Limited to the container; read and list are enough.' },
            ]}
          />
          <div className="grid-2">{secret}</div>
        </>
      )}

      {draft.kind === 'sftp' && (
        <>
          <div className="grid-3">
            {text('host', 'Host', { placeholder: 'backup.example.com', mono: true })}
            {text('port', 'Port', { numeric: true })}
            {text('user', 'User', { placeholder: 'lifeboat', mono: true })}
          </div>
          {text('path', 'Remote folder', { placeholder: 'backups/lifeboat or /srv/backups', mono: true, hint: 'Absolute, or relative to the user’s home folder.' })}
          <Choice
            legend="Sign in with"
            value={draft.sftpAuth}
            onChange={(sftpAuth) => update({ sftpAuth, secret: '' })}
            options={[
              { value: 'key', label: 'A private key file' },
              { value: 'password', label: 'A password' },
            ]}
          />
          <div className="grid-2">
            {draft.sftpAuth === 'key' && (
              <Field label="Private key file" name={name('keyFile')} error={errors.keyFile} hint="OpenSSH or PEM format, on this computer.">
                {(p) => (
                  <PathInput
                    input={p}
                    kind="key-file"
                    value={draft.keyFile}
                    onChange={(keyFile) => update({ keyFile })}
                    browseLabel={`Browse for the private key file of ${subject}`}
                    dialogTitle="Choose the SSH private key file"
                    placeholder="/home/me/.ssh/id_ed25519"
                  />
                )}
              </Field>
            )}
            {secret}
          </div>
          <HostKeyField draft={draft} error={errors.hostKey} update={update} use={use} />
        </>
      )}

      {copy && (
        <CheckboxField
          label="Read back after upload"
          checked={draft.readBack}
          onChange={(readBack) => update({ readBack })}
          hint="Downloads each copy once and compares its SHA-256 with the backup's: proof the copy is whole, at the cost of a download."
        />
      )}
    </>
  );
}

/**
 * A destination's secret: a password field that is never prefilled. A copy's is kept in the
 * keychain ("stored in the keychain" when one is); a source's is used for the one request.
 */
function SecretField({
  draft,
  name,
  error,
  use,
  update,
}: {
  draft: DestinationDraft;
  name: string;
  error: string | undefined;
  use: DestinationUse;
  update(patch: Partial<DestinationDraft>): void;
}) {
  const field = secretField(draft);
  if (!field) return null;
  if (draft.secretFrom) {
    return (
      <Field label={field.label} name={name} hint="Named with the lifeboat command (lifeboat plan edit changes it); read where the plan runs, never kept here.">
        {(p) => <input {...p} className="mono" value={`from ${draft.secretFrom}`} readOnly />}
      </Field>
    );
  }
  const stored = draft.hasSecret && !draft.removeSecret && draft.savedPurpose === secretPurpose(draft);
  const otherPurpose = draft.hasSecret && draft.savedPurpose !== secretPurpose(draft);
  const hint =
    use === 'source'
      ? `${field.hint} Used for this import only, never saved.`
      : draft.removeSecret
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
            autoComplete={use === 'source' ? 'off' : 'new-password'}
            value={draft.secret}
            placeholder={stored ? 'stored in the keychain' : field.required ? '' : 'optional'}
            onChange={(e) => update({ secret: e.target.value, removeSecret: false })}
          />
        )}
      </Field>
      {stored && !field.required && (
        <CheckboxField label="Remove the stored secret" checked={draft.removeSecret} onChange={(removeSecret) => update({ removeSecret, secret: '' })} />
      )}
    </div>
  );
}

/** The SFTP server's pinned host key: shown whole, forgotten only by the user (after a changed key was confirmed). */
function HostKeyField({ draft, error, use, update }: { draft: DestinationDraft; error: string | undefined; use: DestinationUse; update(patch: Partial<DestinationDraft>): void }) {
  return (
    <div className="host-key" role="group" aria-label="Host key">
      <span className="field-label">Host key</span>
      {draft.hostKey ? (
        <div className="host-key-line">
          <span className="badge badge-success">{use === 'copy' ? 'pinned' : 'accepted'}</span>
          <span className="mono break">{draft.hostKey}</span>
          <button type="button" className="button-ghost" onClick={() => update({ hostKey: '' })}>
            {use === 'copy' ? 'Forget pinned key' : 'Forget accepted key'}
          </button>
        </div>
      ) : (
        <p className="muted small">
          {use === 'copy' ? 'Not pinned' : 'Not accepted yet'}: Test shows the server's SHA-256 fingerprint for you to check and accept.
        </p>
      )}
      {error && <div className="field-error">{error}</div>}
    </div>
  );
}
