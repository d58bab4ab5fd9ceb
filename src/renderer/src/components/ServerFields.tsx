import { SSL_MODES } from '../../../shared/plan';
import type { ServerDraft, ServerErrors, SslMode } from '../lib/server-draft';
import { Field } from './Field';

/** Host, port, user, password and SSL mode of a PostgreSQL server to restore into or drill on. */
export function ServerFields({
  value,
  onChange,
  errors = {},
  passwordHint = 'Sent with this request only, never saved. Empty: the password a plan keeps for this server and user, or ~/.pgpass.',
}: {
  value: ServerDraft;
  onChange(next: ServerDraft): void;
  errors?: ServerErrors;
  passwordHint?: string;
}) {
  const set = (patch: Partial<ServerDraft>) => onChange({ ...value, ...patch });
  return (
    <div className="server-fields">
      <Field label="Host" error={errors.host}>
        {(p) => <input {...p} value={value.host} autoComplete="off" onChange={(e) => set({ host: e.target.value })} />}
      </Field>
      <Field label="Port" error={errors.port}>
        {(p) => <input {...p} inputMode="numeric" value={value.port} onChange={(e) => set({ port: e.target.value })} />}
      </Field>
      <Field label="User" error={errors.user}>
        {(p) => <input {...p} value={value.user} autoComplete="off" onChange={(e) => set({ user: e.target.value })} />}
      </Field>
      <Field label="Password" hint={passwordHint}>
        {(p) => <input {...p} type="password" autoComplete="off" value={value.password} onChange={(e) => set({ password: e.target.value })} />}
      </Field>
      <Field label="SSL mode">
        {(p) => (
          <select {...p} value={value.sslMode} onChange={(e) => set({ sslMode: e.target.value as SslMode })}>
            {SSL_MODES.map((mode) => (
              <option key={mode} value={mode}>
                {mode}
              </option>
            ))}
          </select>
        )}
      </Field>
    </div>
  );
}
