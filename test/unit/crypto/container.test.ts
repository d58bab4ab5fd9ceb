import { afterEach, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { DEFAULT_KDF, FORMAT_VERSION, OpenContainer, SealStream, readContainerHeader } from '../../../src/main/core/crypto/container';
import { forgetDerivedKeys, keyDerivationStats } from '../../../src/main/core/crypto/keys';
import { AppError } from '../../../src/shared/errors';
import { rewriteHeader as editHeader } from '../../support/container-files';
import { makeTempDir } from '../../support/temp-core';

const FAST_KDF = { name: 'argon2id', m: 64, t: 1, p: 1 } as const;
const FIXTURES = path.join(__dirname, '../../fixtures');
const CHUNK = 4096;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function seal(payload: Buffer, passphrase: string | null, chunkSize = CHUNK): Promise<string> {
  const dir = makeTempDir('lifeboat-crypto-');
  dirs.push(dir);
  const file = path.join(dir, 'b.lifeboat');
  const sealer = await SealStream.create({ backupId: 'id-1', app: 'test', passphrase, chunkSize, kdf: FAST_KDF });
  // feed in odd-sized pieces so chunk boundaries fall inside writes
  const pieces: Buffer[] = [];
  for (let i = 0; i < payload.length; i += 1000) pieces.push(payload.subarray(i, i + 1000));
  await pipeline(Readable.from(pieces), sealer, fs.createWriteStream(file));
  return file;
}

async function readAll(file: string, passphrase: string | null): Promise<Buffer> {
  const c = await OpenContainer.open(file, passphrase);
  try {
    const parts: Buffer[] = [];
    for await (const part of c.createReadStream()) parts.push(part as Buffer);
    return Buffer.concat(parts);
  } finally {
    await c.close();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
  return 'no error';
}

describe('container', () => {
  const payload = crypto.randomBytes(CHUNK * 5 + 123);

  it.each([
    ['encrypted', 'correct horse battery'],
    ['unencrypted', null],
  ])('round-trips a payload (%s), including empty and exact-multiple sizes', async (_label, pass) => {
    for (const p of [payload, Buffer.alloc(0), crypto.randomBytes(CHUNK * 3)]) {
      const file = await seal(p, pass);
      expect((await readAll(file, pass)).equals(p)).toBe(true);
    }
  });

  it('encrypts: the plaintext does not appear in the file, and the header names the KDF', async () => {
    const text = Buffer.from('SECRET-ROW-CONTENT '.repeat(500));
    const file = await seal(text, 'pw-123456');
    expect(fs.readFileSync(file).includes(Buffer.from('SECRET-ROW-CONTENT'))).toBe(false);
    const { header } = await readContainerHeader(file);
    expect(header.encryption?.kdf).toMatchObject(FAST_KDF);
    expect(Buffer.from(header.encryption!.kdf.salt, 'base64')).toHaveLength(16);
    expect(JSON.stringify(header)).not.toContain('pw-123456');
  });

  it('reads any range without reading from the start', async () => {
    const file = await seal(payload, 'pw-123456');
    const c = await OpenContainer.open(file, 'pw-123456');
    expect((await c.read(CHUNK * 2 - 10, 30)).equals(payload.subarray(CHUNK * 2 - 10, CHUNK * 2 + 20))).toBe(true);
    expect((await c.read(payload.length - 5, 100)).equals(payload.subarray(payload.length - 5))).toBe(true);
    await c.close();
  });

  it.each([
    ['encrypted', 'correct horse battery'],
    ['unencrypted', null],
  ])('chunks read at once or one after another keep their own bytes (%s; read buffers are reused)', async (_label, pass) => {
    const file = await seal(payload, pass);
    const c = await OpenContainer.open(file, pass);
    try {
      const expected = (i: number) => payload.subarray(i * CHUNK, (i + 1) * CHUNK);
      const together = await Promise.all([0, 1, 2].map((i) => c.readChunk(i)));
      const later = [await c.readChunk(3), await c.readChunk(4), await c.readChunk(5)];
      // the first three were not overwritten by the reads that came after them
      together.forEach((chunk, i) => expect(chunk.equals(expected(i))).toBe(true));
      later.forEach((chunk, i) => expect(chunk.equals(expected(i + 3))).toBe(true));
    } finally {
      await c.close();
    }
  });

  it('tells a wrong passphrase from damage, and requires one for an encrypted file', async () => {
    const file = await seal(payload, 'right passphrase');
    expect(await codeOf(OpenContainer.open(file, 'wrong passphrase'))).toBe('WRONG_PASSPHRASE');
    expect(await codeOf(OpenContainer.open(file, null))).toBe('PASSPHRASE_REQUIRED');
  });

  it.each([
    ['encrypted', 'pw-123456'],
    ['unencrypted', null],
  ])('detects a flipped bit anywhere in the payload (%s)', async (_label, pass) => {
    const file = await seal(payload, pass);
    const bytes = fs.readFileSync(file);
    const { headerBytes } = await readContainerHeader(file);
    for (const offset of [headerBytes, headerBytes + CHUNK + 7, bytes.length - 17]) {
      const copy = Buffer.from(bytes);
      copy[offset] ^= 0x01;
      fs.writeFileSync(file, copy);
      expect(await codeOf(readAll(file, pass))).toBe('FILE_CORRUPT');
    }
  });

  it('scan hands over every chunk in order; authenticateChunks checks only the chunks asked for', async () => {
    const file = await seal(payload, 'pw-123456');
    const c = await OpenContainer.open(file, 'pw-123456');
    const seen: Buffer[] = [];
    const offsets: number[] = [];
    const digest = await c.scan({
      onPlain: (plain, offset) => {
        seen.push(Buffer.from(plain));
        offsets.push(offset);
      },
    });
    await c.close();
    expect(Buffer.concat(seen).equals(payload)).toBe(true);
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * CHUNK));
    expect(digest).toBe(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'));

    // damage chunk 2: only a check that includes it fails
    const { headerBytes } = await readContainerHeader(file);
    const bytes = fs.readFileSync(file);
    bytes[headerBytes + 2 * (CHUNK + 16) + 100] ^= 0x40;
    fs.writeFileSync(file, bytes);
    const damaged = await OpenContainer.open(file, 'pw-123456');
    try {
      expect(await damaged.authenticateChunks((i) => i !== 2)).toBe(5);
      expect(await codeOf(damaged.authenticateChunks((i) => i >= 2))).toBe('FILE_CORRUPT');
      expect(await codeOf(damaged.scan())).toBe('FILE_CORRUPT');
    } finally {
      await damaged.close();
    }
  });

  it('derives a key once per file and passphrase in a process; a wrong passphrase is never kept', async () => {
    const file = await seal(payload, 'cached passphrase');
    const before = keyDerivationStats.count;
    // sealing kept the key it derived: opening the new file derives nothing
    await (await OpenContainer.open(file, 'cached passphrase')).close();
    expect(keyDerivationStats.count).toBe(before);
    // a wrong passphrase derives (and fails) every time
    expect(await codeOf(OpenContainer.open(file, 'wrong passphrase'))).toBe('WRONG_PASSPHRASE');
    expect(await codeOf(OpenContainer.open(file, 'wrong passphrase'))).toBe('WRONG_PASSPHRASE');
    expect(keyDerivationStats.count).toBe(before + 2);
    // the same passphrase in another Unicode form is the same passphrase
    const nfd = 'caf\u0065\u0301';
    const other = await seal(payload, nfd);
    expect(keyDerivationStats.count).toBe(before + 3);
    const c = await OpenContainer.open(other, 'caf\u00e9');
    expect((await c.read(0, 10)).equals(payload.subarray(0, 10))).toBe(true);
    await c.close();
    expect(keyDerivationStats.count).toBe(before + 3);
    // once forgotten, the next open derives again and still reads
    forgetDerivedKeys();
    expect((await readAll(file, 'cached passphrase')).equals(payload)).toBe(true);
    expect(keyDerivationStats.count).toBe(before + 4);
  });

  it('detects an edited header', async () => {
    const file = await seal(payload, null);
    const bytes = fs.readFileSync(file);
    const edited = Buffer.from(bytes.toString('latin1').replace('"backupId":"id-1"', '"backupId":"id-2"'), 'latin1');
    fs.writeFileSync(file, edited);
    expect(await codeOf(readAll(file, null))).toBe('FILE_CORRUPT');
  });

  it('detects truncation, at a chunk boundary or inside a chunk', async () => {
    const file = await seal(payload, 'pw-123456');
    const bytes = fs.readFileSync(file);
    const { headerBytes } = await readContainerHeader(file);
    for (const length of [bytes.length - 1, bytes.length - 16, headerBytes + 2 * (CHUNK + 16), 10]) {
      fs.writeFileSync(file, bytes.subarray(0, length));
      const code = await codeOf(readAll(file, 'pw-123456'));
      expect(['FILE_TRUNCATED', 'NOT_A_BACKUP']).toContain(code);
      if (length > headerBytes) expect(code).toBe('FILE_TRUNCATED');
    }
  });

  it('detects dropped chunks even when the trailer is rewritten to match', async () => {
    const file = await seal(payload, 'pw-123456');
    const bytes = fs.readFileSync(file);
    const { headerBytes } = await readContainerHeader(file);
    // drop the last full chunk and the final one, then forge a trailer claiming 4 full chunks
    const kept = bytes.subarray(0, headerBytes + 4 * (CHUNK + 16));
    const trailer = Buffer.alloc(16);
    Buffer.from('LBFOOTER').copy(trailer);
    trailer.writeBigUInt64BE(BigInt(4 * CHUNK), 8);
    fs.writeFileSync(file, Buffer.concat([kept, trailer]));
    expect(await codeOf(readAll(file, 'pw-123456'))).toBe('FILE_CORRUPT');
  });

  it('detects reordered chunks', async () => {
    const file = await seal(payload, 'pw-123456');
    const bytes = fs.readFileSync(file);
    const { headerBytes } = await readContainerHeader(file);
    const size = CHUNK + 16;
    const a = bytes.subarray(headerBytes, headerBytes + size);
    const b = bytes.subarray(headerBytes + size, headerBytes + 2 * size);
    const swapped = Buffer.concat([bytes.subarray(0, headerBytes), b, a, bytes.subarray(headerBytes + 2 * size)]);
    fs.writeFileSync(file, swapped);
    expect(await codeOf(readAll(file, 'pw-123456'))).toBe('FILE_CORRUPT');
  });

  it('writes Argon2id (32 MiB, 3 passes, 4 lanes) by default', async () => {
    const dir = makeTempDir('lifeboat-crypto-');
    dirs.push(dir);
    const file = path.join(dir, 'default.lifeboat');
    const sealer = await SealStream.create({ backupId: 'id-d', app: 'test', passphrase: 'default kdf' });
    await pipeline(Readable.from([payload]), sealer, fs.createWriteStream(file));
    const { header } = await readContainerHeader(file);
    expect(DEFAULT_KDF).toEqual({ name: 'argon2id', m: 32768, t: 3, p: 4 });
    expect(header.format).toBe(FORMAT_VERSION);
    expect(header.encryption?.kdf).toMatchObject(DEFAULT_KDF);
    forgetDerivedKeys();
    expect((await readAll(file, 'default kdf')).equals(payload)).toBe(true);
  });

  it('derives the key of an Argon2id file as docs/FORMAT.md says (checked against the reference C implementation)', async () => {
    // sealed by this version: Argon2id m = 256 KiB, t = 2, p = 2, passphrase with non-ASCII letters
    const file = path.join(FIXTURES, 'format2-argon2id.lifeboat');
    const { header } = await readContainerHeader(file);
    // master = Argon2id(NFC(passphrase), salt, ...), computed with node-argon2 (the reference C code), not with this app
    const master = Buffer.from('77ca3d5cb418525cb75f85c123d8260497d66511f6db66df1173ff9634711dcb', 'hex');
    const keyCheck = crypto.createHmac('sha256', master).update('lifeboat key check').digest().subarray(0, 16);
    expect(keyCheck.toString('base64')).toBe(header.encryption?.keyCheck);
    forgetDerivedKeys();
    const text = fs.readFileSync(path.join(FIXTURES, 'format2-argon2id.payload.txt'));
    expect((await readAll(file, 'passphrase caf\u0065\u0301 \u03a9')).equals(text)).toBe(true);
  });

  it('still reads format 1 files, whose key comes from scrypt', async () => {
    // sealed by the format 1 code (scrypt N = 1024, r = 8, p = 1), kept as it was written
    const file = path.join(FIXTURES, 'format1-scrypt.lifeboat');
    const { header } = await readContainerHeader(file);
    expect(header.format).toBe(1);
    expect(header.encryption?.kdf).toMatchObject({ name: 'scrypt', N: 1024, r: 8, p: 1 });
    forgetDerivedKeys();
    const text = fs.readFileSync(path.join(FIXTURES, 'format1-scrypt.payload.txt'));
    expect((await readAll(file, 'format one passphrase')).equals(text)).toBe(true);
    expect(await codeOf(readAll(file, 'format two passphrase'))).toBe('WRONG_PASSPHRASE');
  });

  it('refuses unknown or out-of-range key derivation parameters before deriving anything', async () => {
    const kdfs: unknown[] = [
      { name: 'argon2id', m: 8 * 1024 * 1024, t: 3, p: 4 }, // 8 GiB of memory
      { name: 'argon2id', m: 64, t: 0, p: 1 },
      { name: 'argon2id', m: 64, t: 1, p: 1000 },
      { name: 'scrypt', N: 2 ** 30, r: 8, p: 1 }, // 128 GiB
      { name: 'scrypt', N: 1000, r: 8, p: 1 }, // not a power of two
      { name: 'pbkdf2', iterations: 1 },
    ];
    for (const kdf of kdfs) {
      const file = await seal(payload, 'pw-123456');
      await editHeader(file, (h) => {
        const encryption = h.encryption as { kdf: { salt: string } };
        encryption.kdf = { ...(kdf as object), salt: encryption.kdf.salt } as { salt: string };
      });
      forgetDerivedKeys();
      const before = keyDerivationStats.count;
      const error = await OpenContainer.open(file, 'pw-123456').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('FILE_CORRUPT');
      expect((error as AppError).message + String((error as AppError).detail)).toMatch(/key derivation/);
      expect(keyDerivationStats.count).toBe(before);
    }
  });

  it('refuses a file written by a newer format with UNSUPPORTED_VERSION', async () => {
    const file = await seal(payload, 'pw-123456');
    // a newer writer states its format in the preamble and in the header alike
    await editHeader(file, (h) => (h.format = FORMAT_VERSION + 1), FORMAT_VERSION + 1);
    expect(await codeOf(OpenContainer.open(file, 'pw-123456'))).toBe('UNSUPPORTED_VERSION');
  });

  it('refuses a file that is not a backup', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const file = path.join(dir, 'notes.lifeboat');
    fs.writeFileSync(file, 'just some text, not a backup at all');
    expect(await codeOf(OpenContainer.open(file, null))).toBe('NOT_A_BACKUP');
  });
});
