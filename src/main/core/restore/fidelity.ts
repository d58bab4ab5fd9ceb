/**
 * What a database restore brings back besides the dump's objects and rows: owners and privileges
 * (kept by default, as long as the roles exist on the target), the roles themselves (created from
 * the backup's definitions when asked), and the database-level state (encoding and locale of a new
 * database; its settings, comment, grants and owner). Everything that could refuse the restore is
 * decided here before anything on the target is touched (prepareRestoreFidelity), so a refusal
 * names the roles and the ways out and leaves the server as it was.
 *
 * Over an existing database the encoding and the owner are never changed; a full restore (no table
 * selection) adds the backup's database settings, comment and grants, and revokes nothing.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { ManifestDatabaseSource, ManifestDatabaseState } from '../../../shared/manifest';
import type { DatabaseTarget, RolesPreview, ServerTarget } from '../../../shared/restore';
import { BackupReader } from '../archive/reader';
import { HashStream } from '../archive/hash-stream';
import { connectDatabase } from '../postgres/connection';
import { databaseGrantStatements, localeUnsupportedReason, parseAclItem, settingClause } from '../postgres/database-state';
import { roleCreationStatements, sqlIdent, sqlLiteral } from '../postgres/roles';
import { assertEncryptionAsExpected, type ExpectedBackup } from './authenticity';
import { pickDatabaseSource } from './backup-index';
import { connectMaintenance, targetSource } from './target-db';

type Server = Omit<ServerTarget, 'password'>;

/** What the restore does about roles and the database-level state, decided before it starts. */
export interface RestoreFidelityPlan {
  source: ManifestDatabaseSource;
  /** null: the backup does not list the roles it uses (made by an older version, or they could not be read) */
  roles: RolesPreview | null;
  /** the CREATE ROLE / ALTER ROLE statements of roles.toCreate, from the backup's roles entry */
  roleStatements: string[];
  /** the database-level state to apply (null: none recorded, or not applied: a table selection over an existing database) */
  state: ManifestDatabaseState | null;
  /** the target server's server_version_num */
  serverVersionNum: number;
}

/** Whether a role use is restored with these options (owners unless noOwner, privileges unless noPrivileges, the rest always). */
function activeUse(use: string, target: Pick<DatabaseTarget, 'noOwner' | 'noPrivileges'>): boolean {
  if (use === 'owner') return !target.noOwner;
  if (use === 'privileges' || use === 'default-privileges') return !target.noPrivileges;
  return true;
}

const list = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');

/**
 * The roles the restore needs on the target and what becomes of the missing ones. `defined`: the
 * roles the backup holds a definition of (null: it holds none). Connected to any database of the
 * target server.
 */
export async function planRoles(
  client: pg.Client,
  source: ManifestDatabaseSource,
  target: Pick<DatabaseTarget, 'noOwner' | 'noPrivileges' | 'createRoles'>,
  defined: ReadonlySet<string> | null,
): Promise<RolesPreview | null> {
  if (!source.roles) return null;
  const needed = source.roles.filter((r) => r.uses.some((u) => activeUse(u, target))).map((r) => r.name);
  const me = await client.query<{ user: string; superuser: boolean; createrole: boolean }>(
    'SELECT current_user AS user, rolsuper AS superuser, rolcreaterole AS createrole FROM pg_roles WHERE rolname = current_user',
  );
  const { user, superuser, createrole } = me.rows[0] ?? { user: '', superuser: false, createrole: false };
  const present = await client.query<{ name: string; member: boolean }>(
    "SELECT rolname AS name, pg_has_role(current_user, oid, 'MEMBER') AS member FROM pg_roles WHERE rolname = ANY($1)",
    [source.roles.map((r) => r.name)],
  );
  const member = new Map(present.rows.map((r) => [r.name, r.member]));
  const missing = needed.filter((r) => !member.has(r));
  const leftOut = source.roles.map((r) => r.name).filter((r) => !member.has(r) && !needed.includes(r));
  const toCreate = target.createRoles ? missing : [];
  const undefinedRoles = toCreate.filter((r) => !defined?.has(r));
  const mayCreate = superuser || createrole;
  // the roles the restoring user must act as: owners, and the roles of default privileges
  const owners = source.roles
    .filter((r) => (!target.noOwner && r.uses.includes('owner')) || (!target.noPrivileges && r.uses.includes('default-privileges')))
    .map((r) => r.name);
  // a role created now has no members: only a superuser can act as it
  const cannotAssume = superuser ? [] : owners.filter((r) => (member.has(r) || toCreate.includes(r)) && !member.get(r));

  const parts: string[] = [];
  if (needed.length === 0) parts.push('The restore needs no particular role on the target.');
  else if (missing.length === 0) parts.push(`The ${needed.length} roles the backup uses exist on the target.`);
  else parts.push(`Missing on the target: ${list(missing)}.`);
  if (missing.length && !target.createRoles) {
    parts.push('The restore is refused until they exist: create them, choose to create the missing roles from the backup, or restore without owners and privileges.');
  }
  if (toCreate.length) {
    if (undefinedRoles.length) parts.push(`The backup holds no definition of ${list(undefinedRoles)}, so they cannot be created: create them by hand.`);
    if (!mayCreate) parts.push(`The user "${user}" may not create roles (it needs CREATEROLE).`);
    if (!undefinedRoles.length && mayCreate) parts.push(`They are created from the backup's definitions (without passwords) before the restore.`);
  }
  if (cannotAssume.length) parts.push(`The user "${user}" is not a superuser nor a member of ${list(cannotAssume)}, so it cannot give objects to them (or set their default privileges).`);
  if (leftOut.length) parts.push(`Not on the target, and not needed without the backup's owners and privileges: ${list(leftOut)}.`);
  if (target.noOwner) parts.push(`Owners are not restored: every object belongs to "${user}".`);
  if (target.noPrivileges) parts.push('Privileges (GRANT/REVOKE, default privileges, per-role settings) are not restored.');
  else if (!target.noOwner && missing.length === 0 && cannotAssume.length === 0) parts.push('Owners and privileges are restored as in the backup.');
  const refused = (missing.length > 0 && !target.createRoles) || undefinedRoles.length > 0 || (toCreate.length > 0 && !mayCreate) || cannotAssume.length > 0;
  return { needed, missing, leftOut, toCreate, cannotAssume, refused, message: parts.join(' ') };
}

