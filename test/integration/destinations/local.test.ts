import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDestination } from '../../../src/main/core/destinations/local';
import { destinationContract } from '../../support/destination-contract';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

function fresh(): LocalDestination {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-dest-'));
  roots.push(root);
  return new LocalDestination(root);
}

describe('local folder destination', () => {
  destinationContract(async () => fresh());

  it('keeps a partial upload as <key>.part out of the listing, and writes owner-only files', async () => {
    const dest = fresh();
    await dest.write('a/b.lifeboat', Readable.from([Buffer.from('hello')]));
    fs.writeFileSync(path.join(dest.url, 'a', 'c.lifeboat.part'), 'half');
    expect((await dest.list()).map((o) => o.key)).toEqual(['a/b.lifeboat']);
    expect(fs.statSync(path.join(dest.url, 'a', 'b.lifeboat')).mode & 0o777).toBe(0o600);
  });
});
