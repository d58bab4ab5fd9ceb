import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ERROR_MESSAGES } from '../../../src/shared/errors';
import { connectDatabase, serverVersion } from '../../../src/main/core/postgres/connection';
import { preflightDatabase } from '../../../src/main/core/postgres/preflight';
import { findPgTool, pgToolVersion } from '../../../src/main/core/postgres/tools';
import { freePort, startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir } from '../../support/temp-core';

let cluster: PgCluster;
const dirs: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  cluster = await startPgCluster();
  console.info(`pg cluster started in ${Date.now() - started} ms on port ${cluster.port}`);
  await cluster.createDatabase('shop');
});

afterAll(async () => {
  await cluster?.stop();
  dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
});

function tempDir(): string {
  const dir = makeTempDir('lifeboat-pgtools-');
  dirs.push(dir);
  return dir;
}

/** Awaits a promise that must reject with an AppError and returns that error. */
async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Everything about an error a user or a log could see. */
function visibleText(error: AppError): string {
  return [error.message, error.detail ?? '', JSON.stringify(error.toTransferable()), String(error)].join('\n');
}

describe('preflightDatabase against a real server', () => {
  it('finds pg_dump, connects and returns both versions (15.x)', async () => {
    const result = await preflightDatabase(cluster.source('shop'), cluster.password);
    expect(fs.existsSync(result.pgDumpPath)).toBe(true);
    expect(result.pgDumpVersion.major).toBeGreaterThanOrEqual(15);
    expect(result.pgDumpVersion.text).toMatch(/^pg_dump \(PostgreSQL\) \d+\.\d+/);
    expect(result.serverVersion.major).toBe(15);
    expect(result.serverVersion.text).toMatch(/^15\.\d+/);
  });

  it('reports a closed port as PG_UNREACHABLE naming host:port', async () => {
    const closed = await freePort();
    const error = await appError(preflightDatabase({ ...cluster.source('shop'), port: closed }, cluster.password));
    expect(error.code).toBe('PG_UNREACHABLE');
    expect(error.detail).toContain(`127.0.0.1:${closed}`);
  });

  it('reports a server that never answers as PG_UNREACHABLE after the connect timeout', async () => {
    // accepts TCP connections and then says nothing, like a firewall that swallows packets
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const error = await appError(
        preflightDatabase({ ...cluster.source('shop'), port }, cluster.password, process.env, { connectTimeoutMs: 300 }),
      );
      expect(error.code).toBe('PG_UNREACHABLE');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('reports a wrong password as PG_AUTH_FAILED without repeating either password', async () => {
    const wrong = `wrong-${cluster.password}-x`;
    const error = await appError(preflightDatabase(cluster.source('shop'), wrong));
    expect(error.code).toBe('PG_AUTH_FAILED');
    expect(error.detail).toContain(`${cluster.user}@127.0.0.1:${cluster.port}/shop`);
    expect(visibleText(error)).not.toContain(wrong);
    expect(visibleText(error)).not.toContain(cluster.password);
  });

  it('reports no stored password, where the server wants one, as PG_AUTH_FAILED', async () => {
    const error = await appError(connectDatabase(cluster.source('shop'), null));
    expect(error.code).toBe('PG_AUTH_FAILED');
  });

  it('reports a database that does not exist as PG_DATABASE_MISSING', async () => {
    const error = await appError(preflightDatabase(cluster.source('no_such_db'), cluster.password));
    expect(error.code).toBe('PG_DATABASE_MISSING');
    expect(error.detail).toContain('no_such_db');
  });

  it('reports PG_DUMP_TOO_OLD when pg_dump is older than the server', async () => {
    // a stand-in pg_dump that reports 14: no older client is installable here, and only the
    // version is needed to reach the check against the real server's version
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 14.11"\n', { mode: 0o755 });
    const error = await appError(preflightDatabase(cluster.source('shop'), cluster.password, { ...process.env, LIFEBOAT_PG_BIN: bin }));
    expect(error.code).toBe('PG_DUMP_TOO_OLD');
    expect(error.detail).toMatch(/version 14, the server is 15/);
  });

  it('reports PG_DUMP_MISSING, naming the fix, when pg_dump is nowhere', async () => {
    const env = { LIFEBOAT_PG_BIN: tempDir(), PATH: tempDir() };
    const error = await appError(preflightDatabase(cluster.source('shop'), cluster.password, env, { fallbackDirs: [] }));
    expect(error.code).toBe('PG_DUMP_MISSING');
    expect(error.message).toContain(ERROR_MESSAGES.PG_DUMP_MISSING);
    expect(error.message).toContain('LIFEBOAT_PG_BIN');
    expect(error.detail).toContain(env.LIFEBOAT_PG_BIN);
  });
});

describe('connectDatabase', () => {
  it('falls back to a plain connection for sslMode prefer when the server has no SSL', async () => {
    const client = await connectDatabase({ ...cluster.source('shop'), sslMode: 'prefer' }, cluster.password);
    try {
      const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(rows[0]!.ssl).toBe(false);
      expect((await serverVersion(client)).major).toBe(15);
    } finally {
      await client.end();
    }
  });

  it('refuses to go on without SSL for sslMode require', async () => {
    const error = await appError(connectDatabase({ ...cluster.source('shop'), sslMode: 'require' }, cluster.password));
    expect(error.code).toBe('PG_UNREACHABLE');
    expect(error.detail).toMatch(/SSL/);
  });

  it('rejects with CANCELLED when aborted before connecting', async () => {
    const error = await appError(connectDatabase(cluster.source('shop'), cluster.password, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('CANCELLED');
  });
});

describe('findPgTool', () => {
  it('prefers LIFEBOAT_PG_BIN over PATH', async () => {
    const found = await findPgTool('pg_dump', { LIFEBOAT_PG_BIN: cluster.binDir, PATH: '/usr/bin:/bin' }, { fallbackDirs: [] });
    expect(found).toBe(path.join(cluster.binDir, 'pg_dump'));
  });

  it('falls back to /usr/lib/postgresql/<newest>/bin when PATH has no tools', async () => {
    const found = await findPgTool('pg_restore', { PATH: tempDir() });
    expect(found).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin\/pg_restore$/);
    expect((await pgToolVersion(found)).major).toBeGreaterThanOrEqual(15);
  });

  it('names pg_restore and psql in their own missing errors', async () => {
    const env = { PATH: tempDir() };
    expect((await appError(findPgTool('pg_restore', env, { fallbackDirs: [] }))).code).toBe('PG_RESTORE_MISSING');
    expect((await appError(findPgTool('psql', env, { fallbackDirs: [] }))).code).toBe('PG_PSQL_MISSING');
  });

  it('skips a file on PATH that is not executable', async () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'pg_dump'), 'not a program', { mode: 0o644 });
    const found = await findPgTool('pg_dump', { PATH: [bin, cluster.binDir].join(path.delimiter) }, { fallbackDirs: [] });
    expect(found).toBe(path.join(cluster.binDir, 'pg_dump'));
  });

  it('fails naming LIFEBOAT_PG_BIN when that folder lacks the tool, rather than taking another from PATH', async () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'pg_dump'), 'not a program', { mode: 0o644 });
    for (const [tool, code] of [['pg_dump', 'PG_DUMP_MISSING'], ['pg_restore', 'PG_RESTORE_MISSING']] as const) {
      const error = await appError(findPgTool(tool, { LIFEBOAT_PG_BIN: bin, PATH: cluster.binDir }, { fallbackDirs: [] }));
      expect(error.code).toBe(code);
      expect(error.detail).toBe(`LIFEBOAT_PG_BIN is set to ${bin}, which holds no executable ${tool}; point it at the folder that does, or unset it to search PATH`);
    }
  });
});
