/**
 * Which field of the plan editor an error code points at: a failed backup's Edit plan opens the
 * editor there (focused, highlighted), and the notifications name the same field. Pure.
 *
 * Field keys are the editor's error keys (`databases.0.host`, `folders.1.path`,
 * `options.destination`, `passphrase`, `hooks.pre`...), so the editor finds them like the fields
 * a failed validation marks.
 */
import type { ErrorCode } from './errors';
import type { HookPhase } from './hooks';

/** What part of a source an error concerns; `null`: no field of the plan can fix it. */
type Target =
  | { on: 'database'; field: 'host' | 'user' | 'password' | 'database' | 'schemas' | 'source' }
  | { on: 'folder'; field: 'path' }
  | { on: 'plan'; field: string }
  | { on: 'hook'; field: 'command' | 'timeoutSeconds' }
  | { on: 'secret' };

const TARGETS: Partial<Record<ErrorCode, Target>> = {
  PG_UNREACHABLE: { on: 'database', field: 'host' },
  PG_AUTH_FAILED: { on: 'database', field: 'password' },
  PG_DATABASE_MISSING: { on: 'database', field: 'database' },
  PG_DUMP_NO_MATCH: { on: 'database', field: 'schemas' },
  PG_DUMP_FAILED: { on: 'database', field: 'source' },
  PG_CREATE_DENIED: { on: 'plan', field: 'options.drillAfter' },
  FOLDER_MISSING: { on: 'folder', field: 'path' },
  DEST_NOT_WRITABLE: { on: 'plan', field: 'options.destination' },
  DEST_NO_SPACE: { on: 'plan', field: 'options.destination' },
  PASSPHRASE_REQUIRED: { on: 'plan', field: 'passphrase' },
  PASSPHRASE_TOO_SHORT: { on: 'plan', field: 'passphrase' },
  WRONG_PASSPHRASE: { on: 'plan', field: 'passphrase' },
  SECRET_UNAVAILABLE: { on: 'secret' },
  HOOK_FAILED: { on: 'hook', field: 'command' },
  HOOK_NOT_FOUND: { on: 'hook', field: 'command' },
  HOOK_TIMEOUT: { on: 'hook', field: 'timeoutSeconds' },
};

/** The sources of a plan as the mapping needs them (a Plan or an editor draft fits). */
export interface PlanSources {
  databases: readonly { host: string; port: number | string; database: string }[];
  folders: readonly { path: string }[];
}

/** What the failed job says about where it failed. */
export interface FailureContext {
  /** the failed source's label as the job records it: `db@host:port`, or a folder's path */
  sourceLabel?: string | null;
  /** which hook failed */
  hookPhase?: HookPhase | null;
}

/** A database source's label in a job (the backup's `sourceLabel`): `database@host:port`. */
export function databaseSourceLabel(db: PlanSources['databases'][number]): string {
  return `${String(db.database).trim()}@${String(db.host).trim()}:${String(db.port).trim()}`;
}

function databaseIndex(plan: PlanSources, label: string | null | undefined): number | null {
  if (plan.databases.length === 0) return null;
  const found = label ? plan.databases.findIndex((db) => databaseSourceLabel(db) === label) : -1;
  // not named, or renamed since: the first database is the best guess
  return found >= 0 ? found : 0;
}

function folderIndex(plan: PlanSources, label: string | null | undefined): number | null {
  if (plan.folders.length === 0) return null;
  const found = label ? plan.folders.findIndex((f) => f.path.trim() === label.trim()) : -1;
  return found >= 0 ? found : 0;
}

/**
 * The editor field an error code names, for this plan and what the job says about the failure;
 * null when no field of the plan fixes it (pg_dump not installed, an internal error) or the plan
 * has no such source any more.
 */
export function editorFieldForError(code: string | null | undefined, plan: PlanSources, context: FailureContext = {}): string | null {
  if (!code) return null;
  const target = TARGETS[code as ErrorCode];
  if (!target) return null;
  switch (target.on) {
    case 'plan':
      return target.field;
    case 'database': {
      const index = databaseIndex(plan, context.sourceLabel);
      if (index === null) return null;
      return target.field === 'source' ? `databases.${index}` : `databases.${index}.${target.field}`;
    }
    case 'folder': {
      const index = folderIndex(plan, context.sourceLabel);
      return index === null ? null : `folders.${index}.path`;
    }
    case 'hook':
      return target.field === 'timeoutSeconds' ? 'hooks.timeoutSeconds' : context.hookPhase === 'post' ? 'hooks.post' : 'hooks.pre';
    case 'secret': {
      // a database's password named by env:/file:, or the plan's passphrase
      const labelIsDatabase = context.sourceLabel ? plan.databases.some((db) => databaseSourceLabel(db) === context.sourceLabel) : false;
      if (labelIsDatabase) return `databases.${databaseIndex(plan, context.sourceLabel)}.password`;
      return 'passphrase';
    }
  }
}

const DATABASE_FIELD_WORDS: Record<string, string> = {
  host: 'host',
  port: 'port',
  user: 'user',
  password: 'password',
  database: 'database name',
  schemas: 'schema patterns',
};

/** A field key in words, for messages: "the host of database 2", "the destination folder". */
export function editorFieldWords(key: string): string {
  const db = /^databases\.(\d+)(?:\.(\w+))?$/.exec(key);
  if (db) {
    const which = `database ${Number(db[1]) + 1}`;
    return db[2] ? `the ${DATABASE_FIELD_WORDS[db[2]] ?? db[2]} of ${which}` : which;
  }
  const folder = /^folders\.(\d+)\.path$/.exec(key);
  if (folder) return `the path of folder ${Number(folder[1]) + 1}`;
  const words: Record<string, string> = {
    'options.destination': 'the destination folder',
    'options.drillAfter': 'the restore drill options',
    passphrase: 'the passphrase',
    'hooks.pre': 'the before-backup hook',
    'hooks.post': 'the after-backup hook',
    'hooks.timeoutSeconds': 'the hook timeout',
  };
  return words[key] ?? key;
}

/** A finished job as far as the mapping needs it (a JobDetail fits). */
export interface FailedJobFacts {
  errorCode: string | null;
  sources?: readonly { kind: string; label: string; status: string; errorCode: string | null }[];
  hooks?: readonly { phase: HookPhase; error: string | null }[];
}

/** The error code of a failed job with the source or hook it failed on; null without a code. */
export function failureOfJob(job: FailedJobFacts): (FailureContext & { code: string }) | null {
  if (!job.errorCode) return null;
  const failed = (job.sources ?? []).filter((s) => s.status === 'failed');
  const source = failed.find((s) => s.errorCode === job.errorCode) ?? failed[0];
  const hook = job.hooks?.find((h) => h.error !== null);
  return { code: job.errorCode, sourceLabel: source?.label ?? null, hookPhase: hook?.phase ?? null };
}
