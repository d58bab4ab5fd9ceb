import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl, readPassphrase } from '../../../src/main/cli/args';
import { parseServerUrl } from '../../../src/main/cli/restore-commands';
import { redactUrl } from '../../../src/main/core/postgres/redact';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir } from '../../support/temp-core';

/** The error `fn` throws (fails the test when it throws none). */
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an error');
}

/*
 * Every password holds SECRET around characters that break a URL, so that a message showing even
 * part of one (the piece after a `/`, say) is caught.
 */
const NASTY_URLS = [
  'postgres://ann:SECRET/one@db:5432/shop',
  'postgres://ann:SECRET@two@db/shop',
  'postgres://ann:SECRET#three@db/shop',
  'postgres://ann:SECRET?four@db/shop',
  'postgres://ann:SECRET%five@db/shop',
  'postgres://ann:SECRET%zzsix@db/shop',
  'postgres://ann:SECRET:seven@db/shop',
  'postgres://ann:SECRET eight@db/shop',
  'postgres://ann:SECRET/a@b#c?d%e:f g@db:5432/shop?sslmode=disable',
  'postgres://ann:SECRET@db:99999/shop',
  'postgres://ann:SECRET@db:port/shop',
  'postgres://ann:SECRET/x@db:-1/shop',
  'postgres://ann:SECRET@/shop',
  'postgres://ann:SECRET@:5432/shop',
  'postgres://ann:SECRET/nine',
  'postgres://ann:SECRET',
  'postgres://ann:SECRET/x@[::1/shop',
  'postgresql://ann:SECRET#x@db/shop',
  'postgres:/ann:SECRET@db/shop',
  'ann:SECRET@db/shop',
  'mysql://ann:SECRET/x@db/shop',
  'postgres://ann@db/shop?password=SECRET',
  'postgres://ann@db:99999/shop?sslmode=disable&password=SECRET/x',
  'postgres://ann@db/shop?sslpassword=SECRET',
];

describe('--db URLs: no message ever shows the password', () => {
  it.each(NASTY_URLS)('%s', (url) => {
    const error = thrown(() => parseDatabaseUrl(url, 'db1'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).not.toContain('SECRET');
    const server = thrown(() => parseServerUrl(url, {}));
    expect(server.message).not.toContain('SECRET');
  });

  it('still shows what is not secret, so that the user can see the mistake', () => {
    expect(thrown(() => parseDatabaseUrl('postgres://ann:SECRET/x@db:99999/shop', 'db1')).message).toContain('"postgres://ann:***@db:99999/shop"');
    expect(thrown(() => parseDatabaseUrl('postgres://ann@db:99999/shop', 'db1')).message).toContain('"postgres://ann@db:99999/shop"');
    expect(thrown(() => parseDatabaseUrl('postgres://ann:SECRET@db/shop', 'db1')).message).toMatch(/PGPASSWORD/);
  });

  it('redacts what may be a password and keeps host:port', () => {
    expect(redactUrl('postgres://ann:p/w@d#x?y%z:q s@db:5432/shop')).toBe('postgres://ann:***@db:5432/shop');
    expect(redactUrl('postgres://db:5432/shop')).toBe('postgres://db:5432/shop');
    expect(redactUrl('postgres://ann:pass/word')).toBe('postgres://ann:***');
    expect(redactUrl('postgres://ann@db/shop?sslmode=require&password=x/y&application_name=a')).toBe(
      'postgres://ann@db/shop?sslmode=require&password=***&application_name=a',
    );
  });

  it('still parses a good URL', () => {
    expect(parseDatabaseUrl('postgres://ann@db.local:5433/shop?sslmode=require', 'db1')).toMatchObject({
      host: 'db.local',
      port: 5433,
      user: 'ann',
      database: 'shop',
      sslMode: 'require',
    });
  });
});

describe('readPassphrase', () => {
  const dir = makeTempDir('lifeboat-args-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function passphraseFile(name: string, text: string, mode: number): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    fs.chmodSync(file, mode);
    return file;
  }

  it.skipIf(process.platform === 'win32')('refuses a file other users may open, naming the chmod that fixes it', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      const file = passphraseFile(`open-${mode.toString(8)}`, 'a long enough passphrase\n', mode);
      const error = thrown(() => readPassphrase(file, {}));
      expect(error.code).toBe('PASSPHRASE_FILE_UNSAFE');
      expect(error.message).toContain(`chmod 600 ${file}`);
      expect(error.message).not.toContain('a long enough passphrase');
      // reading a backup is no reason to accept it either
      expect(thrown(() => readPassphrase(file, {}, 'decrypt')).code).toBe('PASSPHRASE_FILE_UNSAFE');
    }
    expect(readPassphrase(passphraseFile('private', 'a long enough passphrase\nignored', 0o600), {})).toBe('a long enough passphrase');
    expect(readPassphrase(passphraseFile('read-only', 'a long enough passphrase', 0o400), {})).toBe('a long enough passphrase');
  });

  it('refuses a passphrase under 8 characters for encrypting, from a file or LIFEBOAT_PASSPHRASE', () => {
    const short = passphraseFile('short', 'seven77\n', 0o600);
    expect(thrown(() => readPassphrase(short, {})).code).toBe('PASSPHRASE_TOO_SHORT');
    expect(thrown(() => readPassphrase(undefined, { LIFEBOAT_PASSPHRASE: 'seven77' })).code).toBe('PASSPHRASE_TOO_SHORT');
    // counted in characters, not bytes
    expect(thrown(() => readPassphrase(undefined, { LIFEBOAT_PASSPHRASE: '⚓⚓⚓⚓⚓⚓⚓' })).code).toBe('PASSPHRASE_TOO_SHORT');
    expect(readPassphrase(undefined, { LIFEBOAT_PASSPHRASE: '⚓⚓⚓⚓⚓⚓⚓⚓' })).toBe('⚓⚓⚓⚓⚓⚓⚓⚓');
    expect(readPassphrase(undefined, {})).toBeNull();
    // an existing backup made with a shorter one can still be opened
    expect(readPassphrase(short, {}, 'decrypt')).toBe('seven77');
  });
});
