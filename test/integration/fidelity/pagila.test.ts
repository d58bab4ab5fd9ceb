/**
 * Restore fidelity on a pagila-like database (test/fixtures/pagila-like.sql: owner, application,
 * read-only and oddly named roles, grants, default privileges, a SECURITY DEFINER function with
 * EXECUTE revoked from PUBLIC, large objects with owners and grants, partitions, views, sequences,
 * database settings, comment and grants), with real pg_dump, pg_dumpall and pg_restore: backup
 * through a plan -> verify -> drill -> restore into a new database -> compare with the source
 * (schema with owners and ACLs, data, sequences, large objects, database-level state). Then on a
 * second server that lacks the roles: refused before anything with the roles named (preview, job,
 * CLI, drill), restored without owners and privileges, restored with the roles created from the
 * backup (existing roles untouched). A restoring user that cannot take ownership is refused too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/main/cli/index';
import { BackupReader, readManifest } from '../../../src/main/core/archive/reader';
import { ArchiveWriter } from '../../../src/main/core/archive/writer';
import { restoreDatabase } from '../../../src/main/core/restore/restore-database';
import { safetyBackupStep } from '../../../src/main/core/tasks/safety-backup';
import { verifyBackupFile } from '../../../src/main/core/verify/verify-backup';
import type { BackupManifest, ManifestDatabaseSource } from '../../../src/shared/manifest';
import { databaseTargetSchema, type DatabaseTargetInput, type ServerTarget } from '../../../src/shared/restore';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { makeTempDir, makeTestCore } from '../../support/temp-core';
import { FAST_CONTAINER, PASSPHRASE, appError, backupNow, databaseNames, finished, invoke, planInput, savePlan, testContext } from '../restore/support';
import { dataFingerprints, fidelityOf, largeObjects, normalizedSchema, roleAttributes, rolesPresent, sequenceStates } from './support';

const FIXTURE = fs.readFileSync(path.join(__dirname, '../../fixtures/pagila-like.sql'), 'utf8');
const PAGILA_ROLES = ['Pagila Auditor', 'pagila_app', 'pagila_owner', 'pagila_reader'];

/** A second, small database whose row level security policy names a role. */
const POLICIES_SQL = `
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'policy_reader') THEN CREATE ROLE policy_reader NOLOGIN; END IF; END $$;
CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 1500) g;
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_read ON notes FOR SELECT TO policy_reader USING (id % 2 = 0);
`;

let src: PgCluster;
let fresh: PgCluster;
let core: ReturnType<typeof makeTestCore>;
let work: string;
let backupFile: string;
let backupJobId: string;
let manifest: BackupManifest;
let srcServer: ServerTarget;
let freshServer: ServerTarget;
let pagila: ManifestDatabaseSource;
let sourceFidelity: Record<string, unknown>;

const serverOf = (cluster: PgCluster): ServerTarget => ({ host: cluster.host, port: cluster.port, user: cluster.user, sslMode: 'disable', password: cluster.password });
const target = (server: ServerTarget, input: Omit<DatabaseTargetInput, 'server'>) => databaseTargetSchema.parse({ server, sourceId: pagila.id, ...input });

