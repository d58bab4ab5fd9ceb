import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SmallFilePool } from '../../../src/main/core/archive/small-file-pool';
import { METHOD_DEFLATE } from '../../../src/main/core/archive/zip-writer';
import { tempDirsPerTest } from '../../support/temp-core';

const tempDir = tempDirsPerTest('lb-pool-');

describe('SmallFilePool', () => {
  it('starts one worker with the first file and adds the second once the writer mostly waits on it; results match the files', async () => {
    const dir = tempDir();
    // compressible files of 200 KB: compressing them keeps a worker far behind a writer that does nothing else
    const files = Array.from({ length: 96 }, (_, i) => {
      const abs = path.join(dir, `f${i}`);
      const content = Buffer.alloc(200_000, `${i} the same line again and again\n`);
      fs.writeFileSync(abs, content);
      return { abs, content };
    });
    const pool = new SmallFilePool({ method: METHOD_DEFLATE, level: 9, blockBytes: 1024 * 1024, worthIt: 0.92, threads: 2, batchFiles: 4 });
    try {
      // no worker before the first file
      expect(pool.threads).toBe(0);
      const started = performance.now();
      for (let round = 0; pool.threads < 2 && performance.now() - started < 20_000; round++) {
        for (const { abs, content } of files) {
          const { batch, index } = pool.read({ absPath: Buffer.from(abs), compress: true });
          pool.flush(batch);
          if (!batch.settled) {
            const since = performance.now();
            await batch.ready;
            pool.waited(performance.now() - since);
          }
          const result = batch.result(index);
          if (result.error || result.grown) throw new Error('unexpected result');
          expect(result.size).toBe(content.length);
          expect(result.sha256).toBe(crypto.createHash('sha256').update(content).digest('hex'));
          expect(result.crc32).toBe(zlib.crc32(content));
          expect(zlib.inflateRawSync(result.data).equals(content)).toBe(true);
        }
      }
      expect(pool.threads).toBe(2);
    } finally {
      await pool.close();
    }
  });
});
