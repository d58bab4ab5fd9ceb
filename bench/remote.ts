/**
 * The remote section of `npm run bench` (BENCH_SECTIONS=remote): off-site copies on loopback
 * servers started here, S3 (s3rver) and SFTP (Debian's sshd), on the same pgbench database.
 *   backup + copy:  our backup to a local folder, then the copy uploaded to the remote (what a
 *                   plan with a copy does)  vs  the same backup to the local folder alone
 *                   (target: ratio <= 1.3)
 *   restore one table from the remote copy (ranged reads: header, index, manifest and the chunks
 *                   of that table's data)  vs  `createdb` + `pg_restore` of the whole plain
 *                   `pg_dump -Fc` file on local disk; and the share of the file the restore read.
 * Knobs: BENCH_REMOTE_SCALE (pgbench scale, default 10: ~165 MB), BENCH_ROUNDS (default 3 here).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgetDerivedKeys } from '../src/main/core/crypto/keys';
import type { Destination } from '../src/main/core/destinations/destination';
import { openDestination } from '../src/main/core/destinations/open';
import { makeDestinationOpener, setRemoteOpener } from '../src/main/core/destinations/remote-open';
import { restoreDatabase } from '../src/main/core/restore/restore-database';
import type { DestinationConfig } from '../src/shared/destination';
import { startCountingProxy, type CountingProxy } from '../test/support/counting-proxy';
import { startPgCluster } from '../test/support/pg-cluster';
import { startS3Server } from '../test/support/s3-server';
import { startSftpServer } from '../test/support/sftp-server';
import { median, run } from './proc';

const here = path.dirname(fileURLToPath(import.meta.url));
const PASSPHRASE = 'bench passphrase, not a secret';
const s = (ms: number) => (ms / 1000).toFixed(2);

interface Remote {
  name: string;
  config: DestinationConfig;
  secret: string | null;
  proxy: CountingProxy;
  extra?: { acceptHostKey?: string; privateKeyFile?: string };
}

async function upload(remote: Remote, file: string, key: string): Promise<number> {
  const dest: Destination = await openDestination(remote.config, { secret: remote.secret, ...remote.extra });
  try {
    const started = performance.now();
    const size = fs.statSync(file).size;
    const written = await dest.write(key, fs.createReadStream(file), { size });
    const stat = await dest.stat(key);
    if (stat?.size !== size || written.size !== size) throw new Error(`${remote.name}: the copy is ${stat?.size} bytes, the file ${size}`);
    return performance.now() - started;
  } finally {
    await dest.close();
  }
}

export async function runRemoteSection(): Promise<void> {
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
  const scale = Number(process.env.BENCH_REMOTE_SCALE ?? 10);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-remote-'));
  const cluster = await startPgCluster();
  const s3 = await startS3Server({ buckets: ['bench'] });
  const sftp = await startSftpServer();
  const s3proxy = await startCountingProxy({ port: s3.port });
  const sftpProxy = await startCountingProxy({ port: sftp.port });
  const remotes: Remote[] = [
    {
      name: 'S3 (s3rver)',
      config: { kind: 's3', id: 's3', endpoint: s3proxy.url, region: s3.region, bucket: 'bench', prefix: 'lifeboat', forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack: false, hasSecret: true },
      secret: s3.secretAccessKey,
      proxy: s3proxy,
    },
    {
      name: 'SFTP (sshd)',
      config: { kind: 'sftp', id: 'sftp', host: '127.0.0.1', port: sftpProxy.port, user: sftp.user, path: sftp.root, auth: 'key', keyFile: sftp.userKeyFile, hostKey: sftp.hostKeyFingerprint, readBack: false, hasSecret: false },
      secret: null,
      proxy: sftpProxy,
    },
  ];
  const env = { PGPASSWORD: cluster.password };
  const conn = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const rows: string[][] = [];
  try {
    const db = 'bench_remote';
    console.error(`remote: preparing pgbench scale ${scale} ...`);
    await cluster.createDatabase(db);
    await run(path.join(cluster.binDir, 'pgbench'), ['-i', '-q', '-s', String(scale), ...conn, db], env);
    await cluster.psql("UPDATE pgbench_accounts SET filler = md5(random()::text) || ' ' || md5(random()::text); VACUUM FULL pgbench_accounts; VACUUM ANALYZE;", db);
    const rawFile = path.join(work, 'raw.dump');
    await run(path.join(cluster.binDir, 'pg_dump'), [...conn, '-Fc', '-f', rawFile, db], env);

    const localTimes: number[] = [];
    const copyTimes = new Map<string, number[]>(remotes.map((r) => [r.name, []]));
    let lastFile = '';
    for (let round = 0; round < rounds; round++) {
      const out = path.join(work, `out-${round}`);
      fs.mkdirSync(out);
      const child = await run(
        process.execPath,
        ['--import', 'tsx', path.join(here, 'backup-child.ts'), cluster.host, String(cluster.port), cluster.user, db, out],
        { ...env, LIFEBOAT_PASSPHRASE: PASSPHRASE },
      );
      const ours = JSON.parse(child.stdout.trim().split('\n').pop()!) as { ms: number; filePath: string };
      localTimes.push(ours.ms);
      for (const remote of round % 2 === 0 ? remotes : [...remotes].reverse()) {
        copyTimes.get(remote.name)!.push(await upload(remote, ours.filePath, `round-${round}/${path.basename(ours.filePath)}`));
      }
      if (lastFile) fs.rmSync(path.dirname(lastFile), { recursive: true, force: true });
      lastFile = ours.filePath;
    }
    const fileBytes = fs.statSync(lastFile).size;
    const localMs = median(localTimes);

    // restore one table from each remote copy: the restore engine reads it through ranged reads
    const rawTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const target = `raw_${round}`;
      const created = await run(path.join(cluster.binDir, 'createdb'), [...conn, target], env);
      const restored = await run(path.join(cluster.binDir, 'pg_restore'), [...conn, '--no-owner', '-d', target, rawFile], env);
      rawTimes.push(created.ms + restored.ms);
      await cluster.psql(`DROP DATABASE ${target}`);
    }
    const rawMs = median(rawTimes);
    const server = { host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable' as const };
    for (const remote of remotes) {
      // the opener gets the location parsed from the URL (bucket + prefix, remote folder); the
      // endpoint and credentials are this remote's, as the CLI takes them from its environment
      const opener = makeDestinationOpener((parsed) =>
        openDestination(
          { ...remote.config, ...(parsed.kind === 's3' ? { bucket: parsed.bucket, prefix: parsed.prefix } : parsed.kind === 'sftp' ? { path: parsed.path } : {}) } as DestinationConfig,
          { secret: remote.secret, ...remote.extra },
        ),
      );
      setRemoteOpener(opener);
      const key = `round-${rounds - 1}/${path.basename(lastFile)}`;
      const dest = await openDestination(remote.config, { secret: remote.secret, ...remote.extra });
      const url = dest.urlOf(key);
      await dest.close();
      const times: number[] = [];
      const readShares: number[] = [];
      try {
        for (let round = 0; round < rounds; round++) {
          forgetDerivedKeys();
          remote.proxy.resetCounts();
          const started = performance.now();
          const result = await restoreDatabase(
            {
              filePath: url,
              passphrase: PASSPHRASE,
              password: cluster.password,
              target: { server, database: `one_${remote.config.kind}_${round}`, mode: 'new', tables: [{ schema: 'public', name: 'pgbench_branches' }], checkRows: true },
            },
            { signal: new AbortController().signal, progress: () => undefined, setTempPath: () => undefined },
          );
          times.push(performance.now() - started);
          readShares.push(remote.proxy.bytesToClient / fileBytes);
          if (result.tables.length !== 1 || result.tables[0]!.actual !== scale) throw new Error(`${remote.name}: restored ${JSON.stringify(result.tables)}`);
          await cluster.psql(`DROP DATABASE one_${remote.config.kind}_${round}`);
        }
      } finally {
        setRemoteOpener(null);
        await opener.close();
      }
      const copyMs = median(copyTimes.get(remote.name)!);
      rows.push([
        remote.name,
        `${(fileBytes / 1e6).toFixed(1)} MB`,
        `${s(localMs)} s`,
        `${s(copyMs)} s`,
        `${s(localMs + copyMs)} s`,
        ((localMs + copyMs) / localMs).toFixed(2),
        `${s(median(times))} s`,
        `${s(rawMs)} s`,
        (median(times) / rawMs).toFixed(2),
        `${(median(readShares) * 100).toFixed(2)} %`,
      ]);
    }
  } finally {
    await Promise.allSettled([s3proxy.close(), sftpProxy.close()]);
    await Promise.allSettled([s3.close(), sftp.stop(), cluster.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
  const header = ['remote', 'file', 'backup local', '+ copy upload', 'backup + copy', 'ratio', 'restore 1 table (remote)', 'createdb+pg_restore (local)', 'ratio', 'file read'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`medians of ${rounds} rounds, pgbench scale ${scale}; ratio = (backup + copy) / backup to the local folder alone (target <= 1.3);`);
  console.log('restore 1 table: pgbench_branches from the remote copy with ranged reads (rows checked) vs a full pg_restore of the local pg_dump -Fc file; "file read": bytes the server sent / file size.');
}
