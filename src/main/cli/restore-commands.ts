/**
 * `lifeboat restore` and `lifeboat verify --drill`: the same restore and drill jobs as the app.
 * Secrets as everywhere in the CLI: the passphrase from --passphrase-file or LIFEBOAT_PASSPHRASE,
 * server passwords from PGPASSWORD or ~/.pgpass, never from an argument.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { AppError, toTransferable } from '../../shared/errors';
import type { JobDetail, JobSummary } from '../../shared/job';
import type { BackupManifest, ManifestDatabaseSource } from '../../shared/manifest';
import { CONFLICT_POLICIES, databaseTargetSchema, tableRefSchema, type ConflictPolicy, type RebuildCatalogResult, type ServerTarget, type TableRef } from '../../shared/restore';
import type { LifeboatCore } from '../core/lifeboat';
import { readHeaderInfo } from '../core/restore/backup-index';
import { openManifest, previewDatabaseRestore } from '../core/restore/preview';
import { tableLabel } from '../core/restore/table-selection';
import { startDrillJob } from '../core/tasks/drill-job';
import { startRestoreJob } from '../core/tasks/restore-job';
import { importBackupFile, rebuildCatalogFromFolder } from '../core/tasks/import-backup';
import { backupFolderOf, isRemoteLocation, listRemoteBackups } from '../core/destinations/remote-open';
import { parseDestinationUrl } from '../core/destinations/url';
import { backupLocation, checkBackupFile, parseDatabaseUrl, readPassphrase } from './args';
import { acceptHostKeyOption, sshKeyOption } from './remote-options';

export interface CliDeps {
  io: { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv };
  openCore(passphrase: string | null): LifeboatCore;
  followJob(core: LifeboatCore, job: JobSummary, json: boolean): Promise<JobDetail>;
  printJob(detail: JobDetail, json: boolean): void;
  setExitFor(detail: JobDetail): void;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** A server from a postgres:// URL; the database part (default postgres) is where CREATE/DROP DATABASE run. */
export function parseServerUrl(url: string, env: NodeJS.ProcessEnv): ServerTarget {
  let withDb = url;
  try {
    const parsed = new URL(url);
    if (parsed.pathname === '' || parsed.pathname === '/') {
      parsed.pathname = '/postgres';
      withDb = parsed.toString();
    }
  } catch {
    // parseDatabaseUrl explains what a URL should look like
  }
  const source = parseDatabaseUrl(withDb, 'server');
  return {
    host: source.host,
    port: source.port,
    user: source.user,
    sslMode: source.sslMode,
    password: env.PGPASSWORD || undefined,
    maintenanceDatabase: source.database,
  };
}

/**
 * `--tables a,b` against the backup: `schema.table`, or a bare name that must be unique in the
 * backup, matched exactly as given (a trailing space or a newline is part of the name; spaces
 * around a comma are dropped only when the exact name is not in the backup). VALIDATION names
 * the choices when a name is unknown or ambiguous; a name with a comma needs --tables-json.
 */
export function resolveTableNames(manifest: BackupManifest, names: string[], option = '--tables'): TableRef[] {
  const tables = manifest.sources.filter((s): s is ManifestDatabaseSource => s.kind === 'database').flatMap((s) => s.tables);
  const matching = (name: string) => {
    const exact = tables.filter((t) => `${t.schema}.${t.name}` === name);
    return exact.length ? exact : tables.filter((t) => t.name === name);
  };
  return names.map((name) => {
    let found = matching(name);
    if (found.length === 0 && name.trim() !== name) found = matching(name.trim());
    if (found.length === 1) return { schema: found[0]!.schema, name: found[0]!.name };
    const known = tables.map(tableLabel).join(', ');
    throw new AppError('VALIDATION', {
      detail: found.length
        ? `${option} ${JSON.stringify(name)} is in several schemas; write schema.table (${found.map(tableLabel).join(', ')})`
        : `${option} ${JSON.stringify(name)} is not in the backup; it holds: ${known || 'no tables'} (names with spaces, commas or newlines: --tables-json '[{"schema":"public","name":"a b "}]')`,
    });
  });
}

/**
 * `--tables-json '[{"schema":"public","name":"a b "}, "orders"]'`: tables by their exact names,
 * whatever they hold (spaces, commas, quotes, newlines as \n); a string is resolved as in --tables.
 */
