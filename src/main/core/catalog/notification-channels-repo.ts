import type { CatalogDb } from './catalog';
import type { ChannelConfig, ChannelKind, NotificationChannel } from '../../../shared/notify';

interface ChannelRow {
  id: string;
  kind: ChannelKind;
  name: string;
  enabled: number;
  on_success: number;
  config: string;
  created_at: string;
  updated_at: string;
}

/** What the `config` column holds: the channel's non-secret settings and whether a secret exists. */
interface StoredConfig {
  config: ChannelConfig;
  hasSecret: boolean;
}

function toChannel(row: ChannelRow): NotificationChannel {
  const stored = JSON.parse(row.config) as StoredConfig;
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    enabled: row.enabled === 1,
    onSuccess: row.on_success === 1,
    config: stored.config,
    hasSecret: stored.hasSecret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface ChannelRecord {
  id: string;
  name: string;
  enabled: boolean;
  onSuccess: boolean;
  config: ChannelConfig;
  hasSecret: boolean;
}

/** Notification channels in the catalog. Never holds a secret: those live in the keychain. */
export class NotificationChannelsRepo {
  constructor(private readonly db: CatalogDb) {}

  list(): NotificationChannel[] {
    return (this.db.prepare('SELECT * FROM notification_channels ORDER BY name COLLATE NOCASE, id').all() as ChannelRow[]).map(
      toChannel,
    );
  }

  enabled(): NotificationChannel[] {
    return this.list().filter((c) => c.enabled);
  }

  get(id: string): NotificationChannel | undefined {
    const row = this.db.prepare('SELECT * FROM notification_channels WHERE id = ?').get(id) as ChannelRow | undefined;
    return row ? toChannel(row) : undefined;
  }

  upsert(channel: ChannelRecord, now: string): NotificationChannel {
    const stored: StoredConfig = { config: channel.config, hasSecret: channel.hasSecret };
    this.db
      .prepare(
        `INSERT INTO notification_channels (id, kind, name, enabled, on_success, config, created_at, updated_at)
         VALUES (@id, @kind, @name, @enabled, @onSuccess, @config, @now, @now)
         ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name, enabled = excluded.enabled,
           on_success = excluded.on_success, config = excluded.config, updated_at = excluded.updated_at`,
      )
      .run({
        id: channel.id,
        kind: channel.config.kind,
        name: channel.name,
        enabled: channel.enabled ? 1 : 0,
        onSuccess: channel.onSuccess ? 1 : 0,
        config: JSON.stringify(stored),
        now,
      });
    return this.get(channel.id)!;
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM notification_channels WHERE id = ?').run(id).changes > 0;
  }
}
