/**
 * Honest answers for damaged and crafted files: a format 3 header checks its own SHA-256, so any
 * change to it is FILE_CORRUPT before a passphrase is tried; a header that asks for a costlier key
 * derivation than Lifeboat writes is refused at once unless allowed; bytes after the end of a
 * complete file are damage, not truncation. Format 1 and 2 files (no header hash) still open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { BackupReader } from '../../../src/main/core/archive/reader';
import {
  FORMAT_VERSION,
  KDF_LIMITS,
  OpenContainer,
  SealStream,
  readContainerHeader,
  setExpensiveKdfAllowed,
  type KdfSetting,
} from '../../../src/main/core/crypto/container';
import { forgetDerivedKeys, keyDerivationStats } from '../../../src/main/core/crypto/keys';
import { appErrorOf, rewriteHeader } from '../../support/container-files';
import { makeTempDir } from '../../support/temp-core';

const FAST_KDF: KdfSetting = { name: 'argon2id', m: 64, t: 1, p: 1 };
const FIXTURES = path.join(__dirname, '../../fixtures');
const CHUNK = 4096;
const PASS = 'right passphrase';
const payload = crypto.randomBytes(CHUNK * 3 + 500);
const dirs: string[] = [];
afterEach(() => {
  setExpensiveKdfAllowed(false);
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function tempDir(): string {
  const dir = makeTempDir('lifeboat-header-');
  dirs.push(dir);
  return dir;
}

async function seal(passphrase: string | null, kdf: KdfSetting = FAST_KDF): Promise<string> {
  const file = path.join(tempDir(), 'b.lifeboat');
  const sealer = await SealStream.create({ backupId: 'id-1', app: 'test', passphrase, chunkSize: CHUNK, kdf });
  await pipeline(Readable.from([payload]), sealer, fs.createWriteStream(file));
  return file;
}

function copyFixture(name: string): string {
  const file = path.join(tempDir(), name);
  fs.copyFileSync(path.join(FIXTURES, name), file);
  return file;
}

async function readAll(file: string, passphrase: string | null, options?: { allowExpensiveKdf?: boolean }): Promise<Buffer> {
  const c = await OpenContainer.open(file, passphrase, options);
  try {
    return await c.read(0, c.size);
  } finally {
    await c.close();
  }
}

/** Replaces one character of a base64 field of the header in place (no header hash recomputed). */
function damageField(file: string, field: 'salt' | 'keyCheck' | 'noncePrefix'): void {
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(`"${field}":"`) + field.length + 4;
  bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41; // 'A' <-> 'B': still base64, another value
  fs.writeFileSync(file, bytes);
}

describe('a key derivation more expensive than Lifeboat writes', () => {
  const crafted: [string, Record<string, unknown>][] = [
    ['Argon2id m = 1 GiB, t = 64', { name: 'argon2id', m: 1024 * 1024, t: 64, p: 4 }],
    ['scrypt N = 2^20, r = 8', { name: 'scrypt', N: 2 ** 20, r: 8, p: 1 }],
  ];

  it.each(crafted)('%s is refused in well under a second, as FILE_CORRUPT naming --allow-expensive-kdf', async (_label, kdf) => {
    // format 3 (header hash recomputed: the header is intact, it asks for this) and format 2 (no hash)
    const files = [await seal(PASS), copyFixture('format2-argon2id.lifeboat')];
    for (const file of files) {
      await rewriteHeader(file, (h) => {
        const encryption = h.encryption as { kdf: Record<string, unknown> };
        encryption.kdf = { ...kdf, salt: encryption.kdf.salt };
      });
      forgetDerivedKeys();
      const before = keyDerivationStats.count;
      const started = performance.now();
      const error = await appErrorOf(OpenContainer.open(file, PASS));
      expect(performance.now() - started).toBeLessThan(500);
      expect(error.code).toBe('FILE_CORRUPT');
      expect(error.message).toMatch(/unusually expensive key derivation/);
      expect(error.message).toContain('--allow-expensive-kdf');
      expect(keyDerivationStats.count).toBe(before);
      // also without a passphrase: the refusal comes first
      expect((await appErrorOf(OpenContainer.open(file, null))).code).toBe('FILE_CORRUPT');
    }
  });

  it('limits at 4x the memory and passes of what any version wrote; the 1 GiB hard cap stays even when allowed', async () => {
    expect(KDF_LIMITS).toEqual({ argon2id: { m: 128 * 1024, t: 12, p: 16 }, scrypt: { memoryBytes: 128 * 1024 ** 2, p: 12 } });
    const file = await seal(PASS);
    await rewriteHeader(file, (h) => {
      const encryption = h.encryption as { kdf: Record<string, unknown> };
      encryption.kdf = { name: 'argon2id', m: 2 * 1024 * 1024, t: 1, p: 4, salt: encryption.kdf.salt };
    });
    const before = keyDerivationStats.count;
    const error = await appErrorOf(OpenContainer.open(file, PASS, { allowExpensiveKdf: true }));
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toMatch(/out-of-range encryption or key derivation/);
    expect(keyDerivationStats.count).toBe(before);
  });

  it('is accepted with allowExpensiveKdf (per open, through BackupReader, or process-wide) and its key derived', async () => {
    // a real file sealed with 256 MiB, one pass: above the limit, yet quick to derive
    const file = await seal(PASS, { name: 'argon2id', m: 256 * 1024, t: 1, p: 4 });
    forgetDerivedKeys();
    const refused = await appErrorOf(OpenContainer.open(file, PASS));
    expect(refused.message).toContain('--allow-expensive-kdf');
    expect((await appErrorOf(BackupReader.open(file, PASS))).message).toContain('--allow-expensive-kdf');

    const before = keyDerivationStats.count;
    expect((await readAll(file, PASS, { allowExpensiveKdf: true })).equals(payload)).toBe(true);
    expect(keyDerivationStats.count).toBe(before + 1);
    // the payload is no zip: BackupReader got past the key derivation and fails on the archive
    expect((await appErrorOf(BackupReader.open(file, PASS, { allowExpensiveKdf: true }))).message).toMatch(/archive structure/);

    setExpensiveKdfAllowed(true);
    expect((await readAll(file, PASS)).equals(payload)).toBe(true);
    // an explicit option wins over the process-wide switch
    expect((await appErrorOf(OpenContainer.open(file, PASS, { allowExpensiveKdf: false }))).message).toContain('--allow-expensive-kdf');
  });

  it('the settings Lifeboat writes and wrote stay below the limit', async () => {
    const file = await seal(PASS);
    for (const kdf of [
      { name: 'argon2id', m: 32 * 1024, t: 3, p: 4 },
      { name: 'argon2id', m: 128 * 1024, t: 12, p: 16 },
      { name: 'scrypt', N: 2 ** 15, r: 8, p: 3 },
      { name: 'scrypt', N: 2 ** 17, r: 8, p: 12 },
    ]) {
      await rewriteHeader(file, (h) => {
        const encryption = h.encryption as { kdf: Record<string, unknown> };
        encryption.kdf = { ...kdf, salt: encryption.kdf.salt };
      });
      // not refused for its cost: without a passphrase the open stops just after the cost check
      const error = await appErrorOf(OpenContainer.open(file, null));
      expect(error.code).toBe('PASSPHRASE_REQUIRED');
    }
  });
});

