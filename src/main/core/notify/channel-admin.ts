/**
 * Administration of notification channels (Settings > Notifications): create, update, delete and
 * test a webhook, Slack, Telegram or email channel. A channel's secret (webhook URL, token,
 * header, SMTP password) lives in the keychain, never in the catalog. Delivery itself is the
 * notification service's.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { CHANNEL_SECRET_LABELS, type NotificationChannel, type channelInputSchema } from '../../../shared/notify';
import type { NotificationChannelsRepo } from '../catalog/notification-channels-repo';
import { secretKeys } from '../paths';
import type { Clock, SecretStore } from '../ports';

export interface ChannelAdminDeps {
  channels: NotificationChannelsRepo;
  secrets: SecretStore;
  clock: Clock;
  /** delivers a test message; the error (already recorded) when it did not arrive */
  sendTest(channel: NotificationChannel): Promise<AppError | null>;
}

function checkSecretShape(kind: NotificationChannel['kind'], secret: string): void {
  const bad = (detail: string) => new AppError('VALIDATION', { detail });
  switch (kind) {
    case 'slack': {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(secret).protocol);
      } catch {
        ok = false;
      }
      if (!ok) throw bad('secret: paste the Slack incoming webhook URL (https://hooks.slack.com/services/…)');
      return;
    }
    case 'telegram':
      if (!/^[A-Za-z0-9:_-]{10,200}$/.test(secret)) throw bad('secret: paste the bot token BotFather gave you (digits:letters)');
      return;
    case 'webhook':
      if (/[\r\n]/.test(secret)) throw bad('secret: the header value must be one line');
      return;
    case 'email':
      return;
  }
}

export class ChannelAdmin {
  constructor(private readonly deps: ChannelAdminDeps) {}

  list(): NotificationChannel[] {
    return this.deps.channels.list();
  }

  /**
   * Creates or updates a channel. `secret`: a new value is kept in the keychain, '' removes the
   * stored one, undefined keeps it (unless the kind changed: a Slack URL is no Telegram token).
   */
  async save(input: z.output<typeof channelInputSchema>, secret?: string): Promise<{ channel: NotificationChannel; created: boolean }> {
    const id = input.id ?? randomUUID();
    const existing = input.id ? this.deps.channels.get(input.id) : undefined;
    if (input.id && !existing) throw new AppError('NOT_FOUND', { detail: `notification channel ${input.id}` });
    const kind = input.config.kind;
    const key = secretKeys.notifySecret(id);
    const kindChanged = existing !== undefined && existing.kind !== kind;
    if (secret) checkSecretShape(kind, secret);
    const willHaveSecret =
      secret !== undefined ? secret !== '' : !kindChanged && existing !== undefined && (await this.deps.secrets.get(key)) !== null;
    const { label, required } = CHANNEL_SECRET_LABELS[kind];
    if (required && !willHaveSecret) throw new AppError('VALIDATION', { detail: `secret: enter the ${label}` });
    if (input.config.kind === 'email' && input.config.user && !willHaveSecret) {
      throw new AppError('VALIDATION', { detail: `secret: enter the SMTP password for ${input.config.user}, or clear the user name` });
    }
    if (secret) await this.deps.secrets.set(key, secret);
    else if (secret === '' || kindChanged) await this.deps.secrets.delete(key);
    const channel = this.deps.channels.upsert(
      { id, name: input.name, enabled: input.enabled, onSuccess: input.onSuccess, config: input.config, hasSecret: willHaveSecret },
      this.deps.clock.now().toISOString(),
    );
    return { channel, created: !existing };
  }

  async delete(id: string): Promise<NotificationChannel> {
    const channel = this.channelOrThrow(id);
    await this.deps.secrets.delete(secretKeys.notifySecret(id));
    this.deps.channels.delete(id);
    return channel;
  }

  /** Sends a test message to one channel (enabled or not); throws NOTIFY_FAILED if it does not arrive. */
  async test(id: string): Promise<void> {
    const error = await this.deps.sendTest(this.channelOrThrow(id));
    if (error) throw error;
  }

  private channelOrThrow(id: string): NotificationChannel {
    const channel = this.deps.channels.get(id);
    if (!channel) throw new AppError('NOT_FOUND', { detail: `notification channel ${id}` });
    return channel;
  }
}