beforeAll(async () => {
  src = await startPgCluster();
  fresh = await startPgCluster();
  await src.psql('CREATE DATABASE pagila TEMPLATE template0;');
  await src.psql(FIXTURE, 'pagila');
  await src.createDatabase('policies');
  await src.psql(POLICIES_SQL, 'policies');
  srcServer = serverOf(src);
  freshServer = serverOf(fresh);
  work = makeTempDir('lifeboat-fidelity-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
  const sources = [src.source('pagila'), src.source('policies')];
  const plan = await savePlan(
    core,
    planInput({ name: 'Pagila', databases: sources, destination: path.join(work, 'backups') }),
    { dbPasswords: Object.fromEntries(sources.map((s) => [s.id, src.password])), passphrase: PASSPHRASE },
  );
  const job = await backupNow(core, plan);
  backupFile = job.filePath!;
  backupJobId = job.id;
  manifest = await readManifest(backupFile, PASSPHRASE);
  pagila = manifest.sources.find((s): s is ManifestDatabaseSource => s.kind === 'database' && s.database === 'pagila')!;
  sourceFidelity = await fidelityOf(src, 'pagila');
});

afterAll(async () => {
  await core?.cleanup();
  await src?.stop();
  await fresh?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a backup of the pagila-like database', () => {
  it("records the database-level state, the roles it uses and every object's owner and privileges", () => {
    expect(pagila.databaseState).toMatchObject({
      encoding: 'UTF8',
      collate: 'C.UTF-8',
      ctype: 'C.UTF-8',
      localeProvider: 'libc',
      owner: 'pagila_owner',
      comment: 'The DVD rental shop (pagila-like fixture)',
    });
    expect(pagila.databaseState!.acl).toEqual(expect.arrayContaining(['pagila_app=Cc/pagila_owner', '"Pagila Auditor"=T*/pagila_owner']));
    expect(pagila.databaseState!.settings).toEqual([
      { role: null, config: ['search_path="$user", public, reporting', 'statement_timeout=45s'] },
      { role: 'pagila_reader', config: ['statement_timeout=5s'] },
    ]);
    expect(pagila.roles!.map((r) => r.name)).toEqual(expect.arrayContaining([...PAGILA_ROLES, 'pg_database_owner']));
    expect(pagila.roles!.find((r) => r.name === 'pagila_owner')!.uses).toEqual(['default-privileges', 'owner', 'privileges']);
    const fn = pagila.objects!.find((o) => o.kind === 'function' && o.name.startsWith('get_customer_balance('))!;
    // EXECUTE revoked from PUBLIC: no "=X/..." item
    expect(fn).toMatchObject({ owner: 'pagila_owner', acl: ['pagila_app=X/pagila_owner', 'pagila_owner=X/pagila_owner'] });
    expect(pagila.objects!.find((o) => o.kind === 'large object' && o.name === '424242')).toMatchObject({ owner: 'pagila_owner' });
    expect(pagila.objects!.find((o) => o.kind === 'table' && o.name === 'payment_p2022_03')).toMatchObject({ owner: 'pagila_owner' });
  });

  it('stores the role definitions as an entry of their own, without passwords, listed with its SHA-256', async () => {
    expect(pagila.rolesEntry).toBe(`${pagila.entry!.replace(/\.dump$/, '')}-roles.sql`);
    const entry = manifest.entries.find((e) => e.name === pagila.rolesEntry)!;
    expect(entry).toMatchObject({ kind: 'database-roles', sourceId: pagila.id });
    const reader = await BackupReader.open(backupFile, PASSPHRASE);
    let sql = '';
    try {
      for await (const chunk of await reader.openEntry(entry.name)) sql += (chunk as Buffer).toString('utf8');
    } finally {
      await reader.close();
    }
    for (const role of ['"Pagila Auditor"', 'pagila_app', 'pagila_owner', 'pagila_reader']) expect(sql).toContain(`CREATE ROLE ${role};`);
    expect(sql).toContain('CONNECTION LIMIT 20');
    expect(sql).not.toMatch(/PASSWORD|SCRAM|CREATE ROLE (lifeboat|postgres)/);
    const job = core.jobs.detail(backupJobId)!;
    expect(job.sources.every((s) => !/Warning/.test(s.message ?? ''))).toBe(true);
  });

  it('verify checks the roles entry: a changed one fails verification, and a restore that would create roles from it', async () => {
    expect((await verifyBackupFile(backupFile, PASSPHRASE)).status).toBe('passed');
    const { jobId } = await invoke(core, 'verify/run', { jobId: backupJobId });
    expect((await finished(core, jobId)).status).toBe('success');

    // the same backup with other role definitions under the manifest's SHA-256 (chunks authenticate: a writer bug, not an attack)
    const forged = path.join(work, 'forged', 'roles.lifeboat');
    fs.mkdirSync(path.dirname(forged), { recursive: true });
    const good = await BackupReader.open(backupFile, PASSPHRASE);
    const writer = await ArchiveWriter.create({ finalPath: forged, backupId: manifest.backupId, appVersion: 'test', passphrase: PASSPHRASE, compressionLevel: 1, ...FAST_CONTAINER });
    try {
      for (const e of manifest.entries) {
        const stream = e.name === pagila.rolesEntry ? Readable.from([Buffer.from('CREATE ROLE intruder SUPERUSER;\n')]) : await good.openEntry(e.name);
        await writer.addStream(e.name, stream, { store: true });
      }
      await writer.finish(manifest);
    } finally {
      await good.close();
    }
    const report = await verifyBackupFile(forged, PASSPHRASE);
    expect(report.status).toBe('failed');
    expect(report.reasons.join(' ')).toContain(pagila.rolesEntry!);
    const error = await appError(
      restoreDatabase({ filePath: forged, passphrase: PASSPHRASE, target: target(freshServer, { database: 'never_forged', createRoles: true }), password: fresh.password }, testContext()),
    );
    expect(error.code).toBe('FILE_CORRUPT');
    expect(await rolesPresent(fresh, ['intruder', ...PAGILA_ROLES])).toEqual([]);
    expect(await databaseNames(fresh)).not.toContain('never_forged');
  });
});

describe('on the server it came from', () => {
  it('the drill restores owners and privileges and compares them with the backup: proven restorable', async () => {
    const { jobId } = await invoke(core, 'verify/drill', { backupJobId, server: srcServer });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    const list = await invoke(core, 'verify/list', { backupJobId, drill: true });
    const reasons = list.items.find((v) => v.jobId === jobId)!.reasons.join(' ');
    expect(reasons).toMatch(/owners and privileges of \d+ objects match the backup/);
    expect(reasons).toContain('database encoding, locale, settings, privileges and owner match the backup');
    expect((await databaseNames(src)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
  });

  it('restores into a new database equal to the source: schema with owners and ACLs, data, sequences, large objects, database state', async () => {
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server: srcServer, database: 'pagila_copy', sourceId: pagila.id } });
    expect(preview.database?.roles).toMatchObject({ missing: [], refused: false });
    expect(preview.database?.databaseState).toContain("the backup's encoding and locale (UTF8");
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server: srcServer, database: 'pagila_copy', sourceId: pagila.id } });
    const job = await finished(core, jobId);
    expect(job.status, job.displayMessage ?? '').toBe('success');
    expect(job.displayMessage).not.toContain('Not restored');
    // what the comparison covers (so that an equal copy means something)
    const schema = sourceFidelity.schema as string[];
    expect(schema).toEqual(expect.arrayContaining(['ALTER TABLE public.actor OWNER TO pagila_owner;', 'ALTER TABLE public.payment OWNER TO pagila_owner;']));
    expect(schema.some((l) => l.startsWith('REVOKE ALL ON FUNCTION public.get_customer_balance('))).toBe(true);
    expect(schema.some((l) => l.startsWith('ALTER DEFAULT PRIVILEGES FOR ROLE pagila_owner'))).toBe(true);
    expect((sourceFidelity.data as Record<string, string>)['public.payment_p2022_02']).toMatch(/^\d{4}:/);
    expect((sourceFidelity.data as Record<string, string>)['public.rental']).toMatch(/^16000:/);
    expect(sourceFidelity.sequences).toMatchObject({ 'public.actor_actor_id_seq': '250:true', 'public.ticket_seq': '1028:true', 'public.untouched_seq': '42:false' });
    expect(sourceFidelity.largeObjects).toHaveLength(2);
    expect(sourceFidelity.database).toMatchObject({ encoding: 'UTF8', owner: 'pagila_owner', comment: 'The DVD rental shop (pagila-like fixture)' });
    const copy = await fidelityOf(src, 'pagila_copy');
    expect(copy).toEqual(sourceFidelity);
    // what that means for the application: the SECURITY DEFINER function is still not everyone's
    const can = async (role: string) =>
      (await src.psql(`SELECT has_function_privilege('${role}', 'get_customer_balance(integer, timestamptz)', 'EXECUTE')`, 'pagila_copy')).trim();
    expect(await can('pagila_app')).toBe('t');
    expect(await can('pagila_reader')).toBe('f');
    expect((await src.psql("SELECT has_table_privilege('pagila_reader', 'public.film', 'SELECT')", 'pagila_copy')).trim()).toBe('t');
    expect((await src.psql("SELECT has_database_privilege('pagila_reader', 'pagila_copy', 'CONNECT')", 'pagila_copy')).trim()).toBe('t');
    expect((await src.psql("SELECT has_database_privilege('public', 'pagila_copy', 'CONNECT')", 'pagila_copy')).trim()).toBe('f');
  });
});

