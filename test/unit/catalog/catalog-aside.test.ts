import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { moveCatalogAside } from '../../../src/main/core/catalog/catalog-aside';
import { openCatalog } from '../../../src/main/core/catalog/catalog';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('moveCatalogAside', () => {
  it('renames the catalog and its WAL files (never deletes them), so that the next open starts empty', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'catalog.sqlite'), 'not a database at all');
    fs.writeFileSync(path.join(dir, 'catalog.sqlite-wal'), 'wal');
    fs.writeFileSync(path.join(dir, 'secrets.json'), '{}');
    const aside = moveCatalogAside(dir, new Date('2026-12-01T02:03:04Z'));
    expect(path.basename(aside)).toBe('catalog.sqlite.unreadable-20261201-020304');
    expect(fs.readFileSync(aside, 'utf8')).toBe('not a database at all');
    expect(fs.readFileSync(`${aside}-wal`, 'utf8')).toBe('wal');
    expect(fs.existsSync(path.join(dir, 'catalog.sqlite'))).toBe(false);
    // the keychain file and everything else stays
    expect(fs.existsSync(path.join(dir, 'secrets.json'))).toBe(true);
    const db = openCatalog(dir);
    expect(db.prepare('SELECT count(*) AS n FROM plans').get()).toEqual({ n: 0 });
    db.close();
  });
});