export function parseTablesJson(manifest: BackupManifest, text: string): TableRef[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AppError('VALIDATION', { detail: `--tables-json is not JSON: ${(error as Error).message}` });
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.map((item) => {
    if (typeof item === 'string') return resolveTableNames(manifest, [item], '--tables-json')[0]!;
    const ref = tableRefSchema.safeParse(item);
    if (!ref.success) throw new AppError('VALIDATION', { detail: `--tables-json takes [{"schema": "...", "name": "..."}, ...], not ${JSON.stringify(item)}` });
    const known = manifest.sources.some((s) => s.kind === 'database' && s.tables.some((t) => t.schema === ref.data.schema && t.name === ref.data.name));
    if (!known) throw new AppError('VALIDATION', { detail: `--tables-json ${tableLabel(ref.data)} is not in the backup` });
    return ref.data;
  });
}

/**
 * `--source <id>` must name a source of the backup of a kind the command restores: a typo must
 * not restore everything. VALIDATION lists the backup's sources otherwise.
 */
export function checkSourceId(manifest: BackupManifest, id: string, restores: { database: boolean; files: boolean }): void {
  const known = manifest.sources.map((s) => `${s.id} (${s.kind} ${s.label})`).join(', ') || 'none';
  const source = manifest.sources.find((s) => s.id === id);
  if (!source) throw new AppError('VALIDATION', { detail: `--source ${id} is not in the backup; its sources are: ${known}` });
  if (source.kind === 'database' && !restores.database) {
    throw new AppError('VALIDATION', { detail: `--source ${id} is a database, which needs --to-db; the backup's sources are: ${known}` });
  }
  if (source.kind === 'folder' && !restores.files) {
    throw new AppError('VALIDATION', { detail: `--source ${id} is a folder, which needs --to-folder or --to-original; the backup's sources are: ${known}` });
  }
}

