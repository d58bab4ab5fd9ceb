/**
 * A plan's copies (3-2-1, issue #15) on the command line: `lifeboat plan create` / `plan edit`
 * take `--copy <folder-or-url>` (repeatable) and, after each, the `--copy-*` options that apply to
 * the copy given just before them:
 *
 *   --copy /mnt/usb --copy-read-back
 *   --copy s3://acme/lifeboat --copy-endpoint https://s3.eu-central-003.backblazeb2.com --copy-region eu-central-003
 *          --copy-access-key-id 003abc... --copy-secret-from env:B2_SECRET
 *   --copy sftp://backup@files.example:2222/srv/backups --copy-key-file /etc/lifeboat/id_ed25519 --copy-host-key SHA256:...
 *
 * No secret is ever given: `--copy-secret-from env:NAME | file:/path` names where the copy's
 * secret (the S3 secret key, the Azure key or SAS token, the SFTP password or key passphrase)
 * comes from when the plan runs (plans/secret-refs.ts resolves `dest:<plan>:<copy>` from it).
 * `plan edit --remove-copy <id-or-url>` removes one (`all`: every copy); a `--copy` whose place the
 * plan already has replaces that copy (it keeps its id). Copies get the ids copy1, copy2, ...
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  destinationSchema,
  destinationUrl,
  hostKeyFingerprintSchema,
  type DestinationConfig,
  type DestinationInput,
  type DestinationKind,
} from '../../shared/destination';
import { AppError } from '../../shared/errors';
import { secretRefSchema, type PlanDefinition, type PlanInput, type SecretRef } from '../../shared/plan';
import { DESTINATION_URL_FORMS, isDestinationUrl, parseDestinationUrl } from '../core/destinations/url';
import { checkSecretRef, normalizeSecretRef } from './plan-secrets';

/** One occurrence of a copy flag, with its place among all of them (the copy it follows). */
export interface TaggedValue {
  value: string;
  at: number;
}

/** What commander collects for the copy flags. */
export interface PlanCopyFlags {
  copy?: TaggedValue[];
  copyLabel?: TaggedValue[];
  copyEndpoint?: TaggedValue[];
  copyRegion?: TaggedValue[];
  copyStorageClass?: TaggedValue[];
  copyAccessKeyId?: TaggedValue[];
  copyProfile?: TaggedValue[];
  copyAuth?: TaggedValue[];
  copySecretFrom?: TaggedValue[];
  copyReadBack?: TaggedValue[];
  copyHostKey?: TaggedValue[];
  copyKeyFile?: TaggedValue[];
  removeCopy?: string[];
}

/** The options that apply to the --copy before them: flag, commander key, the kinds they apply to. */
const COPY_SETTINGS = [
  { flag: '--copy-label', key: 'copyLabel', kinds: ['local', 's3', 'azure', 'sftp'] },
  { flag: '--copy-endpoint', key: 'copyEndpoint', kinds: ['s3', 'azure'] },
  { flag: '--copy-region', key: 'copyRegion', kinds: ['s3'] },
  { flag: '--copy-storage-class', key: 'copyStorageClass', kinds: ['s3'] },
  { flag: '--copy-access-key-id', key: 'copyAccessKeyId', kinds: ['s3'] },
  { flag: '--copy-profile', key: 'copyProfile', kinds: ['s3'] },
  { flag: '--copy-auth', key: 'copyAuth', kinds: ['azure', 'sftp'] },
  { flag: '--copy-secret-from', key: 'copySecretFrom', kinds: ['s3', 'azure', 'sftp'] },
  { flag: '--copy-read-back', key: 'copyReadBack', kinds: ['local', 's3', 'azure', 'sftp'] },
  { flag: '--copy-host-key', key: 'copyHostKey', kinds: ['sftp'] },
  { flag: '--copy-key-file', key: 'copyKeyFile', kinds: ['sftp'] },
] as const satisfies readonly { flag: string; key: keyof PlanCopyFlags; kinds: readonly DestinationKind[] }[];

type SettingKey = (typeof COPY_SETTINGS)[number]['key'];

