/**
 * `--allow-expensive-kdf`: inspect, verify and restore refuse a backup whose header asks for a
 * costlier key derivation than Lifeboat writes, naming the option, and read it with the option;
 * the switch holds for that one command only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { OpenContainer, SealStream } from '../../../src/main/core/crypto/container';
import { forgetDerivedKeys } from '../../../src/main/core/crypto/keys';
import { makeTempDir } from '../../support/temp-core';

const PASSPHRASE = 'expensive kdf passphrase';
let work: string;
let file: string;

/** Runs the CLI in-process on a data dir of its own (`home`), with captured output. */
async function cli(args: string[], home = 'home') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { PATH: process.env.PATH, LIFEBOAT_HOME: path.join(work, home), LIFEBOAT_PASSPHRASE: PASSPHRASE },
    isTty: false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  work = makeTempDir('lifeboat-cli-kdf-');
  fs.mkdirSync(path.join(work, 'files'));
  fs.writeFileSync(path.join(work, 'files', 'a.txt'), 'alpha\n');
  // made with another data dir: the catalog of the commands below must not know the original's checksum
  const backup = await cli(['backup', '--folder', path.join(work, 'files'), '--out', path.join(work, 'out'), '--no-verify', '--json'], 'home-backup');
  expect(backup.code, backup.err).toBe(0);
  const written = JSON.parse(backup.out).filePath as string;
  // the same backup sealed again with Argon2id 256 MiB, one pass: above the limit, quick to derive
  const original = await OpenContainer.open(written, PASSPHRASE);
  try {
    const sealer = await SealStream.create({
      backupId: original.header.backupId,
      app: original.header.app,
      passphrase: PASSPHRASE,
      kdf: { name: 'argon2id', m: 256 * 1024, t: 1, p: 4 },
    });
    file = path.join(work, 'expensive.lifeboat');
    await pipeline(Readable.from([await original.read(0, original.size)]), sealer, fs.createWriteStream(file));
  } finally {
    await original.close();
  }
  forgetDerivedKeys();
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('--allow-expensive-kdf', () => {
  it('inspect refuses the file, naming the option, and reads it with the option (for that command only)', async () => {
    const refused = await cli(['inspect', file]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/damaged.*unusually expensive key derivation.*--allow-expensive-kdf/);

    const allowed = await cli(['inspect', file, '--allow-expensive-kdf']);
    expect(allowed.code, allowed.err).toBe(0);
    expect(allowed.out).toMatch(/folder .*files/);

    expect((await cli(['inspect', file])).err).toContain('--allow-expensive-kdf');
  });

  it('verify and restore take it too', async () => {
    const refused = await cli(['verify', file]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('--allow-expensive-kdf');
    const verified = await cli(['verify', file, '--allow-expensive-kdf']);
    expect(verified.out).toMatch(/PASSED/);
    expect(verified.code).toBe(0);

    const target = path.join(work, 'restored');
    const notRestored = await cli(['restore', file, '--to-folder', target]);
    expect(notRestored.code).toBe(1);
    expect(notRestored.err).toContain('--allow-expensive-kdf');
    const restored = await cli(['restore', file, '--to-folder', target, '--allow-expensive-kdf']);
    expect(restored.code, restored.out + restored.err).toBe(0);
    const found = fs.readdirSync(target, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('a.txt'));
    expect(found).toHaveLength(1);
    expect(fs.readFileSync(path.join(target, found[0]!), 'utf8')).toBe('alpha\n');
  });
});
