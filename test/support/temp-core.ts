import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createLifeboatCore, type CoreOptions, type LifeboatCore } from '../../src/main/core/lifeboat';
import { MemorySecretStore } from '../../src/main/core/ports';

/** A fresh data dir under the OS temp folder; removed by the returned cleanup. */
export function makeTempDir(prefix = 'lifeboat-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A maker of fresh temp folders for a test file: each is removed after the test that made it. */
export function tempDirsPerTest(prefix?: string): () => string {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return () => {
    const dir = makeTempDir(prefix);
    dirs.push(dir);
    return dir;
  };
}

/** A core on a fresh data dir with an in-memory secret store. */
export function makeTestCore(overrides: Partial<CoreOptions> = {}): LifeboatCore & { cleanup(): Promise<void> } {
  const dataDir = overrides.dataDir ?? makeTempDir();
  const core = createLifeboatCore({
    dataDir,
    appVersion: '0.0.0-test',
    secrets: new MemorySecretStore(),
    ...overrides,
  });
  return Object.assign(core, {
    async cleanup() {
      await core.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
