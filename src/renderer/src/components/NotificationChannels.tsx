import { useEffect, useRef, useState, type FormEvent } from 'react';
import { InlineConfirm, useReturnFocus } from './InlineConfirm';
import { CHANNEL_KINDS, CHANNEL_SECRET_LABELS, SMTP_SECURITY, type ChannelKind, type NotificationChannel } from '../../../shared/notify';
import {
  CHANNEL_KIND_LABELS,
  SECRET_FIELDS,
  SMTP_SECURITY_LABELS,
  channelTarget,
  draftFromChannel,
  keepsStoredSecret,
  newChannelDraft,
  validateChannelDraft,
  type ChannelDraft,
  type ChannelErrors,
  type SmtpSecurity,
} from '../lib/channel-form';
import { toUiError, type UiError } from '../lib/errors';
import { useNotifyStore } from '../stores/notify-store';
import { ErrorBanner } from './ErrorBanner';
import { CheckboxField, Field } from './Field';

/** The port each SMTP security mode usually runs on. */
const SMTP_PORTS: Record<SmtpSecurity, string> = { starttls: '587', tls: '465', none: '25' };

function ChannelForm({ channel, onDone }: { channel: NotificationChannel | null; onDone(saved: NotificationChannel | null): void }) {
  const saveChannel = useNotifyStore((s) => s.saveChannel);
  const [draft, setDraft] = useState<ChannelDraft>(() => (channel ? draftFromChannel(channel) : newChannelDraft()));
  const [errors, setErrors] = useState<ChannelErrors>({});
  const [serverError, setServerError] = useState<UiError | null>(null);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const update = (patch: Partial<ChannelDraft>) => setDraft((d) => ({ ...d, ...patch }));

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errors]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setServerError(null);
    const result = validateChannelDraft(draft);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      onDone(await saveChannel(result.channel, result.secret));
    } catch (e) {
      setServerError(toUiError(e));
    } finally {
      setSaving(false);
    }
  };

  const secretField = SECRET_FIELDS[draft.kind];
  const stored = keepsStoredSecret(draft);
  const secretRequired = CHANNEL_SECRET_LABELS[draft.kind].required;
  const kindChangedWithSecret = draft.savedKind !== null && draft.savedKind !== draft.kind && draft.savedHasSecret;

  return (
    <form
      ref={formRef}
      className="card channel-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={channel ? `Edit channel ${channel.name}` : 'New channel'}
    >
      <h3>{channel ? `Edit “${channel.name}”` : 'New channel'}</h3>
      <ErrorBanner error={serverError} onDismiss={() => setServerError(null)} />
      <div className="grid-2">
        <Field label="Channel name" error={errors.name}>
          {(p) => <input {...p} value={draft.name} maxLength={120} placeholder="Ops webhook" onChange={(e) => update({ name: e.target.value })} />}
        </Field>
        <Field label="Type" hint={kindChangedWithSecret ? 'Changing the type drops the secret stored for the old one.' : undefined}>
          {(p) => (
            <select {...p} value={draft.kind} onChange={(e) => update({ kind: e.target.value as ChannelKind, secret: '' })}>
              {CHANNEL_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {CHANNEL_KIND_LABELS[kind]}
                </option>
              ))}
            </select>
          )}
        </Field>

        {draft.kind === 'webhook' && (
          <>
            <Field label="Webhook URL" error={errors['config.url']} hint="Receives a JSON POST for each event." className="field-span-2">
              {(p) => (
                <input {...p} className="mono" value={draft.url} placeholder="https://example.com/lifeboat-hook" onChange={(e) => update({ url: e.target.value })} />
              )}
            </Field>
            <Field label="Header name" error={errors['config.authHeader']} hint="Carries the header value below, if you set one.">
              {(p) => <input {...p} value={draft.authHeader} onChange={(e) => update({ authHeader: e.target.value })} />}
            </Field>
          </>
        )}

        {draft.kind === 'telegram' && (
          <Field label="Chat id" error={errors['config.chatId']} hint="A numeric chat id (negative for groups) or a @channel name.">
            {(p) => <input {...p} value={draft.chatId} placeholder="-1001234567890" onChange={(e) => update({ chatId: e.target.value })} />}
          </Field>
        )}

        {draft.kind === 'email' && (
          <>
            <Field label="SMTP host" error={errors['config.host']}>
              {(p) => <input {...p} value={draft.host} placeholder="smtp.example.com" onChange={(e) => update({ host: e.target.value })} />}
            </Field>
            <div className="grid-2 nested-grid">
              <Field label="Port" error={errors['config.port']}>
                {(p) => <input {...p} inputMode="numeric" value={draft.port} onChange={(e) => update({ port: e.target.value })} />}
              </Field>
              <Field label="Security">
                {(p) => (
                  <select
                    {...p}
                    value={draft.security}
                    onChange={(e) => {
                      const security = e.target.value as SmtpSecurity;
                      // follow the usual port of the mode, unless the user typed another one
                      const usual = Object.values(SMTP_PORTS).includes(draft.port) || draft.port === '';
                      update({ security, port: usual ? SMTP_PORTS[security] : draft.port });
                    }}
                  >
                    {SMTP_SECURITY.map((mode) => (
                      <option key={mode} value={mode}>
                        {SMTP_SECURITY_LABELS[mode]}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <Field label="User name" error={errors['config.user']} hint="Leave empty if the server needs no login.">
              {(p) => <input {...p} value={draft.user} autoComplete="off" onChange={(e) => update({ user: e.target.value })} />}
            </Field>
            <Field label="From" error={errors['config.from']}>
              {(p) => <input {...p} value={draft.from} placeholder="Lifeboat <backup@example.com>" onChange={(e) => update({ from: e.target.value })} />}
            </Field>
            <Field label="To" error={errors['config.to']} hint="One or more addresses, separated by commas." className="field-span-2">
              {(p) => <input {...p} value={draft.to} placeholder="admin@example.com, oncall@example.com" onChange={(e) => update({ to: e.target.value })} />}
            </Field>
          </>
        )}

        <Field
          label={secretField.label}
          error={errors.secret}
          hint={stored ? 'Stored in the keychain. Leave blank to keep it.' : secretField.hint}
          className={draft.kind === 'slack' ? 'field-span-2' : undefined}
        >
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="new-password"
              value={draft.secret}
              placeholder={stored ? 'stored in keychain' : secretRequired ? '' : 'optional'}
              onChange={(e) => update({ secret: e.target.value, removeSecret: false })}
            />
          )}
        </Field>
      </div>
      {draft.savedHasSecret && draft.savedKind === draft.kind && !secretRequired && (
        <CheckboxField
          label="Remove the stored secret"
          checked={draft.removeSecret}
          onChange={(removeSecret) => update({ removeSecret, secret: '' })}
        />
      )}
      <CheckboxField label="Enabled" checked={draft.enabled} onChange={(enabled) => update({ enabled })} hint="Failures and alerts go to every enabled channel." />
      <CheckboxField label="Also on success" checked={draft.onSuccess} onChange={(onSuccess) => update({ onSuccess })} hint="Send a message after each successful job too." />
      <div className="form-actions">
        <button type="submit" className="button-primary" disabled={saving}>
          {saving ? 'Saving…' : channel ? 'Save channel' : 'Add channel'}
        </button>
        <button type="button" onClick={() => onDone(null)} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type TestResult = { state: 'sending' } | { state: 'delivered'; at: Date } | { state: 'failed'; error: UiError };

function ChannelItem({ channel, onEdit }: { channel: NotificationChannel; onEdit(): void }) {
  const { testChannel, deleteChannel } = useNotifyStore();
  const [test, setTest] = useState<TestResult | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const deleteRef = useReturnFocus<HTMLButtonElement>(confirmDelete);
  const [error, setError] = useState<UiError | null>(null);

  const sendTest = async () => {
    setTest({ state: 'sending' });
    try {
      await testChannel(channel.id);
      setTest({ state: 'delivered', at: new Date() });
    } catch (e) {
      setTest({ state: 'failed', error: toUiError(e) });
    }
  };

  const remove = async () => {
    setError(null);
    try {
      await deleteChannel(channel.id);
    } catch (e) {
      setError(toUiError(e));
    }
  };

  return (
    <li className="channel-item" aria-label={channel.name}>
      <div className="channel-main">
        <div className="channel-title">
          <strong>{channel.name}</strong>
          <span className="badge badge-neutral">{CHANNEL_KIND_LABELS[channel.kind]}</span>
          <span className={`badge ${channel.enabled ? 'badge-success' : 'badge-cancelled'}`}>{channel.enabled ? 'enabled' : 'disabled'}</span>
          {channel.onSuccess && <span className="badge badge-pending">also on success</span>}
        </div>
        <p className="muted small mono break">{channelTarget(channel)}</p>
      </div>
      <div className="channel-actions">
        {confirmDelete ? (
          <InlineConfirm label={`Delete ${channel.name}?`} onCancel={() => setConfirmDelete(false)} className="confirm-inline">
            <span className="muted small">Delete “{channel.name}”?</span>
            <button type="button" className="button-danger" onClick={() => void remove()}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </InlineConfirm>
        ) : (
          <>
            <button type="button" disabled={test?.state === 'sending'} onClick={() => void sendTest()}>
              {test?.state === 'sending' ? 'Sending…' : 'Send test'}
            </button>
            <button type="button" onClick={onEdit}>
              Edit
            </button>
            <button type="button" ref={deleteRef} onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </>
        )}
      </div>
      {test?.state === 'delivered' && (
        <p className="channel-test ok-text" role="status">
          Test message delivered.
        </p>
      )}
      {test?.state === 'failed' && (
        <div className="channel-test">
          <ErrorBanner error={test.error} onDismiss={() => setTest(null)} />
        </div>
      )}
      {error && (
        <div className="channel-test">
          <ErrorBanner error={error} onDismiss={() => setError(null)} />
        </div>
      )}
    </li>
  );
}

/**
 * The notification channels: webhook (JSON), Slack, Telegram, e-mail. Failures and alerts go
 * to every enabled channel; successes to those that ask for them.
 */
export function NotificationChannels() {
  const { channels, channelsLoaded, channelsError, loadChannels } = useNotifyStore();
  const [editing, setEditing] = useState<{ channel: NotificationChannel | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    void loadChannels();
  }, [loadChannels]);

  return (
    <div className="section">
      <div className="section-head">
        <h3>Channels</h3>
        {!editing && (
          <button type="button" onClick={() => (setNotice(null), setEditing({ channel: null }))}>
            Add channel
          </button>
        )}
      </div>
      <p className="muted">Webhook, Slack, Telegram or e-mail. Failures and alerts go to every enabled channel.</p>
      <ErrorBanner error={channelsError} />
      {notice && (
        <p className="ok-text" role="status">
          {notice}
        </p>
      )}
      {editing && (
        <ChannelForm
          key={editing.channel?.id ?? 'new'}
          channel={editing.channel}
          onDone={(saved) => {
            setEditing(null);
            if (saved) setNotice(`Saved “${saved.name}”. Use Send test to check it.`);
          }}
        />
      )}
      {channelsLoaded && channels.length === 0 && !editing && <p className="muted">No channels yet: only desktop notifications are shown.</p>}
      {channels.length > 0 && (
        <ul className="channel-list" aria-label="Notification channels">
          {channels.map((channel) => (
            <ChannelItem key={channel.id} channel={channel} onEdit={() => (setNotice(null), setEditing({ channel }))} />
          ))}
        </ul>
      )}
    </div>
  );
}