// the order the copy flags were given in: commander calls the parsers left to right
let sequence = 0;
function tagged(value: string | undefined, previous: TaggedValue[] | undefined): TaggedValue[] {
  return [...(previous ?? []), { value: value ?? '', at: ++sequence }];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const KIND_NAMES: Record<DestinationKind, string> = { local: 'a folder', s3: 'an s3:// copy', azure: 'an azure:// copy', sftp: 'an sftp:// copy' };

/** Adds the copy options to `plan create` or `plan edit`. */
export function addPlanCopyOptions(command: Command, mode: 'create' | 'edit'): Command {
  const c = command
    .option(
      '--copy <folder-or-url>',
      'a copy of each backup at another place (3-2-1; repeatable): a folder, s3://bucket/prefix, azure://account/container/prefix or ' +
        `sftp://user@host[:port]/path; the --copy-* options after it apply to it${mode === 'edit' ? '; one whose place the plan has replaces that copy' : ''}`,
      tagged,
    )
    .option('--copy-label <text>', 'the name History and the Dashboard show for the copy before it (default: its URL)', tagged)
    .option('--copy-endpoint <url>', 'S3: the endpoint of another service than AWS (MinIO, B2, Wasabi, R2, GCS: https://storage.googleapis.com); Azure: the blob endpoint (default https://<account>.blob.core.windows.net)', tagged)
    .option('--copy-region <region>', 'S3: the bucket\'s region (default us-east-1; R2 and GCS: auto)', tagged)
    .option('--copy-storage-class <class>', 'S3: the storage class, e.g. STANDARD_IA, GLACIER_IR (default: the bucket\'s)', tagged)
    .option('--copy-access-key-id <id>', 'S3: the access key id, whose secret key --copy-secret-from names (without it: the AWS chain of the process that runs the plan: AWS_* variables, ~/.aws)', tagged)
    .option('--copy-profile <name>', 'S3 without --copy-access-key-id: the profile of ~/.aws/credentials to use', tagged)
    .option('--copy-auth <how>', 'Azure: key (the account key, the default) or sas (a SAS token); SFTP: key (--copy-key-file, the default) or password', tagged)
    .option(
      '--copy-secret-from <ref>',
      "where the copy's secret comes from when the plan runs: env:NAME or file:/path (S3: the secret key; Azure: the account key or SAS token; SFTP: the password, or the key file's passphrase)",
      tagged,
    )
    .option('--copy-read-back', 'after each upload, read the copy back and compare its SHA-256 (costs a download)', tagged)
    .option('--copy-host-key <fingerprint>', 'SFTP: the server\'s host key, SHA256:... (ssh-keyscan -p PORT HOST | ssh-keygen -lf - prints it); another key is refused', tagged)
    .option('--copy-key-file <file>', 'SFTP: the private key file to log in with', tagged);
  if (mode === 'edit') {
    c.option('--remove-copy <id-or-url>', 'remove a copy, by its id (plan show lists them) or URL; all: every copy (repeatable)', collect);
  }
  return c;
}

/** A copy as the flags describe it, before it is checked. */
interface CopySpec {
  text: string;
  at: number;
  settings: Partial<Record<SettingKey, string>>;
}

/** Each --copy with the --copy-* options given after it (and before the next --copy). */
function copySpecs(f: PlanCopyFlags): CopySpec[] {
  const copies = [...(f.copy ?? [])].sort((a, b) => a.at - b.at);
  const specs: CopySpec[] = copies.map((c) => ({ text: c.value, at: c.at, settings: {} }));
  for (const { flag, key } of COPY_SETTINGS) {
    for (const given of f[key] ?? []) {
      const owner = [...specs].reverse().find((s) => s.at < given.at);
      if (!owner) throw new AppError('VALIDATION', { detail: `${flag} applies to the --copy before it: give --copy <folder-or-url> first` });
      if (owner.settings[key] !== undefined) throw new AppError('VALIDATION', { detail: `${flag} is given twice for the copy ${owner.text}: give it once after each --copy` });
      owner.settings[key] = given.value;
    }
  }
  return specs;
}

/** A secret reference for a copy: env:NAME or file:/path (made absolute). */
function copySecretRef(text: string): SecretRef {
  const ref = normalizeSecretRef(text.trim());
  if (ref === 'keychain' || !secretRefSchema.safeParse(ref).success) {
    throw new AppError('VALIDATION', {
      detail: `--copy-secret-from "${text}": give env:NAME or file:/path (the lifeboat command stores no secret; the app's Destinations section can keep one in its keychain)`,
    });
  }
  return ref;
}

function httpUrl(text: string, flag: string, example: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new AppError('VALIDATION', { detail: `${flag} takes a URL like ${example}, not "${text}"` });
}

/** The destination a --copy and its options describe (not yet given its id), with the notes to show. */
function copyFromSpec(spec: CopySpec, env: NodeJS.ProcessEnv, notes: string[]): DestinationInput {
  const s = spec.settings;
  const text = spec.text.trim();
  if (text === '') throw new AppError('VALIDATION', { detail: '--copy takes a folder or a URL (s3://, azure://, sftp://), not an empty value' });
  let config: DestinationConfig;
  if (isDestinationUrl(text)) {
    const parsed = parseDestinationUrl(text);
    if (parsed.key !== null) {
      throw new AppError('VALIDATION', { detail: `--copy ${text} names one backup (.lifeboat); a copy is a place for backups: give its prefix or folder, e.g. ${text.replace(/\/[^/]*$/, '')}` });
    }
    config = { ...parsed.config, id: 'new' };
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new AppError('VALIDATION', { detail: `--copy "${text}": give a folder or ${Object.values(DESTINATION_URL_FORMS).join(', ')} (without the backup's name)` });
  } else {
    config = { id: 'new', kind: 'local', path: path.resolve(text), readBack: false, hasSecret: false };
  }
  const kind = config.kind;
  for (const { flag, key, kinds } of COPY_SETTINGS) {
    if (s[key] !== undefined && !(kinds as readonly DestinationKind[]).includes(kind)) {
      throw new AppError('VALIDATION', { detail: `${flag} applies to ${kinds.map((k) => KIND_NAMES[k]).join(' or ')}, not to ${KIND_NAMES[kind]} (--copy ${text})` });
    }
  }
  const secretFrom = s.copySecretFrom !== undefined ? copySecretRef(s.copySecretFrom) : undefined;
  const common: Partial<DestinationInput> = {
    ...(s.copyLabel?.trim() ? { label: s.copyLabel.trim() } : {}),
    readBack: s.copyReadBack !== undefined,
    hasSecret: false,
    ...(secretFrom ? { secretFrom } : {}),
  };
  let out: DestinationInput;
  switch (config.kind) {
    case 'local':
      out = { ...config, ...common, kind: 'local' };
      break;
    case 's3': {
      const endpoint = s.copyEndpoint !== undefined ? httpUrl(s.copyEndpoint, '--copy-endpoint', 'https://s3.example.com or http://127.0.0.1:9000') : undefined;
      // MinIO and other self-hosted servers need path-style requests; AWS itself takes either
      const forcePathStyle = endpoint !== undefined && !/(^|\.)amazonaws\.com(\.cn)?$/i.test(new URL(endpoint).hostname);
      const accessKeyId = s.copyAccessKeyId?.trim();
      if (accessKeyId && !secretFrom) {
        throw new AppError('VALIDATION', {
          detail: `--copy ${text}: --copy-access-key-id needs its secret key named: --copy-secret-from env:NAME or file:/path (or leave both out for the AWS chain: AWS_* variables, ~/.aws)`,
        });
      }
      if (secretFrom && !accessKeyId) {
        throw new AppError('VALIDATION', {
          detail: `--copy ${text}: --copy-secret-from names the secret key of an access key id: give --copy-access-key-id too (or leave both out for the AWS chain: AWS_* variables, ~/.aws)`,
        });
      }
      if (accessKeyId && s.copyProfile !== undefined) {
        throw new AppError('VALIDATION', { detail: `--copy ${text}: --copy-profile is for the AWS chain; give it or --copy-access-key-id, not both` });
      }
      out = {
        ...config,
        ...common,
        kind: 's3',
        ...(endpoint ? { endpoint, forcePathStyle } : {}),
        ...(s.copyRegion?.trim() ? { region: s.copyRegion.trim() } : {}),
        ...(s.copyStorageClass?.trim() ? { storageClass: s.copyStorageClass.trim() } : {}),
        credentials: accessKeyId ? 'keychain' : 'aws-chain',
        ...(accessKeyId ? { accessKeyId } : {}),
        ...(s.copyProfile?.trim() ? { profile: s.copyProfile.trim() } : {}),
      };
      break;
    }
    case 'azure': {
      const auth = s.copyAuth?.trim().toLowerCase() ?? 'key';
      if (auth !== 'key' && auth !== 'sas') throw new AppError('VALIDATION', { detail: `--copy-auth of an azure:// copy is key or sas, not "${s.copyAuth}"` });
      if (!secretFrom) {
        throw new AppError('VALIDATION', {
          detail: `--copy ${text}: name where the ${auth === 'sas' ? 'SAS token' : 'account key'} comes from: --copy-secret-from env:NAME or file:/path`,
        });
      }
      const endpoint = s.copyEndpoint !== undefined ? httpUrl(s.copyEndpoint, '--copy-endpoint', 'https://account.blob.core.windows.net or http://127.0.0.1:10000/account') : undefined;
      out = { ...config, ...common, kind: 'azure', auth, ...(endpoint ? { endpoint } : {}) };
      break;
    }
    case 'sftp': {
      const auth = s.copyAuth?.trim().toLowerCase() ?? 'key';
      if (auth !== 'key' && auth !== 'password') throw new AppError('VALIDATION', { detail: `--copy-auth of an sftp:// copy is key or password, not "${s.copyAuth}"` });
      if (auth === 'password' && !secretFrom) {
        throw new AppError('VALIDATION', { detail: `--copy ${text}: name where the password comes from: --copy-secret-from env:NAME or file:/path` });
      }
      if (auth === 'password' && s.copyKeyFile !== undefined) throw new AppError('VALIDATION', { detail: `--copy ${text}: give --copy-key-file or --copy-auth password, not both` });
      if (auth === 'key' && !s.copyKeyFile?.trim()) {
        throw new AppError('VALIDATION', {
          detail: `--copy ${text}: give the private key file to log in with: --copy-key-file FILE (its passphrase, if any, by --copy-secret-from), or --copy-auth password with --copy-secret-from`,
        });
      }
      if (s.copyHostKey === undefined) {
        throw new AppError('VALIDATION', {
          detail: `--copy ${text}: pin the server's host key: --copy-host-key SHA256:... (ssh-keyscan -p ${config.port} ${config.host} | ssh-keygen -lf - prints it; compare it with ssh-keygen -lf on the server)`,
        });
      }
      const hostKey = hostKeyFingerprintSchema.safeParse(s.copyHostKey.trim());
      if (!hostKey.success) {
        throw new AppError('VALIDATION', { detail: `--copy-host-key takes the SHA256:... fingerprint ssh-keygen -l prints (SHA256: and 43 characters), not "${s.copyHostKey}"` });
      }
      const keyFile = auth === 'key' ? path.resolve(s.copyKeyFile!.trim()) : undefined;
      if (keyFile && !fs.existsSync(keyFile)) notes.push(`the key file ${keyFile} of the copy ${text} does not exist yet; it must when the plan runs`);
      out = { ...config, ...common, kind: 'sftp', auth, hostKey: hostKey.data, ...(keyFile ? { keyFile } : {}) };
      break;
    }
  }
  if (secretFrom) {
    const warning = checkSecretRef(secretFrom, env, `the secret of the copy ${text}`);
    if (warning) notes.push(warning);
  }
  return out;
}

/** The place a copy names, to match copies (the folder, or its URL). */
const placeOf = (dest: DestinationInput | DestinationConfig): string => destinationUrl(destinationSchema.parse(dest));

/** The place a --copy or --remove-copy value names (a folder made absolute), or null when it does not parse. */
function placeOfText(text: string): string | null {
  const t = text.trim();
  if (!isDestinationUrl(t)) return path.resolve(t);
  try {
    return destinationUrl(parseDestinationUrl(t).config);
  } catch {
    return null;
  }
}

/** The copies in one line each, for messages: `copy1 (s3://bucket/prefix)`. */
function listed(copies: DestinationConfig[]): string {
  return copies.length ? copies.map((c) => `${c.id} (${destinationUrl(c)})`).join(', ') : 'none';
}

/**
 * `input` (built from the other flags) with the copies the flags give: `existing`'s copies less
 * those --remove-copy names, then each --copy (replacing a copy of the same place, keeping its
 * id; a new one gets the first free copyN). VALIDATION naming the flag and the fix.
 */
export function applyPlanCopyFlags(input: PlanInput, existing: PlanDefinition | null, f: PlanCopyFlags, env: NodeJS.ProcessEnv, notes: string[]): PlanInput {
  const specs = copySpecs(f);
  const removals = f.removeCopy ?? [];
  if (!specs.length && !removals.length) return input;
  let copies: DestinationInput[] = [...(existing?.options.copies ?? [])];
  for (const text of removals) {
    const t = text.trim();
    if (t.toLowerCase() === 'all') {
      copies = [];
      continue;
    }
    const place = placeOfText(t);
    const found = copies.find((c) => c.id === t) ?? copies.find((c) => place !== null && placeOf(c) === place);
    if (!found) {
      throw new AppError('VALIDATION', {
        detail: `--remove-copy "${text}": the plan has no such copy; give the id or URL of one of its copies: ${listed((existing?.options.copies ?? []) as DestinationConfig[])}`,
      });
    }
    copies = copies.filter((c) => c !== found);
  }
  const primary = input.options?.destination ? path.resolve(input.options.destination) : null;
  const given = new Set<string>();
  for (const spec of specs) {
    const copy = copyFromSpec(spec, env, notes);
    const place = placeOf(copy);
    if (given.has(place)) throw new AppError('VALIDATION', { detail: `two --copy options name ${place}: give each place once` });
    given.add(place);
    if (copy.kind === 'local' && primary !== null && path.resolve(copy.path) === primary) {
      throw new AppError('VALIDATION', { detail: `--copy ${spec.text} is the plan's own destination (--out ${primary}); a copy goes to another folder or a remote` });
    }
    const same = copies.findIndex((c) => placeOf(c) === place);
    if (same >= 0) copies[same] = { ...copy, id: copies[same]!.id };
    else copies.push(copy);
  }
  const taken = new Set(copies.map((c) => c.id));
  let n = 1;
  copies = copies.map((c) => {
    if (c.id !== 'new') return c;
    while (taken.has(`copy${n}`)) n++;
    taken.add(`copy${n}`);
    return { ...c, id: `copy${n}` };
  });
  if (copies.length > 8) throw new AppError('VALIDATION', { detail: `a plan keeps at most 8 copies, these flags give it ${copies.length}: remove some with --remove-copy` });
  return { ...input, options: { ...input.options!, copies } };
}

/** The flag that sets a field of a copy, for validation messages. */
export function copyFlagOf(field: string): string | undefined {
  return field.startsWith('options.copies') ? '--copy and its --copy-* options' : undefined;
}

/** How a copy finds its secret, never the secret. */
function secretSource(copy: DestinationConfig, what: string): string {
  if (copy.secretFrom && copy.secretFrom !== 'keychain') return `${what} from ${copy.secretFrom}`;
  return copy.hasSecret ? `${what} from the app keychain` : `no ${what} stored`;
}

/** What a copy is and how it logs in, in one parenthesis. */
function describeCopy(copy: DestinationConfig): string {
  const readBack = `read back: ${copy.readBack ? 'yes' : 'no'}`;
  switch (copy.kind) {
    case 'local':
      return `folder; ${readBack}`;
    case 's3': {
      const where = [
        `S3 at ${copy.endpoint ?? 'AWS'}`,
        `region ${copy.region}`,
        ...(copy.forcePathStyle ? ['path-style'] : []),
        ...(copy.storageClass ? [`storage class ${copy.storageClass}`] : []),
      ].join(', ');
      const credentials =
        copy.credentials === 'keychain'
          ? `access key id ${copy.accessKeyId ?? '(none)'}, ${secretSource(copy, 'secret key')}`
          : `credentials from the AWS chain of the process that runs the plan (AWS_* variables, ~/.aws${copy.profile ? `, profile ${copy.profile}` : ''})`;
      return `${where}; ${readBack}; ${credentials}`;
    }
    case 'azure':
      return `Azure Blob at ${copy.endpoint ?? `https://${copy.account}.blob.core.windows.net`}; ${readBack}; ${secretSource(copy, copy.auth === 'sas' ? 'SAS token' : 'account key')}`;
    case 'sftp': {
      const login =
        copy.auth === 'password'
          ? secretSource(copy, 'password')
          : `key file ${copy.keyFile ?? '(none)'}${copy.secretFrom || copy.hasSecret ? `, its ${secretSource(copy, 'passphrase')}` : ''}`;
      return `SFTP; ${readBack}; ${login}; ${copy.hostKey ? `host key ${copy.hostKey}` : 'host key not pinned (pin it with --copy-host-key, or Test in the app)'}`;
    }
  }
}

/** `plan show` lines for the copies. */
export function describePlanCopies(copies: DestinationConfig[]): string[] {
  if (!copies.length) return ['  copies:       none (add one with plan edit --copy <folder-or-url>)'];
  return copies.map((copy) => `  copy ${copy.id}: ${destinationUrl(copy)}${copy.label ? ` "${copy.label}"` : ''} (${describeCopy(copy)})`);
}
