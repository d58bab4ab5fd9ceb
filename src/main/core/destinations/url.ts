/**
 * Destination URLs as the command line takes them, and the credentials the command line finds in
 * the environment for them (issue #15, point 6):
 * - `s3://bucket/prefix/name.lifeboat`
 * - `azure://account/container/prefix/name.lifeboat`
 * - `sftp://user@host[:port]/absolute/path/name.lifeboat`, or `sftp://user@host/~/path/...` for a
 *   path below the user's home folder (as shared/destination.ts destinationUrl writes them).
 * A URL that ends in `.lifeboat` names one backup (the destination's root is its folder, the
 * key its name); any other URL is a prefix (a folder of backups). A URL never holds a secret: a
 * password in an sftp:// URL is refused, as in --db.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  destinationSchema,
  hostKeyFingerprintSchema,
  type AzureDestinationConfig,
  type DestinationConfig,
  type S3DestinationConfig,
  type SftpDestinationConfig,
} from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { OpenDestinationOptions } from './open';

/** The forms a destination URL takes, for messages. */
export const DESTINATION_URL_FORMS = {
  s3: 's3://bucket/prefix/name.lifeboat',
  azure: 'azure://account/container/prefix/name.lifeboat',
  sftp: 'sftp://user@host[:port]/absolute/path/name.lifeboat (or sftp://user@host/~/path/name.lifeboat below the home folder)',
} as const;

const BACKUP_SUFFIX = '.lifeboat';

/** Whether `text` is an s3://, azure:// or sftp:// URL (anything else is a local path). */
export function isDestinationUrl(text: string): boolean {
  return /^(s3|azure|sftp):\/\//i.test(text);
}

export interface ParsedDestinationUrl {
  /** the destination: for a backup URL its folder, for a prefix URL the prefix itself */
  config: DestinationConfig;
  /** the backup's object key below the root (its name), or null for a prefix URL */
  key: string | null;
}

function invalid(kind: keyof typeof DESTINATION_URL_FORMS | null, why: string): AppError {
  const forms = kind ? DESTINATION_URL_FORMS[kind] : Object.values(DESTINATION_URL_FORMS).join(', ');
  return new AppError('VALIDATION', { detail: `${why}; use ${forms}` });
}

/** The `/`-separated segments of a path part: none empty, `.` or `..` (a trailing `/` is allowed). */
function segments(kind: keyof typeof DESTINATION_URL_FORMS, text: string, what: string): string[] {
  const trimmed = text.replace(/\/$/, '');
  if (trimmed === '') return [];
  const parts = trimmed.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw invalid(kind, `the ${what} of ${JSON.stringify(text)} has an empty, "." or ".." part or a backslash`);
  }
  return parts;
}

/** The last segment as the key when it names a backup (`*.lifeboat`); the rest as the folder. */
function splitKey(parts: string[]): { folder: string[]; key: string | null } {
  const last = parts[parts.length - 1];
  if (last !== undefined && last.endsWith(BACKUP_SUFFIX) && last !== BACKUP_SUFFIX) return { folder: parts.slice(0, -1), key: last };
  return { folder: parts, key: null };
}

function parseConfig(input: Record<string, unknown>, kind: keyof typeof DESTINATION_URL_FORMS): DestinationConfig {
  const parsed = destinationSchema.safeParse({ id: 'url', ...input });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(kind, `${issue.path.join('.') || 'the URL'}: ${issue.message}`);
  }
  return parsed.data;
}