export function registerRestoreCommand(program: Command, deps: CliDeps): void {
  program
    .command('restore')
    .argument('<file>', 'a .lifeboat file, or its s3://, azure:// or sftp:// URL (reads only the parts it restores)')
    .description('restore a backup: databases into a new (or, with --over-existing, an existing) database; files into a folder')
    .option('--to-db <url>', 'postgres://user@host:port/dbname to restore the database into (password from PGPASSWORD or ~/.pgpass)')
    .option('--tables <list>', 'only these tables, comma-separated (schema.table, or a name unique in the backup)')
    .option('--tables-json <json>', 'only these tables by exact name, as JSON: \'[{"schema":"public","name":"a b "}]\' (for names with commas, newlines...)')
    .option('--over-existing', 'restore over the existing database in --to-db (a safety backup of it is taken first)')
    .option('--no-row-check', "skip counting the restored tables' rows against the backup (saves one read of every table)")
    .option('--no-owner', "do not restore the backup's owners: every object belongs to the restoring user")
    .option('--no-privileges', "do not restore the backup's GRANTs and REVOKEs, default privileges and per-role database settings")
    .option('--create-roles', 'create the roles the backup uses that the target server lacks, from the definitions in the backup (without passwords)')
    .option('--source <id>', 'which database or folder of the backup, when it holds several')
    .option('--to-folder <dir>', 'restore the files into this folder')
    .option('--to-original', 'restore the files where they were backed up from')
    .option('--paths <list>', 'only these files or folders, comma-separated, relative to the backed-up folder')
    .option('--conflict <policy>', `what to do when a file exists and differs: ${CONFLICT_POLICIES.join(', ')}`, 'skip')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase (or set LIFEBOAT_PASSPHRASE)')
    .option('--allow-expensive-kdf', 'open a file whose header asks for a costlier key derivation than Lifeboat writes (still at most 1 GiB)')
    .option('--safety-passphrase-file <file>', 'with --over-existing and an unencrypted backup: the passphrase of the (always encrypted) safety backup')
    .addOption(sshKeyOption())
    .addOption(acceptHostKeyOption())
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts) => {
      const { io } = deps;
      const filePath = backupLocation(file);
      if (!opts.toDb && !opts.toFolder && !opts.toOriginal) {
        throw new AppError('VALIDATION', { detail: 'say where to restore: --to-db <url>, --to-folder <dir> or --to-original' });
      }
      if (opts.toFolder && opts.toOriginal) throw new AppError('VALIDATION', { detail: 'give --to-folder or --to-original, not both' });
      if (!(CONFLICT_POLICIES as readonly string[]).includes(opts.conflict)) {
        throw new AppError('VALIDATION', { detail: `--conflict takes ${CONFLICT_POLICIES.join(', ')}` });
      }
      if ((opts.tables || opts.tablesJson || opts.overExisting) && !opts.toDb) {
        throw new AppError('VALIDATION', { detail: '--tables, --tables-json and --over-existing need --to-db' });
      }
      if ((opts.owner === false || opts.privileges === false || opts.createRoles) && !opts.toDb) {
        throw new AppError('VALIDATION', { detail: '--no-owner, --no-privileges and --create-roles need --to-db' });
      }
      if (opts.paths && !opts.toFolder && !opts.toOriginal) throw new AppError('VALIDATION', { detail: '--paths needs --to-folder or --to-original' });
      await checkBackupFile(filePath);
      const header = await readHeaderInfo(filePath);
      const given = readPassphrase(opts.passphraseFile, io.env, 'decrypt');
      // a passphrase for a file that is not encrypted: it may be a stand-in nothing authenticates
      if (!header.encrypted && given) throw new AppError('BACKUP_NOT_ENCRYPTED', { detail: filePath });
      const passphrase = header.encrypted ? given : null;
      if (header.encrypted && !passphrase) throw new AppError('PASSPHRASE_REQUIRED');
      const safetyPassphrase = opts.safetyPassphraseFile ? readPassphrase(opts.safetyPassphraseFile, {}) : null;
      // its sources and tables: a folder's items are read by the restore itself
      const manifest = await openManifest(filePath, passphrase, { items: false });
      if (opts.source) checkSourceId(manifest, opts.source, { database: Boolean(opts.toDb), files: Boolean(opts.toFolder || opts.toOriginal) });

      let database;
      if (opts.toDb) {
        const target = parseDatabaseUrl(opts.toDb, 'target');
        const dbSources = manifest.sources.filter((s) => s.kind === 'database');
        database = {
          server: {
            host: target.host,
            port: target.port,
            user: target.user,
            sslMode: target.sslMode,
            password: io.env.PGPASSWORD || undefined,
          },
          database: target.database,
          mode: opts.overExisting ? ('existing' as const) : ('new' as const),
          sourceId: opts.source && dbSources.some((s) => s.id === opts.source) ? (opts.source as string) : undefined,
          tables:
            opts.tables || opts.tablesJson
              ? [
                  // split on commas only: the names are matched exactly (see resolveTableNames)
                  ...(opts.tables ? resolveTableNames(manifest, (opts.tables as string).split(',').filter((v) => v.trim())) : []),
                  ...(opts.tablesJson ? parseTablesJson(manifest, opts.tablesJson as string) : []),
                ]
              : undefined,
          checkRows: opts.rowCheck !== false,
          noOwner: opts.owner === false || undefined,
          noPrivileges: opts.privileges === false || undefined,
          createRoles: opts.createRoles === true || undefined,
        };
        // before anything runs: which roles the target lacks and what becomes of them (the restore refuses, naming them, when nothing was chosen)
        const roles = await previewDatabaseRestore(manifest, databaseTargetSchema.parse(database), io.env.PGPASSWORD || null).then(
          (preview) => preview.roles,
          () => null,
        );
        if (roles?.missing.length || roles?.leftOut.length) io.err(`lifeboat: ${roles.message}`);
      }
      const files =
        opts.toFolder || opts.toOriginal
          ? {
              folder: opts.toFolder ? path.resolve(opts.toFolder) : undefined,
              conflict: opts.conflict as ConflictPolicy,
              sourceId: opts.source && manifest.sources.some((s) => s.kind === 'folder' && s.id === opts.source) ? (opts.source as string) : undefined,
              paths: opts.paths ? list(opts.paths) : undefined,
            }
          : undefined;

      const core = deps.openCore(passphrase);
      try {
        const job = await startRestoreJob(core, { filePath, passphrase, database, files, safetyPassphrase }, { env: io.env, actor: 'cli' });
        const detail = await deps.followJob(core, job, Boolean(opts.json));
        deps.printJob(detail, Boolean(opts.json));
        deps.setExitFor(detail);
      } finally {
        await core.close();
      }
    });
}