describe('a damaged format 3 header', () => {
  it('writes format 3: the header length counts the JSON and its SHA-256, which ends the header', async () => {
    const file = await seal(PASS);
    const bytes = fs.readFileSync(file);
    const { header, headerBytes } = await readContainerHeader(file);
    expect(FORMAT_VERSION).toBe(3);
    expect(header.format).toBe(3);
    expect(bytes.readUInt16BE(8)).toBe(3);
    expect(headerBytes).toBe(14 + bytes.readUInt32BE(10));
    const hash = crypto.createHash('sha256').update(bytes.subarray(0, headerBytes - 32)).digest();
    expect(bytes.subarray(headerBytes - 32, headerBytes).equals(hash)).toBe(true);
    expect(JSON.parse(bytes.subarray(14, headerBytes - 32).toString('utf8'))).toEqual(header);
  });

  it.each(['salt', 'keyCheck', 'noncePrefix'] as const)('a changed %s is FILE_CORRUPT (the header is damaged), not a wrong passphrase', async (field) => {
    const file = await seal(PASS);
    damageField(file, field);
    forgetDerivedKeys();
    const before = keyDerivationStats.count;
    const error = await appErrorOf(OpenContainer.open(file, PASS));
    expect(error.code).toBe('FILE_CORRUPT');
    expect(error.message).toContain('the file header is damaged');
    expect(keyDerivationStats.count).toBe(before);
    // readContainerHeader (no passphrase) says the same
    expect((await appErrorOf(readContainerHeader(file))).code).toBe('FILE_CORRUPT');
  });

  it('format 1 and 2 files, which have no header hash, keep telling a changed salt as a wrong passphrase', async () => {
    for (const [name, passphrase] of [
      ['format1-scrypt.lifeboat', 'format one passphrase'],
      ['format2-argon2id.lifeboat', 'passphrase caf\u0065\u0301 \u03a9'],
    ]) {
      const file = copyFixture(name!);
      damageField(file, 'salt');
      expect((await appErrorOf(OpenContainer.open(file, passphrase!))).code).toBe('WRONG_PASSPHRASE');
    }
  });

  it.each([
    ['encrypted', PASS],
    ['unencrypted', null],
  ])('any flipped bit of any header byte is FILE_CORRUPT, never a wrong passphrase or another file (%s)', async (_label, passphrase) => {
    const file = await seal(passphrase);
    const bytes = fs.readFileSync(file);
    const { headerBytes } = await readContainerHeader(file);
    forgetDerivedKeys();
    const before = keyDerivationStats.count;
    const wrong: string[] = [];
    for (let at = 0; at < headerBytes; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(bytes);
        copy[at]! ^= 1 << bit;
        fs.writeFileSync(file, copy);
        const error = await appErrorOf(OpenContainer.open(file, passphrase));
        if (error.code !== 'FILE_CORRUPT') wrong.push(`byte ${at} bit ${bit}: ${error.code}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(keyDerivationStats.count).toBe(before);
  });

  it('an intact format 3 file opens; a wrong passphrase on it is WRONG_PASSPHRASE', async () => {
    const file = await seal(PASS);
    forgetDerivedKeys();
    expect((await readAll(file, PASS)).equals(payload)).toBe(true);
    expect((await appErrorOf(OpenContainer.open(file, 'not the passphrase'))).code).toBe('WRONG_PASSPHRASE');
  });

  it('a newer format is UNSUPPORTED_VERSION; a version field that disagrees with the header is damage', async () => {
    const file = await seal(PASS);
    const bytes = fs.readFileSync(file);
    await rewriteHeader(file, (h) => (h.format = FORMAT_VERSION + 1), FORMAT_VERSION + 1);
    expect((await appErrorOf(OpenContainer.open(file, PASS))).code).toBe('UNSUPPORTED_VERSION');
    for (const version of [0, 2, FORMAT_VERSION + 1, 0x0103]) {
      const copy = Buffer.from(bytes);
      copy.writeUInt16BE(version, 8);
      fs.writeFileSync(file, copy);
      const error = await appErrorOf(OpenContainer.open(file, PASS));
      expect(error.code, `version ${version}`).toBe('FILE_CORRUPT');
      expect(error.message).toContain('the file header is damaged');
    }
  });

  it('damaged magic bytes are FILE_CORRUPT; a file that is no backup stays NOT_A_BACKUP', async () => {
    const file = await seal(PASS);
    const bytes = fs.readFileSync(file);
    bytes[0] = 0x4b; // 'L' -> 'K'
    fs.writeFileSync(file, bytes);
    expect((await appErrorOf(OpenContainer.open(file, PASS))).message).toContain('the file header is damaged');
    const other = path.join(tempDir(), 'notes.lifeboat');
    fs.writeFileSync(other, 'LIFEBOAX and more text that is not a backup at all');
    expect((await appErrorOf(OpenContainer.open(other, PASS))).code).toBe('NOT_A_BACKUP');
  });
});

describe('the end of the file', () => {
  const files = async (): Promise<[string, string | null][]> => [
    [await seal(PASS), PASS],
    [await seal(null), null],
    [copyFixture('format1-scrypt.lifeboat'), 'format one passphrase'],
    [copyFixture('format2-argon2id.lifeboat'), 'passphrase caf\u0065\u0301 \u03a9'],
  ];

  it('bytes appended after a complete file are FILE_CORRUPT ("data after the end"), formats 1 to 3', async () => {
    for (const [file, passphrase] of await files()) {
      const bytes = fs.readFileSync(file);
      const trailer = bytes.subarray(bytes.length - 16);
      const appendices = [Buffer.alloc(1), Buffer.alloc(15), Buffer.alloc(16), crypto.randomBytes(17), crypto.randomBytes(5000), trailer, bytes];
      for (const extra of appendices) {
        fs.writeFileSync(file, Buffer.concat([bytes, extra]));
        const error = await appErrorOf(OpenContainer.open(file, passphrase));
        expect(error.code, `${path.basename(file)} + ${extra.length} bytes`).toBe('FILE_CORRUPT');
        expect(error.message).toContain(`${extra.length} bytes of data after the end of the backup`);
      }
      fs.writeFileSync(file, bytes);
      expect((await readAll(file, passphrase)).length).toBeGreaterThan(0);
    }
  });

  it('a truncated file is still FILE_TRUNCATED, formats 1 to 3', async () => {
    for (const [file, passphrase] of await files()) {
      const bytes = fs.readFileSync(file);
      const { headerBytes } = await readContainerHeader(file);
      for (const length of [bytes.length - 1, bytes.length - 8, bytes.length - 16, bytes.length - 17, headerBytes + 100, headerBytes + 16, headerBytes - 5, 20]) {
        fs.writeFileSync(file, bytes.subarray(0, length));
        const error = await appErrorOf(OpenContainer.open(file, passphrase));
        expect(error.code, `${path.basename(file)} cut to ${length} of ${bytes.length}`).toBe('FILE_TRUNCATED');
      }
    }
  });

  it('the format 1 and 2 fixtures still open and hold their payload', async () => {
    forgetDerivedKeys();
    const one = await readAll(path.join(FIXTURES, 'format1-scrypt.lifeboat'), 'format one passphrase');
    expect(one.equals(fs.readFileSync(path.join(FIXTURES, 'format1-scrypt.payload.txt')))).toBe(true);
    const two = await readAll(path.join(FIXTURES, 'format2-argon2id.lifeboat'), 'passphrase caf\u0065\u0301 \u03a9');
    expect(two.equals(fs.readFileSync(path.join(FIXTURES, 'format2-argon2id.payload.txt')))).toBe(true);
  });
});
