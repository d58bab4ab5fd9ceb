/**
 * Remote backups on the command line: every command that takes a backup file also takes an
 * s3://, azure:// or sftp:// URL (issue #15, points 4 and 6), read with ranged requests. The
 * credentials come from the environment as the standard tools read them
 * (core/destinations/url.ts destinationFromEnv), plus `--ssh-key FILE` and
 * `--accept-host-key SHA256:...` for SFTP; never from an argument. `lifeboat list --remote
 * <url-prefix>` lists the backups at a prefix from their headers alone.
 */
import { Option } from 'commander';
import { toTransferable } from '../../shared/errors';
import { readContainerHeader } from '../core/crypto/container';
import { listRemoteBackups, makeDestinationOpener, openListedBackup, setRemoteOpener, type DestinationOpener } from '../core/destinations/remote-open';
import { destinationFromEnv } from '../core/destinations/url';
import { formatBytes, printTable } from './format';

/** The options of a command that reads a remote backup. */
export interface RemoteFlags {
  sshKey?: string;
  acceptHostKey?: string;
}

/** `--ssh-key <file>`, for a command that takes a backup file or URL. */
export function sshKeyOption(): Option {
  return new Option(
    '--ssh-key <file>',
    'sftp:// URLs: the private key to log in with (or set LIFEBOAT_SSH_KEY; else the ssh agent and ~/.ssh/id_*); its passphrase from LIFEBOAT_SSH_KEY_PASSPHRASE',
  );
}

/** `--accept-host-key <fingerprint>`, for a command that takes a backup file or URL. */
export function acceptHostKeyOption(): Option {
  return new Option('--accept-host-key <fingerprint>', 'sftp:// URLs: accept a server not in known_hosts when its host key has this SHA256:... fingerprint');
}

let installed: DestinationOpener | null = null;

/**
 * Lets this process read s3://, azure:// and sftp:// URLs with the credentials `env` and `flags`
 * give (resolved when a URL is first opened: a command without one needs none). Connections are
 * kept for the command and ended by closeRemoteOpener.
 */
export function installRemoteOpener(env: NodeJS.ProcessEnv, flags: RemoteFlags = {}): DestinationOpener {
  const opener = makeDestinationOpener(async (config) => {
    const resolved = destinationFromEnv(config, env, { sshKey: flags.sshKey, acceptHostKey: flags.acceptHostKey });
    // loaded on first use: a command that reads no URL does not load the cloud SDKs
    const { openDestination } = await import('../core/destinations/open');
    return openDestination(resolved.config, resolved.openOptions);
  });
  installed = opener;
  setRemoteOpener(opener);
  return opener;
}

/** Ends the connections the command opened and removes the opener. */
export async function closeRemoteOpener(): Promise<void> {
  const opener = installed;
  installed = null;
  setRemoteOpener(null);
  await opener?.close();
}

/** One backup at a remote prefix, as `list --remote` prints it. */
export interface RemoteBackupListing {
  url: string;
  sizeBytes: number;
  modifiedAt: string | null;
  /** from its header (null when the header cannot be read: see error) */
  backupId: string | null;
  createdAt: string | null;
  encrypted: boolean | null;
  format: number | null;
  app: string | null;
  error: { code: string; message: string } | null;
}

/** How many headers are read at once (each is one small ranged read). */
const HEADER_READS_AT_ONCE = 4;

/**
 * The .lifeboat objects below a prefix URL with what their headers say (no passphrase needed;
 * one ranged read of the header per object, never the whole file), oldest first.
 */
export async function listRemote(prefixUrl: string): Promise<RemoteBackupListing[]> {
  const objects = await listRemoteBackups(prefixUrl);
  const out: RemoteBackupListing[] = new Array(objects.length);
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const i = next++;
      const o = objects[i]!;
      const row: RemoteBackupListing = {
        url: o.url,
        sizeBytes: o.size,
        modifiedAt: o.modifiedAt?.toISOString() ?? null,
        backupId: null,
        createdAt: null,
        encrypted: null,
        format: null,
        app: null,
        error: null,
      };
      try {
        const file = await openListedBackup(o.url, o.size);
        try {
          const { header } = await readContainerHeader(file);
          Object.assign(row, { backupId: header.backupId, createdAt: header.createdAt, encrypted: header.encryption !== null, format: header.format, app: header.app });
        } finally {
          await file.close();
        }
      } catch (error) {
        const t = toTransferable(error);
        row.error = { code: t.code, message: t.message };
      }
      out[i] = row;
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEADER_READS_AT_ONCE, objects.length) }, worker));
  return out.sort((a, b) => (a.createdAt ?? a.modifiedAt ?? '').localeCompare(b.createdAt ?? b.modifiedAt ?? '') || a.url.localeCompare(b.url));
}

/** Prints `list --remote` as a table or JSON. */
export async function printRemoteList(prefixUrl: string, json: boolean, out: (text: string) => void): Promise<void> {
  const rows = await listRemote(prefixUrl);
  if (json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    out(`No backups (.lifeboat) at ${prefixUrl}.`);
    return;
  }
  printTable(
    out,
    ['created', 'size', 'encrypted', 'url'],
    rows.map((r) => [
      r.createdAt?.replace('T', ' ').slice(0, 19) ?? (r.error ? `(${r.error.code})` : '-'),
      formatBytes(r.sizeBytes),
      r.encrypted === null ? '-' : r.encrypted ? 'yes' : 'no',
      r.url,
    ]),
  );
}
