/**
 * The remote section of `npm run bench` (BENCH_SECTIONS=remote): off-site copies on loopback
 * servers started here, S3 (s3rver) and SFTP (Debian's sshd), on the same pgbench database.
 *   backup + copy:  `lifeboat backup --db ... --out DIR --out <remote>` (the copy uploads while
 *                   the backup is written, following the file: tasks/follow-upload.ts, as a plan's
 *                   copies do)  vs  `lifeboat backup --db ... --out DIR` alone; both timed as the
 *                   job's own duration (started -> finished, so the process start is not in it),
 *                   without verification (target: ratio <= 1.3). For reference, the old way: the
 *                   backup alone plus the finished file uploaded after it.
 *   restore one table from the remote copy (ranged reads: header, index, manifest and the chunks
 *                   of that table's data)  vs  `createdb` + `pg_restore` of the whole plain
 *                   `pg_dump -Fc` file on local disk; and the share of the file the restore read.
 * Knobs: BENCH_REMOTE_SCALE (pgbench scale, default 10: ~165 MB), BENCH_ROUNDS (default 3 here).
 */
import { spawn } from 'node:child_process';
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
import { startSftpServer } from '../test/support/sftp-server';
import { median, run } from './proc';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const PASSPHRASE = 'bench passphrase, not a secret';
const s = (ms: number) => (ms / 1000).toFixed(2);

interface Remote {
  name: string;
  config: DestinationConfig;
  secret: string | null;
  /** counts the bytes the restore reads (the backups themselves go to the server directly) */
  proxy: CountingProxy;
  /** the same destination without the proxy: the backup + copy runs and the old-way upload */
  direct: DestinationConfig;
  extra?: { acceptHostKey?: string; privateKeyFile?: string };
}

