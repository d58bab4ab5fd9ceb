import type { BackupManifest } from '../../src/shared/manifest';

/** A format-1 manifest of a backup written by hand in a test: no sources, the given entries. */
export function bareManifest(entries: BackupManifest['entries'], backupId = 'b1'): BackupManifest {
  return {
    format: 1,
    backupId,
    app: { name: 'Lifeboat', version: 't' },
    createdAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    plan: null,
    type: 'full',
    baseBackupId: null,
    encrypted: true,
    compressionLevel: 1,
    host: 'h',
    sources: [],
    entries,
  };
}