/**
 * `lifeboat import <file-or-url-or-folder>`: brings backups into the catalog (a new machine, a
 * lost catalog): one .lifeboat file or its s3://, azure://, sftp:// URL; every .lifeboat file in a
 * folder; or every backup below a remote prefix (any depth: a plan's copies lie in a folder of
 * their own). Each is read whole once (every chunk authenticated, its SHA-256 recorded), as the
 * app's Import and Rebuild catalog do. Exit 1 when nothing could be imported and something
 * failed, 3 when some failed.
 */
export function registerImportCommand(program: Command, deps: CliDeps & { setExit(code: number): void }): void {
  program
    .command('import')
    .argument('<location>', 'a .lifeboat file or folder, or an s3://, azure://, sftp:// URL of a backup or of a prefix holding backups')
    .description('add backups to the catalog: one file or URL, every .lifeboat file in a folder, or every backup below a remote prefix')
    .option('--passphrase-file <file>', 'file whose first line is the passphrase of the backups (or set LIFEBOAT_PASSPHRASE)')
    .option('--allow-expensive-kdf', 'open a file whose header asks for a costlier key derivation than Lifeboat writes (still at most 1 GiB)')
    .addOption(sshKeyOption())
    .addOption(acceptHostKeyOption())
    .option('--json', 'print the result as JSON')
    .action(async (location: string, opts) => {
      const { io } = deps;
      const passphrase = readPassphrase(opts.passphraseFile, io.env, 'decrypt');
      const remote = isRemoteLocation(location);
      const oneBackup = remote ? parseDestinationUrl(location).key !== null : !fs.statSync(location, { throwIfNoEntry: false })?.isDirectory();
      const core = deps.openCore(passphrase);
      try {
        let result: RebuildCatalogResult;
        if (oneBackup) {
          const where = await checkBackupFile(location);
          const imported = await importBackupFile(core, where, passphrase);
          result = { folder: backupFolderOf(where), imported: imported.imported ? [imported] : [], alreadyKnown: imported.imported ? [] : [imported], failed: [] };
        } else if (remote) {
          result = { folder: location, imported: [], alreadyKnown: [], failed: [] };
          for (const object of await listRemoteBackups(location)) {
            try {
              const imported = await importBackupFile(core, object.url, passphrase);
              (imported.imported ? result.imported : result.alreadyKnown).push(imported);
            } catch (error) {
              const { code, message } = toTransferable(error);
              result.failed.push({ filePath: object.url, code, message });
            }
          }
        } else {
          result = await rebuildCatalogFromFolder(core, location, passphrase);
        }
        core.audit.record('cli', 'catalog.import', null, { location: result.folder, imported: result.imported.length, alreadyKnown: result.alreadyKnown.length, failed: result.failed.length });
        if (opts.json) io.out(JSON.stringify(result, null, 2));
        else {
          for (const r of result.imported) io.out(`imported  ${r.backupId}  ${r.filePath}`);
          for (const r of result.alreadyKnown) io.out(`known     ${r.backupId}  ${r.filePath}`);
          for (const f of result.failed) io.out(`FAILED    ${f.filePath}: ${f.message}`);
          io.out(`${result.imported.length} imported, ${result.alreadyKnown.length} already in the catalog, ${result.failed.length} failed (${result.folder})`);
        }
        const anyOk = result.imported.length + result.alreadyKnown.length > 0;
        deps.setExit(result.failed.length === 0 ? 0 : anyOk ? 3 : 1);
      } finally {
        await core.close();
      }
    });
}

/** `verify <file> --drill --server <url>`: runs the drill job to its end (the caller prints it). */
export async function runCliDrill(deps: CliDeps, filePath: string, passphrase: string | null, serverUrl: string, json: boolean): Promise<JobDetail> {
  const server = parseServerUrl(serverUrl, deps.io.env);
  const core = deps.openCore(passphrase);
  try {
    const job = await startDrillJob(core, { filePath: backupLocation(filePath), passphrase, server }, { env: deps.io.env, actor: 'cli', valueSource: 'command-line' });
    return await deps.followJob(core, job, json);
  } finally {
    await core.close();
  }
}