/** The refusal a roles plan stands for, or null when the restore may go on. */
export function rolesRefusal(roles: RolesPreview | null, where: string): AppError | null {
  if (!roles?.refused) return null;
  if (roles.missing.length && roles.toCreate.length === 0) {
    return new AppError('RESTORE_ROLES_MISSING', { detail: `missing on ${where}: ${list(roles.missing)}` });
  }
  if (roles.cannotAssume.length) return new AppError('RESTORE_OWNERSHIP_DENIED', { detail: `on ${where}: ${roles.message}` });
  return new AppError('RESTORE_ROLES_MISSING', { detail: `on ${where}: ${roles.message}` });
}

/** The roles entry of the source, read and checked against its size and SHA-256 in the manifest. */
async function readRolesEntry(reader: BackupReader, source: ManifestDatabaseSource, entries: { name: string; size: number; sha256: string }[]): Promise<string | null> {
  const entry = source.rolesEntry ? entries.find((e) => e.name === source.rolesEntry) : undefined;
  if (!entry) return null;
  const hash = new HashStream();
  const chunks: Buffer[] = [];
  for await (const chunk of (await reader.openEntry(entry.name)).pipe(hash)) chunks.push(chunk as Buffer);
  if (hash.bytes !== entry.size || hash.digest() !== entry.sha256) {
    throw new AppError('FILE_CORRUPT', { detail: `the role definitions of ${source.label} do not match their size and SHA-256 in the manifest` });
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Everything a database restore checks before it touches the target: the backup's manifest (and,
 * to create roles, its role definitions), the roles on the target and whether the restoring user
 * can hand objects to them, and whether the target's version can make a database with the
 * backup's locale, and (over an existing database) whether its encoding can take the backup's.
 * Throws RESTORE_ROLES_MISSING, RESTORE_OWNERSHIP_DENIED, RESTORE_LOCALE_UNAVAILABLE,
 * RESTORE_ENCODING_MISMATCH, and what opening the backup or connecting throws.
 */
export async function prepareRestoreFidelity(spec: {
  filePath: string;
  passphrase: string | null;
  target: DatabaseTarget;
  password: string | null;
  expected?: ExpectedBackup;
  signal?: AbortSignal;
}): Promise<RestoreFidelityPlan> {
  const { target } = spec;
  const reader = await BackupReader.open(spec.filePath, spec.passphrase);
  let source: ManifestDatabaseSource;
  let rolesFile: string | null = null;
  try {
    assertEncryptionAsExpected(reader.container.header.encryption !== null, spec.expected, spec.filePath);
    // the database's source and entries only: a folder's items are not read
    const manifest = await reader.readManifest({ items: false });
    if (manifest.backupId !== reader.container.header.backupId) {
      throw new AppError('FILE_CORRUPT', { detail: 'the manifest belongs to another backup than the file header names' });
    }
    source = pickDatabaseSource(manifest, target.sourceId);
    if (target.createRoles) rolesFile = await readRolesEntry(reader, source, manifest.entries);
  } finally {
    await reader.close().catch(() => undefined);
  }
  const client =
    target.mode === 'new'
      ? await connectMaintenance(target.server, spec.password, spec.signal)
      : await connectDatabase(targetSource(target.server, target.database), spec.password, { signal: spec.signal });
  try {
    const version = await client.query<{ num: string }>("SELECT current_setting('server_version_num') AS num");
    const serverVersionNum = Number(version.rows[0]!.num);
    const where = `${target.server.host}:${target.server.port}`;
    const all = source.roles?.map((r) => r.name) ?? [];
    const undefinedRoles = rolesFile === null ? all : roleCreationStatements(rolesFile, all).undefinedRoles;
    const defined = rolesFile === null ? null : new Set(all.filter((r) => !undefinedRoles.includes(r)));
    const roles = await planRoles(client, source, target, defined);
    const refusal = rolesRefusal(roles, where);
    if (refusal) throw refusal;
    const fullRestore = !target.tables || target.tables.length === 0;
    const state = source.databaseState && (target.mode === 'new' || fullRestore) ? source.databaseState : null;
    if (target.mode === 'existing' && source.databaseState?.encoding === 'SQL_ASCII') {
      // COPY takes SQL_ASCII input into any database unchecked: text would be stored as bytes that are not what they claim
      const encoding = await client.query<{ encoding: string }>('SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()');
      const targetEncoding = encoding.rows[0]?.encoding;
      if (targetEncoding !== 'SQL_ASCII') {
        throw new AppError('RESTORE_ENCODING_MISMATCH', { detail: `"${target.database}" on ${where} is ${targetEncoding}, the backup's database SQL_ASCII` });
      }
    }
    if (state && target.mode === 'new') {
      const reason = localeUnsupportedReason(state, serverVersionNum);
      if (reason) throw new AppError('RESTORE_LOCALE_UNAVAILABLE', { detail: `${where}: ${reason}` });
    }
    const roleStatements = roles?.toCreate.length && rolesFile ? roleCreationStatements(rolesFile, roles.toCreate).statements : [];
    return { source, roles, roleStatements, state, serverVersionNum };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the missing roles from the backup's definitions, in one transaction (all or none),
 * running only their CREATE ROLE and ALTER ROLE statements: an existing role is never touched.
 * RESTORE_ROLES_MISSING naming the server's reason when it refuses (e.g. no CREATEROLE).
 */
export async function createRolesFromBackup(server: Server, password: string | null, statements: string[], roles: string[], signal?: AbortSignal): Promise<void> {
  if (statements.length === 0) return;
  const client = await connectMaintenance(server, password, signal);
  try {
    await client.query('BEGIN');
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new AppError('RESTORE_ROLES_MISSING', {
      detail: `creating ${list(roles)} on ${server.host}:${server.port} failed, and none was created: ${(error as Error).message}`,
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops roles this restore created (after it failed, or after a drill); returns why it could not, or null. */
export async function dropRolesQuietly(server: Server, password: string | null, roles: string[]): Promise<string | null> {
  if (roles.length === 0) return null;
  try {
    const client = await connectMaintenance(server, password);
    try {
      const failed: string[] = [];
      for (const role of roles) {
        await client.query(`DROP ROLE IF EXISTS ${sqlIdent(role)}`).catch((error: Error) => failed.push(`${role}: ${error.message}`));
      }
      return failed.length ? failed.join('; ') : null;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Runs `sql`, or on failure adds a note and goes on (inside a transaction: a savepoint keeps it usable). */
async function tryStatement(client: pg.Client, sql: string, notes: string[], what: string): Promise<void> {
  await client.query('SAVEPOINT fidelity');
  try {
    await client.query(sql);
    await client.query('RELEASE SAVEPOINT fidelity');
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT fidelity');
    notes.push(`${what} was not applied: ${(error as Error).message}`);
  }
}

/**
 * Applies the backup's database-level state after pg_restore, in one transaction on a connection
 * to the maintenance database. Into a new database: every `ALTER DATABASE ... SET` setting and
 * (unless noPrivileges) every per-role one, the owner (unless noOwner), the grants exactly as in
 * the backup (unless noPrivileges). A setting the server does not take is a note, not a failure;
 * an owner or a grant that cannot be given fails (the roles were checked). Over an existing
 * database (a full restore only): the settings, the comment and the grants are added (nothing is
 * revoked, the owner stays); each failure is a note. The comment of a new database is set by
 * finishNewDatabase, once the restore succeeded. Returns the notes.
 */
export async function applyDatabaseState(
  server: Server,
  password: string | null,
  database: string,
  state: ManifestDatabaseState,
  options: { mode: 'new' | 'existing'; noOwner?: boolean; noPrivileges?: boolean; signal?: AbortSignal },
): Promise<string[]> {
  const notes: string[] = [];
  const db = sqlIdent(database);
  const client = await connectMaintenance(server, password, options.signal);
  const strict = async (sql: string, what: string) => {
    if (options.mode === 'existing') return tryStatement(client, sql, notes, what);
    try {
      await client.query(sql);
    } catch (error) {
      throw new AppError('PG_RESTORE_FAILED', { detail: `${what} of "${database}": ${(error as Error).message}`, cause: error });
    }
  };
  try {
    await client.query('BEGIN');
    for (const { role, config } of state.settings) {
      if (role !== null && options.noPrivileges) continue;
      for (const setting of config) {
        const alter = role === null ? `ALTER DATABASE ${db}` : `ALTER ROLE ${sqlIdent(role)} IN DATABASE ${db}`;
        await tryStatement(client, `${alter} ${settingClause(setting)}`, notes, `the setting ${setting}${role ? ` for ${role}` : ''}`);
      }
    }
    if (options.mode === 'existing' && state.comment !== null) {
      await tryStatement(client, `COMMENT ON DATABASE ${db} IS ${sqlLiteral(state.comment)}`, notes, 'the database comment');
    }
    const keepOwner = !options.noOwner && options.mode === 'new';
    if (keepOwner) await strict(`ALTER DATABASE ${db} OWNER TO ${sqlIdent(state.owner)}`, 'the owner');
    if (!options.noPrivileges && state.acl) {
      const items = state.acl.map((text) => ({ text, item: parseAclItem(text) }));
      if (options.mode === 'new') {
        // start from no privileges at all, then give exactly the backup's
        await strict(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`, 'the grants');
        await strict(`REVOKE ALL ON DATABASE ${db} FROM ${keepOwner ? sqlIdent(state.owner) : 'CURRENT_USER'}`, 'the grants');
      }
      for (const { text, item } of items) {
        if (!item) {
          notes.push(`the database privilege ${text} could not be read, and was not applied`);
          continue;
        }
        // without the backup's owner its own privileges belong to the new owner, who has them
        if (!keepOwner && item.grantee === state.owner) continue;
        const asGrantor = keepOwner && item.grantor !== state.owner;
        for (const grant of databaseGrantStatements(database, item)) {
          if (asGrantor) await strict(`SET ROLE ${sqlIdent(item.grantor)}`, 'the grants');
          await strict(grant, `the grant ${text}`);
          if (asGrantor) await strict('RESET ROLE', 'the grants');
        }
      }
    }
    await client.query('COMMIT');
    return notes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The last step of a restore into a new database that succeeded: its comment becomes the
 * backup's (or none), which also removes Lifeboat's crash-recovery mark. Best effort, as the
 * restore itself succeeded: returns a note when it could not, else null.
 */
export async function finishNewDatabase(server: Server, password: string | null, database: string, comment: string | null): Promise<string | null> {
  try {
    const client = await connectMaintenance(server, password);
    try {
      await client.query(`COMMENT ON DATABASE ${sqlIdent(database)} IS ${comment === null ? 'NULL' : sqlLiteral(comment)}`);
      return null;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return `the database comment was not set (it may still carry Lifeboat's mark lifeboat:job:…; set it by hand): ${(error as Error).message}`;
  }
}

/** What the preview says of the database-level state against the target (null: nothing to say). */
export function describeDatabaseState(state: ManifestDatabaseState | null | undefined, target: DatabaseTarget, targetEncoding: string | null): string | null {
  if (!state) return 'The backup does not record the database-level state (made by an older version): a new database gets the server defaults.';
  const locale = `${state.encoding}, LC_COLLATE ${state.collate}, LC_CTYPE ${state.ctype}${state.localeProvider && state.localeProvider !== 'libc' ? `, ${state.localeProvider} locale ${state.locale ?? ''}` : ''}`;
  const settings = state.settings.reduce((n, s) => n + s.config.length, 0);
  if (target.mode === 'new') {
    return `The new database is created with the backup's encoding and locale (${locale}); its ${settings} settings, comment, grants and owner are applied after the restore${target.noOwner ? ' (owner: the restoring user)' : ''}${target.noPrivileges ? ' (no grants or per-role settings)' : ''}.`;
  }
  if (state.encoding === 'SQL_ASCII' && targetEncoding && targetEncoding !== 'SQL_ASCII') {
    return `Refused: the backup's database is SQL_ASCII (bytes of no declared encoding) and the target is ${targetEncoding}; its text would be loaded unchecked. Restore into a new database instead.`;
  }
  const differs = targetEncoding && targetEncoding !== state.encoding
    ? ` The target's encoding is ${targetEncoding} and the backup's ${state.encoding}: the server converts the text, and a character it cannot represent makes the restore fail, changing nothing.`
    : '';
  if (target.tables && target.tables.length > 0) return `The database's encoding, settings, comment, grants and owner are left as they are (a table selection).${differs}`;
  return `The database keeps its encoding and owner; the backup's ${settings} settings, its comment and its grants are added (nothing is revoked).${differs}`;
}