const S3_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const AZURE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const AZURE_CONTAINER = /^(\$root|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$/;
const SFTP_URL = /^sftp:\/\/(?:([^@/]*)@)?(\[[0-9A-Fa-f:.]+\]|[^/:@[\]]+)(?::([^/]*))?(\/.*)?$/i;

/**
 * Parses a destination URL; throws VALIDATION naming the form to use. A backup URL
 * (`.../name.lifeboat`) gives the destination of its folder and the key `name.lifeboat`; a prefix
 * URL gives the destination of the prefix and key null.
 */
export function parseDestinationUrl(url: string): ParsedDestinationUrl {
  const scheme = /^([a-z0-9]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 's3') {
    const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(url)!;
    const bucket = m[1]!;
    if (!S3_BUCKET.test(bucket)) throw invalid('s3', `"${bucket}" is not a bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
    const { folder, key } = splitKey(segments('s3', m[2] ?? '', 'key'));
    return { config: parseConfig({ kind: 's3', bucket, prefix: folder.join('/') }, 's3'), key };
  }
  if (scheme === 'azure') {
    const m = /^azure:\/\/([^/]*)(?:\/([^/]*))?(?:\/(.*))?$/i.exec(url)!;
    const account = m[1]!;
    const container = m[2] ?? '';
    if (!AZURE_ACCOUNT.test(account)) throw invalid('azure', `"${account}" is not a storage account name (3-24 lowercase letters and digits)`);
    if (!AZURE_CONTAINER.test(container)) {
      throw invalid('azure', container ? `"${container}" is not a container name (3-63 lowercase letters, digits and single hyphens)` : 'the URL names no container');
    }
    const { folder, key } = splitKey(segments('azure', m[3] ?? '', 'blob name'));
    return { config: parseConfig({ kind: 'azure', account, container, prefix: folder.join('/') }, 'azure'), key };
  }
  if (scheme === 'sftp') {
    const m = SFTP_URL.exec(url);
    if (!m) throw invalid('sftp', 'the URL does not read as user@host[:port]/path');
    const [, userPart, host, portText, pathPart] = m;
    if (userPart?.includes(':')) {
      throw new AppError('VALIDATION', {
        detail: 'do not put a password in the sftp:// URL (every local user can read a command line); set LIFEBOAT_SSH_PASSWORD, or use a key (--ssh-key, LIFEBOAT_SSH_KEY, the ssh agent)',
      });
    }
    if (!userPart) throw invalid('sftp', 'the URL names no user');
    let user: string;
    try {
      user = decodeURIComponent(userPart);
    } catch {
      throw invalid('sftp', 'the user name has a broken %-escape');
    }
    const port = portText === undefined || portText === '' ? 22 : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw invalid('sftp', `the port must be 1-65535, not "${portText}"`);
    // the home folder: no path, or /~ (destinationUrl writes a relative path as /~/path)
    const raw = pathPart ?? '';
    const home = raw === '' || raw === '/~' || raw.startsWith('/~/');
    // `/~/./name` is what a destination whose path is the home folder itself (`.`) writes
    const rest = home ? raw.replace(/^\/~\/?/, '').replace(/^\.(\/|$)/, '') : raw.slice(1);
    const { folder, key } = splitKey(segments('sftp', rest, 'path'));
    const folderPath = home ? folder.join('/') || '.' : `/${folder.join('/')}`;
    return { config: parseConfig({ kind: 'sftp', host: host!.replace(/^\[|\]$/g, ''), port, user, path: folderPath }, 'sftp'), key };
  }
  throw invalid(null, `"${url}" is not a destination URL`);
}

/**
 * A backup URL split into its destination and key; VALIDATION when the URL names a prefix (a
 * folder of backups) instead of a `.lifeboat` object.
 */
export function parseBackupUrl(url: string): { config: DestinationConfig; key: string } {
  const { config, key } = parseDestinationUrl(url);
  if (key === null) {
    throw new AppError('VALIDATION', {
      detail: `${url} names a folder of backups, not one backup (its name ends in .lifeboat); see what is there with lifeboat list --remote ${url}`,
    });
  }
  return { config, key };
}

/** What the command line gives besides the environment. */
export interface UrlCredentialOptions {
  /** --ssh-key FILE */
  sshKey?: string;
  /** --accept-host-key SHA256:... */
  acceptHostKey?: string;
  /** the user's home folder (default: HOME, else the OS's) */
  homeDir?: string;
}

export interface ResolvedDestination {
  config: DestinationConfig;
  openOptions: OpenDestinationOptions;
}

/**
 * Completes a destination parsed from a URL with the credentials and settings the environment
 * gives, as the standard tools read them (issue #15, point 6); the secret goes to
 * `openOptions.secret` only, never into the config.
 * - S3: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (another server than AWS: path-style), AWS_REGION /
 *   AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, else AWS_PROFILE or the rest of
 *   the AWS chain (~/.aws/credentials, a session token: read by the SDK from this process).
 * - Azure: AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey or SharedAccessSignature,
 *   BlobEndpoint; UseDevelopmentStorage=true for Azurite), else AZURE_STORAGE_KEY or
 *   AZURE_STORAGE_SAS_TOKEN (for AZURE_STORAGE_ACCOUNT, which must be the URL's account when set),
 *   with AZURE_STORAGE_BLOB_ENDPOINT for another endpoint (Azurite).
 * - SFTP: --ssh-key / LIFEBOAT_SSH_KEY (its passphrase LIFEBOAT_SSH_KEY_PASSPHRASE), else
 *   LIFEBOAT_SSH_PASSWORD, else the ssh agent (SSH_AUTH_SOCK) and ~/.ssh/id_ed25519, id_ecdsa,
 *   id_rsa; host keys from LIFEBOAT_SSH_KNOWN_HOSTS or ~/.ssh/known_hosts, and an unknown host
 *   only with --accept-host-key naming its fingerprint.
 * Throws VALIDATION naming what to set when nothing usable is there.
 */
export function destinationFromEnv(config: DestinationConfig, env: NodeJS.ProcessEnv, options: UrlCredentialOptions = {}): ResolvedDestination {
  switch (config.kind) {
    case 'local':
      return { config, openOptions: {} };
    case 's3':
      return s3FromEnv(config, env);
    case 'azure':
      return azureFromEnv(config, env);
    case 'sftp':
      return sftpFromEnv(config, env, options);
  }
}

function s3FromEnv(config: S3DestinationConfig, env: NodeJS.ProcessEnv): ResolvedDestination {
  const out: S3DestinationConfig = { ...config };
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (endpoint) {
    let host: string;
    try {
      const parsed = new URL(endpoint);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
      host = parsed.hostname;
    } catch {
      throw new AppError('VALIDATION', { detail: `AWS_ENDPOINT_URL must be a URL like https://s3.example.com or http://127.0.0.1:9000, not "${endpoint}"` });
    }
    out.endpoint = endpoint;
    // MinIO and other self-hosted servers need path-style requests; AWS itself takes either
    out.forcePathStyle = !/(^|\.)amazonaws\.com(\.cn)?$/i.test(host);
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region) out.region = region;
  const keyId = env.AWS_ACCESS_KEY_ID;
  const secretKey = env.AWS_SECRET_ACCESS_KEY;
  if (keyId && !secretKey) throw new AppError('VALIDATION', { detail: 'AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY: set both, or neither (then AWS_PROFILE or ~/.aws/credentials)' });
  if (keyId && secretKey && !env.AWS_SESSION_TOKEN) {
    out.credentials = 'keychain';
    out.accessKeyId = keyId;
    out.profile = undefined;
    return { config: out, openOptions: { secret: secretKey } };
  }
  // a session token (temporary credentials) or a profile: the SDK's own chain reads them
  out.credentials = 'aws-chain';
  out.accessKeyId = undefined;
  out.profile = env.AWS_PROFILE || undefined;
  return { config: out, openOptions: {} };
}

/** The well-known account and key of the Azure Storage emulator (Azurite), public by design. */
const DEVELOPMENT_STORAGE = {
  AccountName: 'devstoreaccount1',
  AccountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  BlobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1',
};

/** `Key=Value;Key=Value` as Azure writes connection strings (a value may hold `=`). */
export function parseConnectionString(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    fields[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  if (/^true$/i.test(fields.UseDevelopmentStorage ?? '')) return { ...DEVELOPMENT_STORAGE, ...fields };
  return fields;
}

function azureFromEnv(config: AzureDestinationConfig, env: NodeJS.ProcessEnv): ResolvedDestination {
  const out: AzureDestinationConfig = { ...config };
  const connection = env.AZURE_STORAGE_CONNECTION_STRING;
  let account: string | undefined;
  let key: string | undefined;
  let sas: string | undefined;
  let endpoint: string | undefined;
  let from: string;
  if (connection) {
    const fields = parseConnectionString(connection);
    from = 'AZURE_STORAGE_CONNECTION_STRING';
    account = fields.AccountName;
    key = fields.AccountKey;
    sas = fields.SharedAccessSignature;
    endpoint = fields.BlobEndpoint;
    if (!endpoint && (fields.EndpointSuffix || (fields.DefaultEndpointsProtocol && fields.DefaultEndpointsProtocol !== 'https'))) {
      endpoint = `${fields.DefaultEndpointsProtocol || 'https'}://${config.account}.blob.${fields.EndpointSuffix || 'core.windows.net'}`;
    }
  } else {
    from = 'AZURE_STORAGE_ACCOUNT';
    account = env.AZURE_STORAGE_ACCOUNT;
    key = env.AZURE_STORAGE_KEY;
    sas = env.AZURE_STORAGE_SAS_TOKEN;
    endpoint = env.AZURE_STORAGE_BLOB_ENDPOINT;
  }
  if (account && account !== config.account) {
    throw new AppError('VALIDATION', { detail: `${from} is for the storage account "${account}", the URL names "${config.account}": use the URL of that account, or its credentials` });
  }
  if (endpoint) {
    try {
      const parsed = new URL(endpoint);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new AppError('VALIDATION', { detail: `the blob endpoint must be a URL like https://account.blob.core.windows.net or http://127.0.0.1:10000/account, not "${endpoint}"` });
    }
    out.endpoint = endpoint.replace(/\/+$/, '');
  }
  if (key) {
    out.auth = 'key';
    return { config: out, openOptions: { secret: key } };
  }
  if (sas) {
    out.auth = 'sas';
    return { config: out, openOptions: { secret: sas.replace(/^\?/, '') } };
  }
  throw new AppError('VALIDATION', {
    detail: `no credentials for the storage account "${config.account}": set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN`,
  });
}

const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

function sftpFromEnv(config: SftpDestinationConfig, env: NodeJS.ProcessEnv, options: UrlCredentialOptions): ResolvedDestination {
  const out: SftpDestinationConfig = { ...config };
  const home = options.homeDir ?? (env.HOME || os.homedir());
  const openOptions: OpenDestinationOptions = {};
  if (options.acceptHostKey !== undefined) {
    const fingerprint = z.string().trim().pipe(hostKeyFingerprintSchema).safeParse(options.acceptHostKey);
    if (!fingerprint.success) {
      throw new AppError('VALIDATION', { detail: `--accept-host-key takes the SHA256:... fingerprint ssh-keygen -l prints (SHA256: and 43 characters), not "${options.acceptHostKey}"` });
    }
    openOptions.acceptHostKey = fingerprint.data;
  }
  openOptions.knownHostsFile = env.LIFEBOAT_SSH_KNOWN_HOSTS || path.join(home, '.ssh', 'known_hosts');
  const keyFile = options.sshKey ?? (env.LIFEBOAT_SSH_KEY || undefined);
  if (keyFile) {
    const what = options.sshKey !== undefined ? '--ssh-key' : 'LIFEBOAT_SSH_KEY';
    const file = path.resolve(keyFile);
    if (!fs.existsSync(file)) throw new AppError('VALIDATION', { detail: `${what} names ${file}, which does not exist: give the private key file (e.g. ~/.ssh/id_ed25519)` });
    out.auth = 'key';
    openOptions.privateKeyFile = file;
    if (env.LIFEBOAT_SSH_KEY_PASSPHRASE) openOptions.secret = env.LIFEBOAT_SSH_KEY_PASSPHRASE;
    return { config: out, openOptions };
  }
  if (env.LIFEBOAT_SSH_PASSWORD) {
    out.auth = 'password';
    openOptions.secret = env.LIFEBOAT_SSH_PASSWORD;
    return { config: out, openOptions };
  }
  out.auth = 'key';
  if (env.SSH_AUTH_SOCK) openOptions.agentSocket = env.SSH_AUTH_SOCK;
  const found = DEFAULT_KEY_NAMES.map((name) => path.join(home, '.ssh', name)).find((file) => fs.existsSync(file));
  if (found) {
    openOptions.privateKeyFile = found;
    if (env.LIFEBOAT_SSH_KEY_PASSPHRASE) openOptions.secret = env.LIFEBOAT_SSH_KEY_PASSPHRASE;
  }
  if (!found && !openOptions.agentSocket) {
    throw new AppError('VALIDATION', {
      detail: `no way to log in to ${config.host}: give --ssh-key FILE (or set LIFEBOAT_SSH_KEY), set LIFEBOAT_SSH_PASSWORD, or start an ssh agent (SSH_AUTH_SOCK); no ~/.ssh/${DEFAULT_KEY_NAMES.join(', ~/.ssh/')} was found`,
    });
  }
  return { config: out, openOptions };
}
