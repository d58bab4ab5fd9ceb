/**
 * What a database backup keeps besides its dump: the database-level state, the roles the dump
 * uses and each object's owner and privileges (in the manifest), and those roles' definitions
 * (an archive entry of their own, listed with its SHA-256 like the dump, so verify checks it).
 * None of it may fail a backup: a part that cannot be had is left out and the job says so.
 */
import type { ManifestDatabaseSource, ManifestEntry } from '../../../shared/manifest';
import type { ArchiveWriter } from '../archive/writer';
import type { DatabaseFidelity } from '../postgres/database-state';
import { dumpRoleDefinitions, filterRoleDefinitions, pgDumpallPathFor } from '../postgres/roles';
import type { DatabaseInput } from './run-state';

/** The roles entry next to a dump entry: `databases/<id>-<db>.dump` -> `databases/<id>-<db>-roles.sql`. */
export function rolesEntryName(dumpEntry: string): string {
  return `${dumpEntry.replace(/\.dump$/, '')}-roles.sql`;
}

/**
 * Puts `fidelity` into the database's manifest and writes the roles entry (pg_dumpall of the
 * same installation as pg_dump, cut down to the roles the dump uses). Returns the warnings for
 * the job: what could not be recorded, and why. Throws only what the archive throws (a full
 * disk ends the run) and a cancel.
 */
export async function recordDatabaseExtras(options: {
  manifest: ManifestDatabaseSource;
  input: DatabaseInput;
  fidelity: DatabaseFidelity;
  pgDumpPath: string;
  dumpEntry: string;
  writer: ArchiveWriter;
  entries: ManifestEntry[];
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}): Promise<string[]> {
  const { manifest, input, fidelity } = options;
  const warnings = [...fidelity.warnings];
  manifest.databaseState = fidelity.state;
  manifest.roles = fidelity.roles;
  manifest.objects = fidelity.objects;
  manifest.rolesEntry = null;
  if (!fidelity.roles) return warnings;
  let output: string;
  try {
    output = await dumpRoleDefinitions({
      pgDumpallPath: pgDumpallPathFor(options.pgDumpPath),
      source: input.source,
      password: input.password,
      env: options.env,
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    warnings.push(`the role definitions were not saved (a restore can still use roles that exist on its server): ${(error as Error).message}`);
    return warnings;
  }
  const { sql } = filterRoleDefinitions(output, new Set(fidelity.roles.map((r) => r.name)), input.source.database);
  const name = rolesEntryName(options.dumpEntry);
  const added = await options.writer.addStream(name, [Buffer.from(sql, 'utf8')]);
  options.entries.push({ name, kind: 'database-roles', sourceId: input.source.id, size: added.size, sha256: added.sha256 });
  manifest.rolesEntry = name;
  return warnings;
}
