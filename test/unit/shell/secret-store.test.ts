import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// a type-only import of electron inside: this loads under plain Node without the Electron binary
import { SafeStorageSecretStore, SECRETS_FILE, type SecretCipher } from '../../../src/main/shell/secret-store';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir } from '../../support/temp-core';

/** A reversible stand-in for safeStorage that is visibly not plain text. */
function fakeCipher(overrides: Partial<SecretCipher> = {}): SecretCipher {
  return {
    isEncryptionAvailable: () => true,
    encryptString: (text) => Buffer.from(`enc:${Buffer.from(text).reverse().toString('hex')}`),
    decryptString: (buffer) => {
      const text = buffer.toString();
      if (!text.startsWith('enc:')) throw new Error('bad ciphertext');
      return Buffer.from(text.slice(4), 'hex').reverse().toString();
    },
    getSelectedStorageBackend: () => 'gnome_libsecret',
    ...overrides,
  };
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = makeTempDir();
  dirs.push(dir);
  return dir;
}

describe('SafeStorageSecretStore', () => {
  it('round-trips secrets across instances and never writes plain text', async () => {
    const dir = tempDir();
    const store = new SafeStorageSecretStore(dir, fakeCipher(), 'linux');
    await store.set('db:plan-1:src-1', 'hunter2-very-secret');
    await store.set('passphrase:plan-1', 'correct horse');
    expect(await store.get('db:plan-1:src-1')).toBe('hunter2-very-secret');

    const file = path.join(dir, SECRETS_FILE);
    const raw = fs.readFileSync(file, 'utf8');
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('correct horse');
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const reopened = new SafeStorageSecretStore(dir, fakeCipher(), 'linux');
    expect(await reopened.get('passphrase:plan-1')).toBe('correct horse');
    expect(await reopened.get('missing')).toBeNull();
  });

  it('deletes, and keeps concurrent writes', async () => {
    const dir = tempDir();
    const store = new SafeStorageSecretStore(dir, fakeCipher(), 'linux');
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    await store.delete('k3');
    await store.delete('never-set');
    const reopened = new SafeStorageSecretStore(dir, fakeCipher(), 'linux');
    expect(await reopened.get('k3')).toBeNull();
    expect(await reopened.get('k9')).toBe('v9');
  });

  it('refuses to store anything when the keychain is unavailable', async () => {
    const dir = tempDir();
    const store = new SafeStorageSecretStore(dir, fakeCipher({ isEncryptionAvailable: () => false }), 'linux');
    const error = await store.set('k', 'secret').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('KEYCHAIN_UNAVAILABLE');
    expect((error as AppError).message).toMatch(/gnome-keyring or KWallet/);
    expect((error as AppError).message).not.toContain('secret');
    expect(fs.existsSync(path.join(dir, SECRETS_FILE))).toBe(false);
  });

  it("treats Linux's basic_text backend (a hard-coded key) as no keychain", async () => {
    const dir = tempDir();
    const store = new SafeStorageSecretStore(dir, fakeCipher({ getSelectedStorageBackend: () => 'basic_text' }), 'linux');
    await expect(store.set('k', 'v')).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
  });

  it('reports a secret the keychain can no longer decrypt, naming the key only', async () => {
    const dir = tempDir();
    await new SafeStorageSecretStore(dir, fakeCipher(), 'linux').set('db:p:s', 'pw');
    const other = fakeCipher({
      decryptString: () => {
        throw new Error('keyring changed');
      },
    });
    const error = (await new SafeStorageSecretStore(dir, other, 'linux').get('db:p:s').catch((e: unknown) => e)) as AppError;
    expect(error.code).toBe('KEYCHAIN_UNAVAILABLE');
    expect(error.message).toContain('db:p:s');
  });
});
