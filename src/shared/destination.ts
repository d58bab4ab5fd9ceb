/**
 * Off-site destinations of a plan's copies (3-2-1): S3-compatible object storage, Azure Blob
 * Storage, SFTP, or another local folder. Zod schemas shared by main (IPC validation) and the
 * renderer (the editor's Destinations section). Pure: no node, no electron.
 *
 * A destination never holds a secret: the S3 secret key, the Azure account key or SAS token and
 * the SFTP password or key passphrase live in the keychain under `dest:<planId>:<destinationId>`
 * (`hasSecret` says one is stored), or come from a reference (`secretFrom`: env:NAME, file:/path).
 */
import { z } from 'zod';
import { secretRefSchema } from './secret-ref';

export const DESTINATION_KINDS = ['local', 's3', 'azure', 'sftp'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

const id = z.string().min(1).max(64);
/** a key prefix inside a bucket, container or remote folder: no leading slash, no `..` */
const prefix = z
  .string()
  .max(512)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$)).*$/, 'Use a prefix like backups/lifeboat, without a leading / or ..')
  .default('');

const common = {
  id,
  /** a name the user gives it, shown in History and the Dashboard; default: its URL */
  label: z.string().trim().max(120).optional(),
  /** after each upload, read the object back and compare its SHA-256 (costs a download) */
  readBack: z.boolean().default(false),
  /** true when the keychain holds this destination's secret; the secret never is here */
  hasSecret: z.boolean().default(false),
  /** where the secret comes from when not from the keychain (env:NAME, file:/path) */
  secretFrom: secretRefSchema.optional(),
};

export const localDestinationSchema = z.object({
  ...common,
  kind: z.literal('local'),
  path: z.string().min(1).max(4096),
});

export const s3DestinationSchema = z.object({
  ...common,
  kind: z.literal('s3'),
  /** empty: AWS itself; else the endpoint of MinIO, B2, Wasabi, R2, GCS (https://storage.googleapis.com) */
  endpoint: z.string().url().max(1024).optional(),
  region: z.string().min(1).max(64).default('us-east-1'),
  bucket: z.string().min(1).max(255),
  prefix,
  /** path-style URLs (https://host/bucket/key): MinIO and most self-hosted servers need it */
  forcePathStyle: z.boolean().default(false),
  /** STANDARD, STANDARD_IA, GLACIER_IR, ...; empty: the bucket's default */
  storageClass: z.string().max(64).optional(),
  /**
   * 'keychain': the access key id below and the secret key from the keychain (or secretFrom);
   * 'aws-chain': the standard AWS chain (AWS_* environment, ~/.aws/credentials, AWS_PROFILE)
   */
  credentials: z.enum(['keychain', 'aws-chain']).default('aws-chain'),
  accessKeyId: z.string().max(256).optional(),
  /** a named profile of ~/.aws/credentials for 'aws-chain' */
  profile: z.string().max(128).optional(),
});

export const azureDestinationSchema = z.object({
  ...common,
  kind: z.literal('azure'),
  account: z.string().min(1).max(64),
  container: z.string().min(1).max(63),
  prefix,
  /** empty: https://<account>.blob.core.windows.net; else e.g. Azurite's http://127.0.0.1:10000/<account> */
  endpoint: z.string().url().max(1024).optional(),
  /** 'key': the account key from the keychain; 'sas': a SAS token from the keychain */
  auth: z.enum(['key', 'sas']).default('key'),
});

/** `SHA256:` + 43 base64 characters without padding, as ssh-keygen -l prints it */
export const hostKeyFingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'Use the SHA256:... fingerprint ssh-keygen -l prints');

export const sftpDestinationSchema = z.object({
  ...common,
  kind: z.literal('sftp'),
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).max(128),
  /** the remote folder; absolute or relative to the user's home */
  path: z.string().min(1).max(4096),
  /** 'key': a private key file (its passphrase, if any, is the secret); 'password': the secret is the password */
  auth: z.enum(['key', 'password']).default('key'),
  keyFile: z.string().max(4096).optional(),
  /** the server's host key, pinned when the user accepted it; a different key is refused */
  hostKey: hostKeyFingerprintSchema.optional(),
});

