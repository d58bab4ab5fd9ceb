/**
 * Key derivation from a passphrase (Argon2id for new files, scrypt for format 1) and the
 * process-wide cache of derived keys. Kept apart from the container's chunk format: this is the
 * only code that turns a passphrase into keys.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { hashRaw as argon2Raw, type Algorithm, type Version } from '@node-rs/argon2';

/** Argon2id: m KiB of memory, t passes, p lanes (version 0x13); or scrypt (format 1 files). */
export type KdfSetting = { name: 'argon2id'; m: number; t: number; p: number } | { name: 'scrypt'; N: number; r: number; p: number };
/** A KdfSetting with its salt (16 random bytes, base64), as the header stores it */
export type KdfParams = KdfSetting & { salt: string };

const scryptAsync = promisify(crypto.scrypt) as (
  password: crypto.BinaryLike,
  salt: crypto.BinaryLike,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** the Argon2id variant and version 0x13 (const enums of @node-rs/argon2's typings) */
const ARGON2ID = 2 as Algorithm;
const ARGON2_VERSION_0X13 = 1 as Version;

export interface Keys {
  dataKey: Buffer;
  keyCheck: Buffer;
}

export async function deriveKeys(passphrase: string, kdf: KdfParams): Promise<Keys> {
  const salt = Buffer.from(kdf.salt, 'base64');
  const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  keyDerivationStats.count++;
  const master =
    kdf.name === 'argon2id'
      ? await argon2Raw(secret, { algorithm: ARGON2ID, version: ARGON2_VERSION_0X13, salt, memoryCost: kdf.m, timeCost: kdf.t, parallelism: kdf.p, outputLen: 32 })
      : await scryptAsync(secret, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 });
  secret.fill(0);
  const dataKey = Buffer.from(crypto.hkdfSync('sha256', master, salt, 'lifeboat data v1', 32));
  const keyCheck = crypto.createHmac('sha256', master).update('lifeboat key check').digest().subarray(0, 16);
  master.fill(0);
  return { dataKey, keyCheck };
}

/**
 * Keys derived in this process, so that a file opened again soon (the CLI reads the manifest and
 * then restores; the app previews, then restores; a backup is verified right after it was
 * written) pays the deliberate key derivation cost once. An entry is found by an HMAC, under a random
 * key of this process, of the file's KDF parameters and salt and the passphrase: the passphrase
 * itself is not kept. Only keys that passed the key check are kept, for ten minutes, at most 32.
 */
const KEY_CACHE_TTL_MS = 10 * 60 * 1000;
const KEY_CACHE_MAX = 32;
const keyCacheSecret = crypto.randomBytes(32);
const keyCache = new Map<string, { keys: Keys; at: number }>();
/** How many key derivations this process ran (tests check the cache with it). */
export const keyDerivationStats = { count: 0 };

/** Drops every cached key (the next open derives again). */
export function forgetDerivedKeys(): void {
  keyCache.clear();
}

function keyCacheId(passphrase: string, kdf: KdfParams): string {
  const params = kdf.name === 'argon2id' ? [kdf.name, kdf.m, kdf.t, kdf.p, kdf.salt] : [kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt];
  return crypto
    .createHmac('sha256', keyCacheSecret)
    .update(JSON.stringify(params))
    .update('\0')
    .update(passphrase.normalize('NFC'))
    .digest('base64');
}

export function cachedKeys(passphrase: string, kdf: KdfParams): Keys | null {
  const id = keyCacheId(passphrase, kdf);
  const hit = keyCache.get(id);
  if (!hit) return null;
  if (Date.now() - hit.at > KEY_CACHE_TTL_MS) {
    keyCache.delete(id);
    return null;
  }
  return hit.keys;
}

export function rememberKeys(passphrase: string, kdf: KdfParams, keys: Keys): void {
  const now = Date.now();
  for (const [id, entry] of keyCache) if (now - entry.at > KEY_CACHE_TTL_MS) keyCache.delete(id);
  while (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(keyCacheId(passphrase, kdf), { keys, at: now });
}
