import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import util from 'node:util';
import {
  AccountSASPermissions,
  ContainerSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAzureDestination } from '../../../src/main/core/destinations/azure';
import type { Destination } from '../../../src/main/core/destinations/destination';
import type { OpenDestinationOptions } from '../../../src/main/core/destinations/open';
import { azureDestinationSchema, type AzureDestinationConfig } from '../../../src/shared/destination';
import { AppError } from '../../../src/shared/errors';
import { startAzurite, type AzuriteServer } from '../../support/azure-server';
import { startCountingProxy, type CountingProxy } from '../../support/counting-proxy';
import { destinationContract } from '../../support/destination-contract';

const CONTAINER = 'lifeboat';
const MiB = 1024 * 1024;
let azurite: AzuriteServer;
let runs = 0;

beforeAll(async () => {
  azurite = await startAzurite({ containers: [CONTAINER] });
});
afterAll(async () => {
  await azurite?.dispose();
});

function config(overrides: Partial<AzureDestinationConfig> = {}, server: AzuriteServer = azurite): AzureDestinationConfig {
  return azureDestinationSchema.parse({
    id: 'azure-1',
    kind: 'azure',
    account: server.account,
    container: CONTAINER,
    prefix: `run-${++runs}/backups`,
    endpoint: server.endpoint,
    ...overrides,
  });
}

function open(overrides: Partial<AzureDestinationConfig> = {}, options: OpenDestinationOptions = {}, server: AzuriteServer = azurite): Promise<Destination> {
  return openAzureDestination(config(overrides, server), { secret: server.key, timeoutMs: 5000, ...options });
}