describe('over an existing database', () => {
  const safety = (dir: string) => safetyBackupStep({ destination: path.join(work, dir), passphrase: PASSPHRASE, appVersion: 'test', containerOptions: FAST_CONTAINER });
  const settingsOf = async (db: string) =>
    (await src.psql(`SELECT coalesce(pg_get_userbyid(nullif(setrole, 0)), '*') || ':' || array_to_string(setconfig, ';') FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = '${db}') ORDER BY 1`))
      .trim()
      .split('\n')
      .filter(Boolean);

  it('a full restore adds the backup settings, comment and grants, keeping the database owner and encoding', async () => {
    await src.psql("CREATE DATABASE pagila_over TEMPLATE template0 ENCODING 'UTF8'; ALTER DATABASE pagila_over SET work_mem = '8MB';");
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target(srcServer, { database: 'pagila_over', mode: 'existing' }), password: src.password, safety: safety('safety-over') },
      testContext(),
    );
    expect(result.databaseStateApplied).toBe(true);
    expect(result.notes).toEqual([]);
    expect(await settingsOf('pagila_over')).toEqual(['*:work_mem=8MB;search_path="$user", public, reporting;statement_timeout=45s', 'pagila_reader:statement_timeout=5s']);
    const level = await fidelityOf(src, 'pagila_over');
    // made by postgres (psql above): it stays postgres's; the grants are given as its owner
    expect(level.database).toMatchObject({ owner: 'postgres', comment: 'The DVD rental shop (pagila-like fixture)', encoding: 'UTF8' });
    expect((level.database as { acl: string[] }).acl).toEqual(expect.arrayContaining(['pagila_app=Cc/postgres', '"Pagila Auditor"=T*/postgres']));
    expect(level.schema).toEqual(sourceFidelity.schema);
    expect(level.data).toEqual(sourceFidelity.data);
  });

  it('a table selection leaves the database-level state alone', async () => {
    await src.psql('CREATE DATABASE pagila_some TEMPLATE template0;');
    const result = await restoreDatabase(
      {
        filePath: backupFile,
        passphrase: PASSPHRASE,
        target: target(srcServer, { database: 'pagila_some', mode: 'existing', tables: [{ schema: 'public', name: 'language' }] }),
        password: src.password,
        safety: safety('safety-some'),
      },
      testContext(),
    );
    expect(result.databaseStateApplied).toBe(false);
    expect(await settingsOf('pagila_some')).toEqual([]);
    expect((await src.psql("SELECT shobj_description(oid, 'pg_database') IS NULL FROM pg_database WHERE datname = 'pagila_some'")).trim()).toBe('t');
    expect((await src.psql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'language'", 'pagila_some')).trim()).toBe('pagila_owner');
  });
});

