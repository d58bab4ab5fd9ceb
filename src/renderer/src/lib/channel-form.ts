/**
 * The notification channel form's model. Inputs hold strings; `validateChannelDraft` turns them
 * into a ChannelInput checked with the same zod schema main validates with. The secret (Slack
 * URL, bot token, SMTP password, webhook header value) stays out of the channel: it is sent once,
 * in `secret`, and main keeps it in the OS keychain.
 */
import {
  CHANNEL_SECRET_LABELS,
  SMTP_SECURITY,
  channelInputSchema,
  type ChannelInput,
  type ChannelKind,
  type NotificationChannel,
} from '../../../shared/notify';

export type SmtpSecurity = (typeof SMTP_SECURITY)[number];

export interface ChannelDraft {
  id?: string;
  /** the kind saved before this edit: a secret kept for another kind does not carry over */
  savedKind: ChannelKind | null;
  savedHasSecret: boolean;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  onSuccess: boolean;
  url: string;
  authHeader: string;
  chatId: string;
  host: string;
  port: string;
  security: SmtpSecurity;
  user: string;
  from: string;
  /** recipients, separated by commas or new lines */
  to: string;
  /** typed by the user; empty keeps the stored one */
  secret: string;
  removeSecret: boolean;
}

export const CHANNEL_KIND_LABELS: Record<ChannelKind, string> = {
  webhook: 'Webhook (JSON)',
  slack: 'Slack',
  telegram: 'Telegram',
  email: 'E-mail (SMTP)',
};

export const SMTP_SECURITY_LABELS: Record<SmtpSecurity, string> = {
  starttls: 'STARTTLS (port 587)',
  tls: 'TLS from the start (port 465)',
  none: 'None (a local relay only)',
};

/** The secret field of each kind, as the form shows it. */
export const SECRET_FIELDS: Record<ChannelKind, { label: string; hint: string }> = {
  webhook: { label: 'Header value', hint: 'Optional, e.g. "Bearer <token>", sent in the header above. Kept in the OS keychain.' },
  slack: { label: 'Slack webhook URL', hint: 'https://hooks.slack.com/services/… It works as a password, so it is kept in the OS keychain.' },
  telegram: { label: 'Bot token', hint: 'The token BotFather gave you (digits:letters). Kept in the OS keychain.' },
  email: { label: 'Password', hint: 'The SMTP password of the user above, if it needs one. Kept in the OS keychain.' },
};

export function newChannelDraft(): ChannelDraft {
  return {
    savedKind: null,
    savedHasSecret: false,
    name: '',
    kind: 'webhook',
    enabled: true,
    onSuccess: false,
    url: '',
    authHeader: 'Authorization',
    chatId: '',
    host: '',
    port: '587',
    security: 'starttls',
    user: '',
    from: '',
    to: '',
    secret: '',
    removeSecret: false,
  };
}

export function draftFromChannel(channel: NotificationChannel): ChannelDraft {
  const draft: ChannelDraft = {
    ...newChannelDraft(),
    id: channel.id,
    savedKind: channel.kind,
    savedHasSecret: channel.hasSecret,
    name: channel.name,
    kind: channel.kind,
    enabled: channel.enabled,
    onSuccess: channel.onSuccess,
  };
  const c = channel.config;
  switch (c.kind) {
    case 'webhook':
      return { ...draft, url: c.url, authHeader: c.authHeader };
    case 'telegram':
      return { ...draft, chatId: c.chatId };
    case 'email':
      return { ...draft, host: c.host, port: String(c.port), security: c.security, user: c.user, from: c.from, to: c.to.join(', ') };
    case 'slack':
      return draft;
  }
}

/** A secret is stored for this channel and stays, unless the user types a new one or removes it. */
export function keepsStoredSecret(d: ChannelDraft): boolean {
  return d.savedHasSecret && d.savedKind === d.kind && !d.removeSecret;
}

function config(d: ChannelDraft): ChannelInput['config'] {
  switch (d.kind) {
    case 'webhook':
      return { kind: 'webhook', url: d.url.trim(), authHeader: d.authHeader.trim() || 'Authorization' };
    case 'slack':
      return { kind: 'slack' };
    case 'telegram':
      return { kind: 'telegram', chatId: d.chatId.trim() };
    case 'email': {
      const port = d.port.trim();
      return {
        kind: 'email',
        host: d.host.trim(),
        port: port === '' ? undefined : Number(port),
        security: d.security,
        user: d.user.trim(),
        from: d.from.trim(),
        to: d.to
          .split(/[,\n]/)
          .map((a) => a.trim())
          .filter(Boolean),
      };
    }
  }
}

export type ChannelErrors = Record<string, string>;

export type ChannelValidation =
  | { ok: true; channel: ChannelInput; secret: string | undefined }
  | { ok: false; errors: ChannelErrors };

const FRIENDLY: Record<string, string> = {
  name: 'Enter a name for the channel',
  'config.host': 'Enter the SMTP server host name',
  'config.port': 'Enter a port from 1 to 65535',
  'config.to': 'Add at least one recipient',
};

/** Checks the draft with the shared schema plus the secret rules main applies. */
export function validateChannelDraft(d: ChannelDraft): ChannelValidation {
  const errors: ChannelErrors = {};
  const channel: ChannelInput = {
    ...(d.id ? { id: d.id } : {}),
    name: d.name.trim(),
    enabled: d.enabled,
    onSuccess: d.onSuccess,
    config: config(d),
  };
  const parsed = channelInputSchema.safeParse(channel);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // recipients are one field: "config.to.1" is the second address in it
      const path = issue.path.map(String);
      const key = path[0] === 'config' && path[1] === 'to' ? 'config.to' : path.join('.');
      const generic = issue.code === 'too_small' || issue.code === 'invalid_type' || issue.code === 'too_big';
      errors[key] ??= generic && FRIENDLY[key] ? FRIENDLY[key] : issue.message;
    }
  }

  const secret = d.secret.trim();
  const { required } = CHANNEL_SECRET_LABELS[d.kind];
  const hasSecret = secret !== '' || keepsStoredSecret(d);
  if (required && !hasSecret) errors.secret = `Enter the ${SECRET_FIELDS[d.kind].label.toLowerCase()}`;
  if (d.kind === 'email' && d.user.trim() && !hasSecret) errors.secret = 'Enter the password for this user, or clear the user name';

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  // '' tells main to remove the stored secret; undefined keeps it
  const removing = d.removeSecret || (d.savedKind !== null && d.savedKind !== d.kind);
  return { ok: true, channel, secret: secret !== '' ? secret : removing && d.savedHasSecret ? '' : undefined };
}

/** One line about where a channel delivers, without its secret. */
export function channelTarget(channel: NotificationChannel): string {
  const c = channel.config;
  switch (c.kind) {
    case 'webhook':
      return `POST ${c.url}`;
    case 'slack':
      return channel.hasSecret ? 'Slack incoming webhook (URL in the keychain)' : 'Slack incoming webhook (no URL stored)';
    case 'telegram':
      return `Telegram chat ${c.chatId}`;
    case 'email':
      return `To ${c.to.join(', ')} via ${c.host}:${c.port}`;
  }
}
