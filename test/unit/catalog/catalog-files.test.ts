/**
 * The catalog's files on disk: private modes (kept, and tightened with a notice), a new catalog
 * announced, and a damaged one reported as CATALOG_CORRUPT naming its path. Real files, real modes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogNotice } from '../../../src/main/core/catalog/catalog';
import { AppError } from '../../../src/shared/errors';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = makeTempDir('lifeboat-catalog-files-');
  dirs.push(dir);
  return dir;
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('catalog files', () => {
  it('creates the data folder 0700 and the catalog, -wal and -shm 0600, and says it created them', () => {
    const dataDir = path.join(tempDir(), 'new', 'data');
    const notices: CatalogNotice[] = [];
    const db = openCatalog(dataDir, { onNotice: (n) => notices.push(n) });
    try {
      const file = path.join(dataDir, 'catalog.sqlite');
      expect(notices).toEqual([{ kind: 'created', path: file, message: `Created a new, empty catalog at ${file}` }]);
      db.exec('CREATE TABLE written (x); INSERT INTO written VALUES (1)');
      expect(modeOf(dataDir)).toBe(0o700);
      for (const name of ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm']) {
        expect(modeOf(path.join(dataDir, name)), name).toBe(0o600);
      }
    } finally {
      db.close();
    }
    const again: CatalogNotice[] = [];
    openCatalog(dataDir, { onNotice: (n) => again.push(n) }).close();
    expect(again).toEqual([]);
  });

  it('tightens a looser data folder and catalog files, with a notice for each', () => {
    const dataDir = tempDir();
    openCatalog(dataDir).close();
    const file = path.join(dataDir, 'catalog.sqlite');
    // a -wal and -shm left behind (a crash) with a loose mode
    fs.writeFileSync(`${file}-wal`, '');
    fs.writeFileSync(`${file}-shm`, Buffer.alloc(32 * 1024));
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(file, 0o644);
    fs.chmodSync(`${file}-wal`, 0o664);
    fs.chmodSync(`${file}-shm`, 0o640);

    const notices: CatalogNotice[] = [];
    const db = openCatalog(dataDir, { onNotice: (n) => notices.push(n) });
    expect(modeOf(dataDir)).toBe(0o700);
    for (const name of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(name), name).toBe(0o600);
    db.close();
    expect(notices.map((n) => [n.kind, n.path])).toEqual([
      ['permissions-tightened', dataDir],
      ['permissions-tightened', file],
      ['permissions-tightened', `${file}-wal`],
      ['permissions-tightened', `${file}-shm`],
    ]);
    expect(notices[1]!.message).toBe(`${file} was open to other users (mode 0644); changed it to 0600`);
  });

  it('records a tightened mode in the audit log, so that the app shows it', async () => {
    const dataDir = tempDir();
    openCatalog(dataDir).close();
    fs.chmodSync(path.join(dataDir, 'catalog.sqlite'), 0o644);
    const seen: CatalogNotice[] = [];
    const core = makeTestCore({ dataDir, onCatalogNotice: (n) => seen.push(n) });
    try {
      expect(seen.map((n) => n.kind)).toEqual(['permissions-tightened']);
      const audit = core.audit.list(1, 10).items;
      expect(audit).toEqual([expect.objectContaining({ actor: 'system', action: 'catalog.permissions-tightened', target: path.join(dataDir, 'catalog.sqlite') })]);
    } finally {
      await core.close();
    }
  });

  it('creates a deleted catalog again, with its notice', () => {
    const dataDir = tempDir();
    openCatalog(dataDir).close();
    fs.rmSync(path.join(dataDir, 'catalog.sqlite'));
    const notices: CatalogNotice[] = [];
    openCatalog(dataDir, { onNotice: (n) => notices.push(n) }).close();
    expect(notices.map((n) => n.kind)).toEqual(['created']);
  });
});

describe('a damaged catalog', () => {
  it.each([
    ['not a database', Buffer.from('this is not a SQLite file, just some text that is long enough to fill a header '.repeat(20))],
    ['a damaged database', null],
  ])('is CATALOG_CORRUPT naming its path: %s', (_name, garbage) => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'catalog.sqlite');
    if (garbage) fs.writeFileSync(file, garbage, { mode: 0o600 });
    else {
      openCatalog(dataDir).close();
      // keep the SQLite header, overwrite the schema page after it
      const bytes = fs.readFileSync(file);
      bytes.fill(0xa5, 100, Math.min(bytes.length, 4096));
      fs.writeFileSync(file, bytes);
    }
    let error: unknown;
    try {
      openCatalog(dataDir).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CATALOG_CORRUPT');
    expect((error as AppError).message).toContain(file);
  });
});