describe('on a server without the roles', () => {
  it('the preview names the missing roles and says the restore would be refused', async () => {
    const preview = await invoke(core, 'restore/preview', { backupJobId, database: { server: freshServer, database: 'pagila', sourceId: pagila.id } });
    expect(preview.database!.roles).toMatchObject({ missing: PAGILA_ROLES, toCreate: [], refused: true });
    expect(preview.database!.roles!.message).toContain('Missing on the target: "Pagila Auditor", "pagila_app", "pagila_owner", "pagila_reader"');
    const creating = await invoke(core, 'restore/preview', {
      backupJobId,
      database: { server: freshServer, database: 'pagila', sourceId: pagila.id, createRoles: true },
    });
    expect(creating.database!.roles).toMatchObject({ toCreate: PAGILA_ROLES, refused: false });
  });

  it('refuses the restore before anything, naming the roles and the three ways out', async () => {
    const { jobId } = await invoke(core, 'restore/start', { backupJobId, database: { server: freshServer, database: 'pagila', sourceId: pagila.id } });
    const job = await finished(core, jobId);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('RESTORE_ROLES_MISSING');
    for (const role of PAGILA_ROLES) expect(job.displayMessage).toContain(`"${role}"`);
    expect(job.displayMessage).toContain('--create-roles');
    expect(job.displayMessage).toContain('--no-owner --no-privileges');
    expect(job.displayMessage).toContain('create those roles on the server first');
    expect(await databaseNames(fresh)).not.toContain('pagila');
    expect(await rolesPresent(fresh, PAGILA_ROLES)).toEqual([]);
  });

  it('the command line names the missing roles before anything runs; with --no-owner --no-privileges it restores', async () => {
    const home = makeTempDir('lifeboat-cli-home-');
    const passFile = path.join(home, 'pass.txt');
    fs.writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const run = () => {
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { ...process.env, PGPASSWORD: fresh.password, LIFEBOAT_HOME: home, LIFEBOAT_PASSPHRASE: '' }, isTty: false };
      return { out, err, io };
    };
    const url = `postgres://${fresh.user}@127.0.0.1:${fresh.port}/pagila_cli?sslmode=disable`;
    const refused = run();
    expect(await runCli(['restore', backupFile, '--to-db', url, '--source', pagila.id, '--passphrase-file', passFile], refused.io)).toBe(1);
    const said = [...refused.out, ...refused.err].join('\n');
    expect(said).toContain('Missing on the target: "Pagila Auditor", "pagila_app", "pagila_owner", "pagila_reader"');
    expect(said).toContain('--create-roles');
    expect(await databaseNames(fresh)).not.toContain('pagila_cli');

    const without = run();
    const code = await runCli(['restore', backupFile, '--to-db', url, '--source', pagila.id, '--no-owner', '--no-privileges', '--passphrase-file', passFile], without.io);
    expect(code, [...without.out, ...without.err].join('\n')).toBe(0);
    expect(without.err.join('\n')).toContain('Not on the target, and not needed without the backup\'s owners and privileges: "Pagila Auditor", "pagila_app", "pagila_owner", "pagila_reader"');
    expect(without.err.join('\n')).toContain('Owners are not restored');
    expect(await dataFingerprints(fresh, 'pagila_cli')).toEqual(sourceFidelity.data);
    expect(await rolesPresent(fresh, PAGILA_ROLES)).toEqual([]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a drill there fails naming the missing roles; allowed to create them it passes and drops them again', async () => {
    const { jobId } = await invoke(core, 'verify/drill', { backupJobId, server: freshServer });
    const job = await finished(core, jobId);
    expect(job.status).toBe('failed');
    expect(job.errorCode).toBe('RESTORE_ROLES_MISSING');
    expect(job.displayMessage).toContain('"pagila_owner"');
    const created = await invoke(core, 'verify/drill', { backupJobId, server: freshServer, createRoles: true });
    const passed = await finished(core, created.jobId);
    expect(passed.status, passed.displayMessage ?? '').toBe('success');
    expect(passed.displayMessage).toContain('were created for the drill and dropped again');
    expect(await rolesPresent(fresh, [...PAGILA_ROLES, 'policy_reader'])).toEqual([]);
    expect((await databaseNames(fresh)).filter((d) => d.startsWith('lifeboat_drill_'))).toEqual([]);
  });

  it('without owners and privileges: the same data, sequences and large objects, everything owned by the restoring user', async () => {
    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target(freshServer, { database: 'pagila_plain', noOwner: true, noPrivileges: true }), password: fresh.password },
      testContext(),
    );
    expect(result.mismatches).toEqual([]);
    expect(result.roles).toMatchObject({ missing: [], leftOut: PAGILA_ROLES, refused: false });
    expect(await dataFingerprints(fresh, 'pagila_plain')).toEqual(sourceFidelity.data);
    expect(await sequenceStates(fresh, 'pagila_plain')).toEqual(sourceFidelity.sequences);
    const objects = await largeObjects(fresh, 'pagila_plain');
    expect(objects.map((o) => o.split('|')[0])).toEqual(['424242', '424243']);
    expect(objects.every((o) => o.split('|')[1] === fresh.user)).toBe(true);
    expect((await normalizedSchema(fresh, 'pagila_plain')).filter((l) => /pagila_|Pagila Auditor/.test(l))).toEqual([]);
    // settings that name no role are the database's own and come back; the owner is the restoring user
    const settings = (await fresh.psql("SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'pagila_plain')")).trim();
    expect(settings).toBe('search_path="$user", public, reporting;statement_timeout=45s');
    expect((await fresh.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'pagila_plain'")).trim()).toBe(fresh.user);
  });

  it('a policy that names a missing role is refused even without owners and privileges; created, the policy comes back', async () => {
    const policies = manifest.sources.find((s) => s.kind === 'database' && s.database === 'policies')!;
    const error = await appError(
      restoreDatabase(
        {
          filePath: backupFile,
          passphrase: PASSPHRASE,
          target: databaseTargetSchema.parse({ server: freshServer, database: 'policies', sourceId: policies.id, noOwner: true, noPrivileges: true }),
          password: fresh.password,
        },
        testContext(),
      ),
    );
    expect(error.code).toBe('RESTORE_ROLES_MISSING');
    expect(error.message).toContain('"policy_reader"');
    expect(await databaseNames(fresh)).not.toContain('policies');
    await restoreDatabase(
      {
        filePath: backupFile,
        passphrase: PASSPHRASE,
        target: databaseTargetSchema.parse({ server: freshServer, database: 'policies', sourceId: policies.id, createRoles: true }),
        password: fresh.password,
      },
      testContext(),
    );
    expect((await fresh.psql("SELECT polname || ':' || array_to_string(polroles::regrole[], ',') FROM pg_policy", 'policies')).trim()).toBe('notes_read:policy_reader');
  });

  it('with one role missing the refusal names that one; created from the backup, the existing roles untouched, owners and grants match', async () => {
    await fresh.psql('CREATE ROLE pagila_owner NOLOGIN; CREATE ROLE pagila_app LOGIN CONNECTION LIMIT 5; CREATE ROLE pagila_reader NOLOGIN;');
    const error = await appError(
      restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target(freshServer, { database: 'pagila' }), password: fresh.password }, testContext()),
    );
    expect(error.code).toBe('RESTORE_ROLES_MISSING');
    expect(error.message).toContain(`missing on 127.0.0.1:${fresh.port}: "Pagila Auditor"`);
    expect(error.message).not.toContain('"pagila_app"');
    expect(await databaseNames(fresh)).not.toContain('pagila');

    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target(freshServer, { database: 'pagila', createRoles: true }), password: fresh.password },
      testContext(),
    );
    expect(result.rolesCreated).toEqual(['Pagila Auditor']);
    expect(result.notes).toEqual([]);
    expect(await roleAttributes(fresh, 'Pagila Auditor')).toBe(await roleAttributes(src, 'Pagila Auditor'));
    // an existing role is never changed: its own connection limit, not the backup's 20
    expect((await fresh.psql("SELECT rolconnlimit FROM pg_roles WHERE rolname = 'pagila_app'")).trim()).toBe('5');
    expect(await fidelityOf(fresh, 'pagila')).toEqual(sourceFidelity);
  });
});

describe('a restoring user that is not a superuser', () => {
  it('is refused owners it cannot give objects to, naming the roles; without owners and privileges it restores', async () => {
    await src.psql("CREATE ROLE restorer LOGIN CREATEDB PASSWORD 'restorer-pass';");
    const server = { ...srcServer, user: 'restorer', password: 'restorer-pass' };
    const error = await appError(
      restoreDatabase({ filePath: backupFile, passphrase: PASSPHRASE, target: target(server, { database: 'by_restorer' }), password: 'restorer-pass' }, testContext()),
    );
    expect(error.code).toBe('RESTORE_OWNERSHIP_DENIED');
    expect(error.message).toContain('"pagila_owner"');
    expect(error.message).toContain('--no-owner');
    expect(await databaseNames(src)).not.toContain('by_restorer');

    const result = await restoreDatabase(
      { filePath: backupFile, passphrase: PASSPHRASE, target: target(server, { database: 'by_restorer', noOwner: true, noPrivileges: true }), password: 'restorer-pass' },
      testContext(),
    );
    expect(result.mismatches).toEqual([]);
    expect(await dataFingerprints(src, 'by_restorer')).toEqual(sourceFidelity.data);
  });
});