async function upload(remote: Remote, file: string, key: string): Promise<number> {
  const dest: Destination = await openDestination(remote.direct, { secret: remote.secret, ...remote.extra });
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

/** The CPU priority the S3 emulator runs at (nice(1)): it stands in for a server on other machines. */
const S3_NICE = 10;

/** s3rver in a child process at nice S3_NICE (bench/s3-child.ts); close() ends it. */
async function startNicedS3Server(): Promise<{ endpoint: string; port: number; region: string; accessKeyId: string; secretAccessKey: string; close(): Promise<void> }> {
  const child = spawn('nice', ['-n', String(S3_NICE), process.execPath, '--import', 'tsx', path.join(here, 's3-child.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`the S3 server process exited (${code}) before it started`)));
  });
  return {
    ...(JSON.parse(line) as { endpoint: string; port: number; region: string; accessKeyId: string; secretAccessKey: string }),
    close: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

export async function runRemoteSection(): Promise<void> {
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
  const scale = Number(process.env.BENCH_REMOTE_SCALE ?? 10);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-remote-'));
  const cluster = await startPgCluster();
  const s3 = await startNicedS3Server();
  const sftp = await startSftpServer();
  const s3proxy = await startCountingProxy({ port: s3.port });
  const sftpProxy = await startCountingProxy({ port: sftp.port });
  const remotes: Remote[] = [
    {
      name: 'S3 (s3rver)',
      config: { kind: 's3', id: 's3', endpoint: s3proxy.url, region: s3.region, bucket: 'bench', prefix: 'lifeboat', forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack: false, hasSecret: true },
      secret: s3.secretAccessKey,
      proxy: s3proxy,
      direct: { kind: 's3', id: 's3', endpoint: s3.endpoint, region: s3.region, bucket: 'bench', prefix: 'lifeboat', forcePathStyle: true, credentials: 'keychain', accessKeyId: s3.accessKeyId, readBack: false, hasSecret: true },
    },
    {
      name: 'SFTP (sshd)',
      config: { kind: 'sftp', id: 'sftp', host: '127.0.0.1', port: sftpProxy.port, user: sftp.user, path: sftp.root, auth: 'key', keyFile: sftp.userKeyFile, hostKey: sftp.hostKeyFingerprint, readBack: false, hasSecret: false },
      secret: null,
      proxy: sftpProxy,
      direct: { kind: 'sftp', id: 'sftp', host: '127.0.0.1', port: sftp.port, user: sftp.user, path: sftp.root, auth: 'key', keyFile: sftp.userKeyFile, hostKey: sftp.hostKeyFingerprint, readBack: false, hasSecret: false },
    },
  ];
  const env = { PGPASSWORD: cluster.password };
  const conn = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const rows: string[][] = [];
  const peerRows: string[][] = [];
  let cliDir = '';
  try {
    const db = 'bench_remote';
    console.error(`remote: preparing pgbench scale ${scale} ...`);
    await cluster.createDatabase(db);
    await run(path.join(cluster.binDir, 'pgbench'), ['-i', '-q', '-s', String(scale), ...conn, db], env);
    await cluster.psql("UPDATE pgbench_accounts SET filler = md5(random()::text) || ' ' || md5(random()::text); VACUUM FULL pgbench_accounts; VACUUM ANALYZE;", db);
    const rawFile = path.join(work, 'raw.dump');
    await run(path.join(cluster.binDir, 'pg_dump'), [...conn, '-Fc', '-f', rawFile, db], env);

    // the lifeboat command, built once as `npm install` builds it, run by plain node
    fs.mkdirSync(path.join(repo, 'out'), { recursive: true });
    cliDir = fs.mkdtempSync(path.join(repo, 'out', '.bench-cli-'));
    await run(process.execPath, [path.join(repo, 'scripts/build-cli.mjs'), '--outdir', cliDir]);
    const cli = path.join(cliDir, 'lifeboat.mjs');
    const knownHosts = path.join(work, 'known_hosts');
    fs.writeFileSync(knownHosts, '');
    const cliEnv = {
      ...env,
      LIFEBOAT_HOME: path.join(work, 'home'),
      LIFEBOAT_PASSPHRASE: PASSPHRASE,
      // straight to the servers: the counting proxies (JavaScript on the same two cores) are for the restore's byte counts
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
      LIFEBOAT_SSH_KNOWN_HOSTS: knownHosts,
    };
    const dbUrl = `postgres://${cluster.user}@${cluster.host}:${cluster.port}/${db}`;
    /** `lifeboat backup` of the database to `outs`; the job's own duration and its file */
    const cliBackup = async (outs: string[], extra: string[] = []): Promise<{ ms: number; filePath: string }> => {
      const child = await run(process.execPath, [cli, 'backup', '--db', dbUrl, ...outs.flatMap((o) => ['--out', o]), '--no-verify', '--json', ...extra], cliEnv);
      const result = JSON.parse(child.stdout) as { status: string; startedAt: string; finishedAt: string; filePath: string; displayMessage: string; copies: { status: string }[] };
      if (result.status !== 'success' || result.copies.length !== outs.length - 1 || result.copies.some((c) => c.status !== 'uploaded')) {
        throw new Error(`remote: lifeboat backup ${outs.join(' ')}: ${result.status}: ${result.displayMessage}`);
      }
      return { ms: Date.parse(result.finishedAt) - Date.parse(result.startedAt), filePath: result.filePath };
    };
    const remoteOut = (remote: Remote, round: number): { url: string; extra: string[] } =>
      remote.config.kind === 's3'
        ? { url: `s3://bench/lifeboat/round-${round}`, extra: [] }
        : { url: `sftp://${sftp.user}@127.0.0.1:${sftp.port}${sftp.root}/round-${round}`, extra: ['--ssh-key', sftp.userKeyFile, '--accept-host-key', sftp.hostKeyFingerprint] };

    const localTimes: number[] = [];
    const copyTimes = new Map<string, number[]>(remotes.map((r) => [r.name, []]));
    const uploadTimes = new Map<string, number[]>(remotes.map((r) => [r.name, []]));
    /** each remote's copy of the last round: the restore below reads it */
    const lastCopies = new Map<string, { key: string; bytes: number }>();
    for (let round = 0; round < rounds; round++) {
      const roundDir = path.join(work, `round-${round}`);
      const order: (Remote | null)[] = round % 2 === 0 ? [null, ...remotes] : [...[...remotes].reverse(), null];
      let localFile = '';
      for (const remote of order) {
        const out = path.join(roundDir, remote ? remote.config.kind : 'local');
        fs.mkdirSync(out, { recursive: true });
        if (!remote) {
          const ours = await cliBackup([out]);
          localTimes.push(ours.ms);
          localFile = ours.filePath;
          continue;
        }
        const target = remoteOut(remote, round);
        const ours = await cliBackup([out, target.url], target.extra);
        copyTimes.get(remote.name)!.push(ours.ms);
        lastCopies.set(remote.name, { key: `round-${round}/${path.basename(ours.filePath)}`, bytes: fs.statSync(ours.filePath).size });
      }
      // the old way for reference: the finished file uploaded after the backup
      for (const remote of remotes) uploadTimes.get(remote.name)!.push(await upload(remote, localFile, `after-${round}/${path.basename(localFile)}`));
      if (round > 0) fs.rmSync(path.join(work, `round-${round - 1}`), { recursive: true, force: true });
    }
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
      const { key, bytes: fileBytes } = lastCopies.get(remote.name)!;
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
      const uploadMs = median(uploadTimes.get(remote.name)!);
      rows.push([
        remote.name,
        `${(fileBytes / 1e6).toFixed(1)} MB`,
        `${s(localMs)} s`,
        `${s(copyMs)} s`,
        (copyMs / localMs).toFixed(2),
        `${s(localMs + uploadMs)} s`,
        ((localMs + uploadMs) / localMs).toFixed(2),
        `${s(median(times))} s`,
        `${s(rawMs)} s`,
        (median(times) / rawMs).toFixed(2),
        `${(median(readShares) * 100).toFixed(2)} %`,
      ]);
      const peer = await resticPeer({ remote, rounds, cluster, db, conn, env, s3, sftp, scale }).catch((error: Error) => {
        console.error(`remote: restic on ${remote.name} failed, left out of the table: ${error.message}`);
        return null;
      });
      if (peer) {
        const oneMs = median(times);
        peerRows.push([remote.name, `${s(copyMs)} s`, `${s(peer.backupMs)} s`, (copyMs / peer.backupMs).toFixed(2), `${s(oneMs)} s`, `${s(peer.oneTableMs)} s`, (oneMs / peer.oneTableMs).toFixed(2)]);
      }
    }
  } finally {
    if (cliDir) fs.rmSync(cliDir, { recursive: true, force: true });
    await Promise.allSettled([s3proxy.close(), sftpProxy.close()]);
    await Promise.allSettled([s3.close(), sftp.stop(), cluster.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
  const header = ['remote', 'file', 'backup local', 'backup + copy', 'ratio', 'old: + upload after', 'old ratio', 'restore 1 table (remote)', 'createdb+pg_restore (local)', 'ratio', 'file read'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`medians of ${rounds} rounds, pgbench scale ${scale}; ratio = lifeboat backup with the copy (uploaded while the backup is written) / the same backup to the local folder alone (target <= 1.3), both without verification;`);
  console.log(`servers on loopback: sshd as installed, s3rver (JavaScript) at nice ${S3_NICE}, standing in for a server on other machines (its CPU would otherwise be charged to the backup on these 2 cores).`);
  console.log('old: the backup alone plus the finished file uploaded after it (how copies were made before they followed the file).');
  console.log('restore 1 table: pgbench_branches from the remote copy with ranged reads (rows checked) vs a full pg_restore of the local pg_dump -Fc file; "file read": bytes the server sent / file size.');
  if (peerRows.length > 0) {
    console.log('');
    const peerHeader = ['remote', 'lifeboat: backup + copy', 'restic: pg_dump -Fc | restic backup --stdin', 'L/restic', 'lifeboat: 1 table', 'restic: restic dump | pg_restore -t', 'L/restic'];
    const peerWidths = peerHeader.map((h, i) => Math.max(h.length, ...peerRows.map((r) => r[i]!.length)));
    const peerLine = (cells: string[]) => cells.map((c, i) => c.padStart(peerWidths[i]!)).join('  ');
    console.log(peerLine(peerHeader));
    for (const r of peerRows) console.log(peerLine(r));
    console.log('the peer on the same servers and database: restic (Debian), a fresh encrypted repository each round (so nothing is deduplicated against an earlier round);');
    console.log('lifeboat writes a local primary and the remote copy, restic only the remote; one table: createdb + `restic dump latest db.dump | pg_restore -t pgbench_branches`.');
  }
}

/** What restic, the tool an admin would script instead, takes on the same server: medians of `rounds`. */
async function resticPeer(args: {
  remote: Remote;
  rounds: number;
  cluster: Awaited<ReturnType<typeof startPgCluster>>;
  db: string;
  conn: string[];
  env: Record<string, string>;
  s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  sftp: { user: string; port: number; root: string; userKeyFile: string };
  scale: number;
}): Promise<{ backupMs: number; oneTableMs: number }> {
  const { remote, rounds, cluster, db, conn, env, s3, sftp, scale } = args;
  const bin = cluster.binDir;
  const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const backupTimes: number[] = [];
  const oneTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const repo =
      remote.config.kind === 's3' ? `s3:${s3.endpoint}/bench/restic-${round}` : `sftp:${sftp.user}@127.0.0.1:${sftp.root}/restic-${round}`;
    const resticEnv: Record<string, string> = {
      ...env,
      RESTIC_REPOSITORY: repo,
      RESTIC_PASSWORD: PASSPHRASE,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
    // restic runs ssh itself: the port, the key and this throwaway server's host key
    const sshOption =
      remote.config.kind === 'sftp'
        ? ` -o ${q(`sftp.command=ssh -p ${sftp.port} -i ${sftp.userKeyFile} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR ${sftp.user}@127.0.0.1 -s sftp`)}`
        : '';
    await run('bash', ['-c', `restic${sshOption} init -q`], resticEnv);
    const backup = await run(
      'bash',
      ['-c', `set -o pipefail; ${q(path.join(bin, 'pg_dump'))} ${conn.map(q).join(' ')} -Fc ${q(db)} | restic${sshOption} backup -q --stdin --stdin-filename db.dump`],
      resticEnv,
    );
    backupTimes.push(backup.ms);
    const target = `restic_one_${remote.config.kind}_${round}`;
    const started = performance.now();
    await run(path.join(bin, 'createdb'), [...conn, target], env);
    await run(
      'bash',
      ['-c', `set -o pipefail; restic${sshOption} dump -q latest db.dump | ${q(path.join(bin, 'pg_restore'))} ${conn.map(q).join(' ')} --no-owner -t pgbench_branches -d ${q(target)}`],
      resticEnv,
    );
    oneTimes.push(performance.now() - started);
    const rows = Number((await cluster.psql('SELECT count(*) FROM pgbench_branches', target)).trim());
    if (rows !== scale) throw new Error(`restic restored ${rows} rows of pgbench_branches, expected ${scale}`);
    await cluster.psql(`DROP DATABASE ${target}`);
  }
  return { backupMs: median(backupTimes), oneTableMs: median(oneTimes) };
}
