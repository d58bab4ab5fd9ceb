/**
 * Secrets (database passwords, backup passphrases) encrypted by the OS keychain through
 * Electron's safeStorage and kept, as ciphertext only, in `<dataDir>/secrets.json`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SafeStorage } from 'electron';
import { AppError } from '../../shared/errors';
import type { SecretStore } from '../core/ports';

/** The part of safeStorage this store uses; index.ts passes Electron's, tests a fake. */
export type SecretCipher = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

interface SecretsFile {
  version: 1;
  /** key → base64 of safeStorage ciphertext */
  entries: Record<string, string>;
}

export const SECRETS_FILE = 'secrets.json';

/**
 * A SecretStore backed by safeStorage. Refuses to work (KEYCHAIN_UNAVAILABLE) rather than fall
 * back to plain text when no keychain is available. Writes are serialised and atomic (temp file,
 * fsync, rename) with owner-only permissions, so a crash never leaves a half-written file.
 */
export class SafeStorageSecretStore implements SecretStore {
  private readonly file: string;
  private entries: Map<string, string> | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly cipher: SecretCipher,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.file = path.join(dataDir, SECRETS_FILE);
  }

  async get(key: string): Promise<string | null> {
    return this.serial(async () => {
      const encrypted = (await this.load()).get(key);
      if (encrypted === undefined) return null;
      this.assertAvailable();
      try {
        return this.cipher.decryptString(Buffer.from(encrypted, 'base64'));
      } catch (cause) {
        // the keyring was reset or the file came from another user/machine: the value is lost
        throw new AppError('KEYCHAIN_UNAVAILABLE', {
          detail: `the stored secret ${key} cannot be decrypted with this keychain; enter it again`,
          cause,
        });
      }
    });
  }

  async set(key: string, value: string): Promise<void> {
    await this.serial(async () => {
      this.assertAvailable();
      const entries = await this.load();
      const encrypted = this.cipher.encryptString(value).toString('base64');
      const next = new Map(entries).set(key, encrypted);
      await this.save(next);
      this.entries = next;
    });
  }

  async delete(key: string): Promise<void> {
    await this.serial(async () => {
      const entries = await this.load();
      if (!entries.has(key)) return;
      const next = new Map(entries);
      next.delete(key);
      await this.save(next);
      this.entries = next;
    });
  }

  /** Runs operations one after another so that concurrent sets never lose each other's write. */
  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation, operation);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private assertAvailable(): void {
    if (!this.cipher.isEncryptionAvailable()) {
      throw new AppError('KEYCHAIN_UNAVAILABLE', { detail: 'safeStorage reports that encryption is not available' });
    }
    // on Linux without a keyring Chromium "encrypts" with a hard-coded key: that is plain text
    if (this.platform === 'linux' && this.cipher.getSelectedStorageBackend?.() === 'basic_text') {
      throw new AppError('KEYCHAIN_UNAVAILABLE', { detail: 'no keyring found, only the insecure basic_text backend' });
    }
  }

  private async load(): Promise<Map<string, string>> {
    if (this.entries) return this.entries;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return (this.entries = new Map());
      throw error;
    }
    let parsed: Partial<SecretsFile>;
    try {
      parsed = JSON.parse(text) as Partial<SecretsFile>;
    } catch (cause) {
      throw new AppError('INTERNAL', { detail: `${this.file} is not valid JSON`, cause });
    }
    const entries = new Map<string, string>();
    for (const [key, value] of Object.entries(parsed.entries ?? {})) {
      if (typeof value === 'string') entries.set(key, value);
    }
    return (this.entries = entries);
  }

  private async save(entries: Map<string, string>): Promise<void> {
    const body: SecretsFile = { version: 1, entries: Object.fromEntries(entries) };
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temp, this.file);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    // rename keeps the temp file's 0600, but an older file may have been created looser
    await fs.chmod(this.file, 0o600).catch(() => undefined);
  }
}