export const destinationSchema = z.discriminatedUnion('kind', [
  localDestinationSchema,
  s3DestinationSchema,
  azureDestinationSchema,
  sftpDestinationSchema,
]);
export type DestinationConfig = z.infer<typeof destinationSchema>;
export type DestinationInput = z.input<typeof destinationSchema>;
export type S3DestinationConfig = z.infer<typeof s3DestinationSchema>;
export type AzureDestinationConfig = z.infer<typeof azureDestinationSchema>;
export type SftpDestinationConfig = z.infer<typeof sftpDestinationSchema>;
export type LocalDestinationConfig = z.infer<typeof localDestinationSchema>;

/** Whether a destination is off the machine (a local folder, even on a mounted share, is not counted). */
export function isOffSite(kind: DestinationKind): boolean {
  return kind !== 'local';
}

/** The URL of a destination's root, never with a secret: s3://bucket/prefix, azure://account/container/prefix, sftp://user@host:port/path, or the folder. */
export function destinationUrl(config: DestinationConfig): string {
  const join = (...parts: string[]) => parts.filter((p) => p !== '').join('/').replace(/\/{2,}/g, '/');
  switch (config.kind) {
    case 'local':
      return config.path;
    case 's3':
      return `s3://${join(config.bucket, config.prefix)}`;
    case 'azure':
      return `azure://${join(config.account, config.container, config.prefix)}`;
    case 'sftp': {
      const port = config.port === 22 ? '' : `:${config.port}`;
      const path = config.path.startsWith('/') ? config.path : `/~/${config.path}`;
      return `sftp://${config.user}@${config.host}${port}${path}`;
    }
  }
}

/** What a destination's upload result was, as History and the Dashboard show it. */
export const COPY_STATUSES = ['uploaded', 'verified', 'failed', 'deleted'] as const;
export type CopyStatus = (typeof COPY_STATUSES)[number];

/** One copy of one backup at one destination, as the catalog records it. */
export interface BackupCopy {
  backupId: string;
  destinationId: string;
  kind: DestinationKind;
  /** the destination's URL (destinationUrl) and the object's full URL; never a secret */
  destinationUrl: string;
  url: string;
  /** the object's key relative to the destination's root */
  key: string;
  status: CopyStatus;
  sizeBytes: number | null;
  sha256: string | null;
  uploadedAt: string | null;
  verifiedAt: string | null;
  /** the last failure's message (already secret-free), null when it went well */
  error: string | null;
  attempts: number;
}

/** One step of a destination's Test (destinations/test): connect, write a small object, read it back, delete it. */
export interface DestinationTestStep {
  step: 'connect' | 'write' | 'read' | 'delete';
  ok: boolean;
  ms: number;
  /** what went wrong (an AppError's message, secret-free), null when the step passed */
  message: string | null;
}

export interface DestinationTestResult {
  url: string;
  ok: boolean;
  /** the steps run, in order; the first failure ends the test */
  steps: DestinationTestStep[];
  /**
   * SFTP: the server's host key. `unknown`: no key is pinned yet — the editor shows the
   * fingerprint and pins it (the destination's hostKey) once the user accepts it; `changed`: it
   * differs from the pinned one and was refused.
   */
  hostKey: { fingerprint: string; status: 'pinned' | 'unknown' | 'changed' } | null;
}

/** Whether a plan's newest backup has a verified copy off the machine (the Dashboard, the off-site alert). */
export interface PlanOffsiteStatus {
  planId: string;
  planName: string;
  /** the plan names at least one off-site destination among its copies */
  configured: boolean;
  newestBackupId: string | null;
  newestBackupAt: string | null;
  /**
   * 'verified': at least one off-site copy of the newest backup was uploaded and checked;
   * 'uploaded': uploaded, not checked yet; 'pending': no copy yet (the upload runs or will be retried);
   * 'failed': every off-site copy of it failed; 'not-configured': the plan has no off-site copy; 'no-backup'
   */
  state: 'verified' | 'uploaded' | 'pending' | 'failed' | 'not-configured' | 'no-backup';
  /** since when the plan has had no verified off-site copy of its newest backup (null when it has one) */
  unprotectedSince: string | null;
  copies: BackupCopy[];
}