/** What the promise rejected with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

describe('Azure Blob destination against Azurite', () => {
  destinationContract(() => open());

  it('keeps staged blocks invisible until the block list is committed, and records the SHA-256', async () => {
    const cfg = config();
    const dest = await openAzureDestination(cfg, { secret: azurite.key });
    const data = crypto.randomBytes(10 * MiB);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      yield data.subarray(0, 9 * MiB);
      await gate;
      yield data.subarray(9 * MiB);
    }
    const progress: number[] = [];
    const write = dest.write('plans/slow.lifeboat', Readable.from(source()), { size: data.length, onProgress: (n) => progress.push(n) });
    const raw = azurite.serviceClient().getContainerClient(CONTAINER).getBlockBlobClient(`${cfg.prefix}/plans/slow.lifeboat`);
    // wait until the first 8 MiB block is really staged on the server
    for (let i = 0; ; i++) {
      const blocks = await raw.getBlockList('uncommitted').catch(() => null);
      if ((blocks?.uncommittedBlocks?.length ?? 0) === 1) break;
      if (i > 100) throw new Error('the first block was never staged');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await dest.stat('plans/slow.lifeboat')).toBeNull();
    expect(await dest.list()).toEqual([]);
    release();
    const result = await write;
    expect(result).toEqual({ size: data.length, sha256: sha256(data) });
    expect(progress.at(-1)).toBe(data.length);
    expect(progress.every((n, i) => i === 0 || n >= progress[i - 1])).toBe(true);
    const properties = await raw.getProperties();
    expect(properties.contentLength).toBe(data.length);
    expect(properties.metadata?.sha256).toBe(result.sha256);
    expect(properties.contentType).toBe('application/octet-stream');
    expect(dest.urlOf('plans/slow.lifeboat')).toBe(`azure://${azurite.account}/${CONTAINER}/${cfg.prefix}/plans/slow.lifeboat`);
    expect(dest.url).toBe(`azure://${azurite.account}/${CONTAINER}/${cfg.prefix}`);
  });

  it('commits nothing when the size or SHA-256 given in advance does not match the stream', async () => {
    const dest = await open();
    const data = crypto.randomBytes(100_000);
    const wrongSize = await rejection(dest.write('a.lifeboat', Readable.from([data]), { size: data.length + 1 }));
    expect(wrongSize.code).toBe('DEST_FAILED');
    expect(wrongSize.message).toContain('a.lifeboat');
    const wrongHash = await rejection(dest.write('a.lifeboat', Readable.from([data]), { sha256: sha256(Buffer.from('other')) }));
    expect(wrongHash.code).toBe('DEST_FAILED');
    expect(await dest.list()).toEqual([]);
    expect(await dest.write('a.lifeboat', Readable.from([data]), { size: data.length, sha256: sha256(data) })).toEqual({ size: data.length, sha256: sha256(data) });
  });

  it('writes and reads an empty object', async () => {
    const dest = await open();
    expect(await dest.write('empty.lifeboat', Readable.from([]))).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await dest.stat('empty.lifeboat'))?.size).toBe(0);
    expect((await dest.read('empty.lifeboat', 0, 10)).length).toBe(0);
    expect((await collect(dest.readStream('empty.lifeboat'))).length).toBe(0);
  });

  it('refuses a wrong account key with DEST_AUTH_FAILED and never shows the key', async () => {
    const wrongKey = crypto.randomBytes(64).toString('base64');
    const dest = await open({}, { secret: wrongKey });
    for (const attempt of [() => dest.write('x.lifeboat', Readable.from([Buffer.from('x')])), () => dest.list(), () => dest.stat('x.lifeboat'), () => dest.read('x.lifeboat', 0, 1)]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('DEST_AUTH_FAILED');
      expect(error.message).toContain(`azure://${azurite.account}/${CONTAINER}`);
      expect(util.inspect(error)).not.toContain(wrongKey);
      expect(util.inspect(error)).not.toContain(azurite.key);
    }
    expect(await (await open()).list()).toEqual([]);
  });

  it('says which secret to enter when none is stored', async () => {
    const noKey = await rejection(open({}, { secret: null }));
    expect(noKey.code).toBe('DEST_AUTH_FAILED');
    expect(noKey.message).toMatch(/account key/);
    const noSas = await rejection(open({ auth: 'sas' }, { secret: '  ' }));
    expect(noSas.code).toBe('DEST_AUTH_FAILED');
    expect(noSas.message).toMatch(/SAS token/);
  });

  it('works with a container SAS and an account SAS, and refuses a bad or read-only one without showing it', async () => {
    const credential = new StorageSharedKeyCredential(azurite.account, azurite.key);
    const expiresOn = new Date(Date.now() + 3600_000);
    const containerSas = generateBlobSASQueryParameters(
      { containerName: CONTAINER, permissions: ContainerSASPermissions.parse('racwdl'), expiresOn, protocol: SASProtocol.HttpsAndHttp },
      credential,
    ).toString();
    const accountSas = generateAccountSASQueryParameters(
      { services: 'b', resourceTypes: 'sco', permissions: AccountSASPermissions.parse('rwdlac'), expiresOn, protocol: SASProtocol.HttpsAndHttp },
      credential,
    ).toString();
    for (const sas of [containerSas, `?${accountSas}`]) {
      const dest = await open({ auth: 'sas' }, { secret: sas });
      const data = crypto.randomBytes(9 * MiB);
      expect(await dest.write('s/one.lifeboat', Readable.from([data]))).toEqual({ size: data.length, sha256: sha256(data) });
      expect((await dest.list()).map((o) => [o.key, o.size])).toEqual([['s/one.lifeboat', data.length]]);
      expect((await dest.read('s/one.lifeboat', 8 * MiB - 5, 10)).equals(data.subarray(8 * MiB - 5, 8 * MiB + 5))).toBe(true);
      await dest.delete('s/one.lifeboat');
      expect(await dest.stat('s/one.lifeboat')).toBeNull();
    }

    const sig = new URLSearchParams(containerSas).get('sig') as string;
    const badSas = containerSas.replace(encodeURIComponent(sig), encodeURIComponent(crypto.randomBytes(32).toString('base64')));
    expect(badSas).not.toBe(containerSas);
    const bad = await open({ auth: 'sas' }, { secret: badSas });
    for (const attempt of [() => bad.write('b.lifeboat', Readable.from([Buffer.from('x')])), () => bad.list(), () => bad.stat('b.lifeboat')]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('DEST_AUTH_FAILED');
      expect(util.inspect(error)).not.toContain(badSas);
      expect(util.inspect(error)).not.toContain(new URLSearchParams(badSas).get('sig'));
    }

    const readOnlySas = generateBlobSASQueryParameters(
      { containerName: CONTAINER, permissions: ContainerSASPermissions.parse('rl'), expiresOn, protocol: SASProtocol.HttpsAndHttp },
      credential,
    ).toString();
    const readOnly = await open({ auth: 'sas' }, { secret: readOnlySas });
    expect(await readOnly.list()).toEqual([]);
    expect((await rejection(readOnly.write('r.lifeboat', Readable.from([Buffer.from('x')])))).code).toBe('DEST_AUTH_FAILED');
    expect(await readOnly.list()).toEqual([]);
  });

  it('reports a missing container as DEST_MISSING', async () => {
    const dest = await open({ container: 'no-such-container' });
    for (const attempt of [() => dest.write('x.lifeboat', Readable.from([Buffer.from('x')])), () => dest.list(), () => dest.stat('x.lifeboat'), () => dest.read('x.lifeboat', 0, 1)]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('DEST_MISSING');
      expect(error.message).toContain('azure://devstoreaccount1/no-such-container');
    }
  });

  it('reports a server that is not listening as DEST_UNREACHABLE, quickly', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dest = await open({ endpoint: `http://127.0.0.1:${port}/${azurite.account}` });
    const started = Date.now();
    expect((await rejection(dest.stat('x.lifeboat'))).code).toBe('DEST_UNREACHABLE');
    expect((await rejection(dest.write('x.lifeboat', Readable.from([Buffer.from('x')])))).code).toBe('DEST_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  describe('through a proxy that stalls and cuts', () => {
    let proxy: CountingProxy;
    const timeoutMs = 2000;
    const viaProxy = () => open({ endpoint: `${proxy.url}/${azurite.account}` }, { timeoutMs });
    beforeAll(async () => {
      proxy = await startCountingProxy({ port: azurite.port });
    });
    afterAll(async () => {
      await proxy?.close();
    });

    it('fails a stalled request with DEST_UNREACHABLE within the timeout', async () => {
      const dest = await viaProxy();
      await dest.write('here.lifeboat', Readable.from([Buffer.from('here')]));
      proxy.stall();
      try {
        for (const attempt of [() => dest.stat('here.lifeboat'), () => dest.list()]) {
          const started = Date.now();
          const error = await rejection(attempt());
          expect(error.code).toBe('DEST_UNREACHABLE');
          expect(error.message).toMatch(/stalled/);
          expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs - 100);
          expect(Date.now() - started).toBeLessThan(timeoutMs + 1500);
        }
      } finally {
        proxy.resume();
      }
      expect((await dest.stat('here.lifeboat'))?.size).toBe(4);
    });

    it('fails an upload that stalls midway with DEST_UNREACHABLE and leaves nothing visible', async () => {
      const dest = await viaProxy();
      const data = crypto.randomBytes(12 * MiB);
      let stalledAt = 0;
      const write = dest.write('stalled.lifeboat', Readable.from([data]), {
        onProgress: (sent) => {
          if (sent > 3 * MiB && stalledAt === 0) {
            stalledAt = Date.now();
            proxy.stall();
          }
        },
      });
      try {
        const error = await rejection(write);
        expect(error.code).toBe('DEST_UNREACHABLE');
        expect(error.message).toContain('stalled.lifeboat');
        expect(stalledAt).toBeGreaterThan(0);
        expect(Date.now() - stalledAt).toBeLessThan(timeoutMs + 2500);
      } finally {
        proxy.resume();
      }
      expect(await dest.stat('stalled.lifeboat')).toBeNull();
      expect(await dest.list()).toEqual([]);
    });

    it('fails a download that stalls midway with DEST_UNREACHABLE', async () => {
      const dest = await viaProxy();
      const data = crypto.randomBytes(16 * MiB);
      await dest.write('big.lifeboat', Readable.from([data]));
      const stream = dest.readStream('big.lifeboat');
      let received = 0;
      let stalledAt = 0;
      const error = await new Promise<unknown>((resolve) => {
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (stalledAt === 0) {
            stalledAt = Date.now();
            proxy.stall();
          }
        });
        stream.on('error', resolve);
        stream.on('end', () => resolve(null));
      });
      proxy.resume();
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('DEST_UNREACHABLE');
      expect(received).toBeLessThan(data.length);
      expect(Date.now() - stalledAt).toBeLessThan(timeoutMs + 2500);
    });

    it('reads a small range without fetching the object', async () => {
      const dest = await viaProxy();
      const data = crypto.randomBytes(12 * MiB);
      await dest.write('ranged.lifeboat', Readable.from([data]));
      proxy.resetCounts();
      expect((await dest.read('ranged.lifeboat', 5_000_000, 100)).equals(data.subarray(5_000_000, 5_000_100))).toBe(true);
      expect((await collect(dest.readStream('ranged.lifeboat', 9_000_000, 9_001_000))).equals(data.subarray(9_000_000, 9_001_000))).toBe(true);
      expect(proxy.bytesToClient).toBeGreaterThan(1100);
      expect(proxy.bytesToClient).toBeLessThan(20_000);
    });

    it('survives a connection cut mid-block: the block is sent again and the object is whole', async () => {
      const dest = await viaProxy();
      const data = crypto.randomBytes(12 * MiB);
      let cut = false;
      const result = await dest.write('cut.lifeboat', Readable.from([data]), {
        onProgress: (sent) => {
          if (sent > 2 * MiB && !cut) {
            cut = true;
            proxy.cut();
          }
        },
      });
      expect(cut).toBe(true);
      expect(result).toEqual({ size: data.length, sha256: sha256(data) });
      expect(sha256(await collect(dest.readStream('cut.lifeboat')))).toBe(sha256(data));
    });
  });

  it('fails an upload when Azurite stops midway, and after a restart nothing of it is visible', async () => {
    const server = await startAzurite({ storage: 'temp', containers: [CONTAINER] });
    try {
      const dest = await open({}, { timeoutMs: 5000 }, server);
      await dest.write('kept.lifeboat', Readable.from([Buffer.from('kept')]));
      const data = crypto.randomBytes(16 * MiB);
      let stopping: Promise<void> | null = null;
      const error = await rejection(
        dest.write('cut-off.lifeboat', Readable.from([data]), {
          onProgress: (sent) => {
            if (sent > 2 * MiB && stopping === null) stopping = server.stop();
          },
        }),
      );
      expect(stopping).not.toBeNull();
      await stopping;
      expect(error.code).toBe('DEST_UNREACHABLE');
      expect(error.message).toContain('cut-off.lifeboat');
      await server.restart();
      expect(await dest.stat('cut-off.lifeboat')).toBeNull();
      // the data folder did survive the restart: the earlier object is still there
      expect((await dest.list()).map((o) => o.key)).toEqual(['kept.lifeboat']);
      expect((await dest.read('kept.lifeboat', 0, 10)).toString()).toBe('kept');
    } finally {
      await server.dispose();
    }
  });

  it('reports a server that says it is full as DEST_FULL and leaves nothing visible', async () => {
    // Azurite in memory with a 6 MB cap answers 409 MemoryExtentStoreAtSizeLimit once it is full
    const server = await startAzurite({ memoryLimitMb: 6, containers: [CONTAINER] });
    try {
      const dest = await open({}, {}, server);
      const error = await rejection(dest.write('full.lifeboat', Readable.from([crypto.randomBytes(12 * MiB)])));
      expect(error.code).toBe('DEST_FULL');
      expect(error.message).toContain('full.lifeboat');
      expect(await dest.stat('full.lifeboat')).toBeNull();
      expect(await dest.list()).toEqual([]);
    } finally {
      await server.dispose();
    }
  });

  it('fails an upload to an Azurite whose disk fills up, without hanging, and leaves nothing visible', async () => {
    // a real full disk: Azurite's data folder on an 8 MB tmpfs (needs root, as the tests run here)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-azurite-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
    try {
      const server = await startAzurite({ storage: { location: dir }, containers: [CONTAINER] });
      try {
        const timeoutMs = 2000;
        const dest = await open({}, { timeoutMs }, server);
        const started = Date.now();
        const error = await rejection(dest.write('full.lifeboat', Readable.from([crypto.randomBytes(12 * MiB)])));
        // Azurite answers ENOSPC with a bare HTTP 500 and then stops answering the retries of the
        // block: no code says "full", so it is DEST_FAILED or, after the stall timer, DEST_UNREACHABLE
        expect(['DEST_FAILED', 'DEST_UNREACHABLE']).toContain(error.code);
        expect(Date.now() - started).toBeLessThan(timeoutMs + 5000);
        expect(await dest.stat('full.lifeboat')).toBeNull();
        expect(await dest.list()).toEqual([]);
        // what fits still goes in once the failed upload let go of its space
        await dest.write('small.lifeboat', Readable.from([Buffer.from('small')]));
        expect((await dest.list()).map((o) => o.key)).toEqual(['small.lifeboat']);
      } finally {
        await server.dispose();
      }
    } finally {
      execFileSync('umount', [dir]);
      fs.rmdirSync(dir);
    }
  });
});
