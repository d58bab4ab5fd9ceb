/** A PostgreSQL server as a form holds it (restore target, restore drill), and the request built from it. */
import type { Plan, SSL_MODES } from '../../../shared/plan';
import type { serverTargetSchema } from '../../../shared/restore';
import type { z } from 'zod';

export type SslMode = (typeof SSL_MODES)[number];

/** The server fields as typed (the port as text until it is sent). */
export interface ServerDraft {
  host: string;
  port: string;
  user: string;
  password: string;
  sslMode: SslMode;
}

export type ServerErrors = Partial<Record<'host' | 'port' | 'user', string>>;

export const EMPTY_SERVER: ServerDraft = { host: 'localhost', port: '5432', user: 'postgres', password: '', sslMode: 'prefer' };

/**
 * The server a backup's database came from, as its plan names it (never its password: that
 * stays in the keychain and main finds it there when the field is left empty).
 */
export function serverFromPlan(plans: Plan[], planId: string | null | undefined, sourceId?: string): ServerDraft | null {
  const plan = planId ? plans.find((p) => p.id === planId) : undefined;
  const db = plan?.databases.find((d) => d.id === sourceId) ?? plan?.databases[0];
  if (!db) return null;
  return { host: db.host, port: String(db.port), user: db.user, password: '', sslMode: db.sslMode };
}

export function validateServer(draft: ServerDraft): ServerErrors {
  const errors: ServerErrors = {};
  if (!draft.host.trim()) errors.host = 'Enter the server host.';
  const port = Number(draft.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) errors.port = 'A port is a number from 1 to 65535.';
  if (!draft.user.trim()) errors.user = 'Enter the user name.';
  return errors;
}

/** The request's server: the password only when one was typed (else main asks the keychain). */
export function serverRequest(draft: ServerDraft): z.input<typeof serverTargetSchema> {
  return {
    host: draft.host.trim(),
    port: Number(draft.port),
    user: draft.user.trim(),
    sslMode: draft.sslMode,
    ...(draft.password ? { password: draft.password } : {}),
  };
}
