import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findMissingTestDeps, formatMissingTestDeps } from '../../support/test-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const script = path.join(root, 'scripts', 'check-test-deps.mjs');
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-deps-'));
  tempDirs.push(dir);
  return dir;
}

/** Runs the preflight with the machine's environment plus `env`. */
function check(env: NodeJS.ProcessEnv, args: string[] = []) {
  const result = spawnSync(process.execPath, [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The environment without the overrides, so the real install paths are checked. */
function realEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LIFEBOAT_CHROMIUM;
  delete env.LIFEBOAT_TEST_PG_BIN;
  return env;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('scripts/check-test-deps.mjs', () => {
  it('exits non-zero with one message naming every missing thing and the install commands', () => {
    const emptyBin = tempDir();
    const result = check({ LIFEBOAT_CHROMIUM: '/nonexistent/chromium', LIFEBOAT_TEST_PG_BIN: emptyBin });

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    // one message, printed once
    expect(result.stderr.match(/tests cannot run/g)).toHaveLength(1);
    expect(result.stderr).toContain('Chromium: /nonexistent/chromium is not an executable file (LIFEBOAT_CHROMIUM)');
    expect(result.stderr).toContain(`initdb, pg_ctl, postgres, psql not executable in ${emptyBin} (LIFEBOAT_TEST_PG_BIN)`);
    expect(result.stderr).toContain('apt-get install -y postgresql chromium');
    expect(result.stderr).toContain('brew install postgresql@15');
    expect(result.stderr).toContain('brew install --cask chromium');
    expect(result.stderr).toContain('LIFEBOAT_CHROMIUM=');
  });

  it('exits 0 silently with the real install paths', () => {
    const result = spawnSync(process.execPath, [script], { env: realEnv(), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('checks only what --need asks for', () => {
    const result = check({ LIFEBOAT_CHROMIUM: '/nonexistent/chromium', LIFEBOAT_TEST_PG_BIN: tempDir() }, ['--need', 'chromium']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Chromium');
    expect(result.stderr).not.toContain('PostgreSQL');
    expect(result.stderr).toContain('apt-get install -y chromium\n');
  });

  it('refuses an unknown --need', () => {
    const result = check({}, ['--need', 'mysql']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--need takes pg, chromium');
  });

  it('wants executable files, not just files', () => {
    const bin = tempDir();
    for (const tool of ['initdb', 'pg_ctl', 'postgres', 'psql']) fs.writeFileSync(path.join(bin, tool), '#!/bin/sh\n', { mode: 0o644 });
    const browser = path.join(bin, 'chromium');
    fs.writeFileSync(browser, '#!/bin/sh\n', { mode: 0o644 });
    // a directory is not a browser either
    expect(findMissingTestDeps({ env: { ...realEnv(), LIFEBOAT_CHROMIUM: bin, LIFEBOAT_TEST_PG_BIN: bin }, isRoot: false })).toHaveLength(2);

    const missing = findMissingTestDeps({ env: { ...realEnv(), LIFEBOAT_CHROMIUM: browser, LIFEBOAT_TEST_PG_BIN: bin }, isRoot: false });
    expect(missing.map((item) => item.fix)).toEqual(['pg', 'chromium']);

    for (const tool of ['initdb', 'pg_ctl', 'postgres', 'psql', 'chromium']) fs.chmodSync(path.join(bin, tool), 0o755);
    expect(findMissingTestDeps({ env: { ...realEnv(), LIFEBOAT_CHROMIUM: browser, LIFEBOAT_TEST_PG_BIN: bin }, isRoot: false })).toEqual([]);
  });
});

describe('findMissingTestDeps / formatMissingTestDeps', () => {
  it('wants Node 20.15 or newer (zlib.crc32)', () => {
    const needs = [] as const;
    expect(findMissingTestDeps({ needs, nodeVersion: '20.15.0' })).toEqual([]);
    expect(findMissingTestDeps({ needs, nodeVersion: '22.1.0' })).toEqual([]);
    const missing = findMissingTestDeps({ needs, nodeVersion: '20.14.0' });
    expect(missing).toEqual([{ what: 'Node.js 20.15.0 or newer (this is 20.14.0)', fix: 'node' }]);
    expect(formatMissingTestDeps(missing)).toContain('Node.js: install 20.15.0 or newer');
  });

  it('finds pg_dump and pg_restore through LIFEBOAT_PG_BIN, PATH or the server folder, as the app does', () => {
    const serverBin = tempDir();
    for (const tool of ['initdb', 'pg_ctl', 'postgres', 'psql']) fs.writeFileSync(path.join(serverBin, tool), '', { mode: 0o755 });
    const env = { LIFEBOAT_TEST_PG_BIN: serverBin, PATH: tempDir() };
    expect(findMissingTestDeps({ needs: ['pg'], env, isRoot: false })).toEqual([
      { what: 'the PostgreSQL client tools: pg_dump, pg_restore not on PATH', fix: 'pg' },
    ]);

    const clientBin = tempDir();
    for (const tool of ['pg_dump', 'pg_restore']) fs.writeFileSync(path.join(clientBin, tool), '', { mode: 0o755 });
    expect(findMissingTestDeps({ needs: ['pg'], env: { ...env, LIFEBOAT_PG_BIN: clientBin }, isRoot: false })).toEqual([]);
    expect(findMissingTestDeps({ needs: ['pg'], env: { ...env, PATH: clientBin }, isRoot: false })).toEqual([]);
    for (const tool of ['pg_dump', 'pg_restore']) fs.copyFileSync(path.join(clientBin, tool), path.join(serverBin, tool));
    expect(findMissingTestDeps({ needs: ['pg'], env, isRoot: false })).toEqual([]);
    // as the app: a LIFEBOAT_PG_BIN without the tools is missing them, whatever PATH holds
    const emptyBin = tempDir();
    expect(findMissingTestDeps({ needs: ['pg'], env: { ...env, PATH: clientBin, LIFEBOAT_PG_BIN: emptyBin }, isRoot: false })).toEqual([
      { what: `the PostgreSQL client tools: pg_dump, pg_restore not in LIFEBOAT_PG_BIN (${emptyBin})`, fix: 'pg' },
    ]);
  });

  it('wants the zstd command (the unit suite writes zstd entries with it) and names its package', () => {
    const bin = tempDir();
    const missing = findMissingTestDeps({ needs: ['zstd'], env: { PATH: bin }, isRoot: false });
    expect(missing).toEqual([{ what: 'zstd (the zstd command) not on PATH', fix: 'zstd' }]);
    expect(formatMissingTestDeps(missing, { isRoot: true })).toContain('  apt-get install -y zstd\n');
    fs.writeFileSync(path.join(bin, 'zstd'), '', { mode: 0o755 });
    expect(findMissingTestDeps({ needs: ['zstd'], env: { PATH: bin }, isRoot: false })).toEqual([]);
  });

  it('prints sudo only when not root', () => {
    const missing = [{ what: 'Chromium', fix: 'chromium' as const }];
    expect(formatMissingTestDeps(missing, { isRoot: false })).toContain('  sudo apt-get install -y chromium\n');
    expect(formatMissingTestDeps(missing, { isRoot: true })).toContain('  apt-get install -y chromium\n');
  });
});
