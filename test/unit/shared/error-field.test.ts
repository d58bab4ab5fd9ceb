import { describe, expect, it } from 'vitest';
import { databaseSourceLabel, editorFieldForError, editorFieldWords, failureOfJob } from '../../../src/shared/error-field';

const plan = {
  databases: [
    { host: 'db1.internal', port: 5432, database: 'shop' },
    { host: 'db2.internal', port: 5433, database: 'crm' },
  ],
  folders: [{ path: '/srv/uploads' }, { path: '/etc/app' }],
};

describe('editorFieldForError', () => {
  it('points a connection error at the field of the database the job names', () => {
    expect(editorFieldForError('PG_UNREACHABLE', plan, { sourceLabel: 'crm@db2.internal:5433' })).toBe('databases.1.host');
    expect(editorFieldForError('PG_AUTH_FAILED', plan, { sourceLabel: 'crm@db2.internal:5433' })).toBe('databases.1.password');
    expect(editorFieldForError('PG_DATABASE_MISSING', plan, { sourceLabel: 'shop@db1.internal:5432' })).toBe('databases.0.database');
    expect(editorFieldForError('PG_DUMP_NO_MATCH', plan, { sourceLabel: 'crm@db2.internal:5433' })).toBe('databases.1.schemas');
    // pg_dump failing for a reason of its own: the source as a whole
    expect(editorFieldForError('PG_DUMP_FAILED', plan, { sourceLabel: 'crm@db2.internal:5433' })).toBe('databases.1');
  });

  it('falls back to the first source when the job names none, or one the plan no longer has', () => {
    expect(editorFieldForError('PG_UNREACHABLE', plan)).toBe('databases.0.host');
    expect(editorFieldForError('PG_UNREACHABLE', plan, { sourceLabel: 'old@gone:5432' })).toBe('databases.0.host');
    expect(editorFieldForError('FOLDER_MISSING', plan, { sourceLabel: '/etc/app' })).toBe('folders.1.path');
    expect(editorFieldForError('FOLDER_MISSING', plan)).toBe('folders.0.path');
  });

  it('returns null when the plan has no source of that kind', () => {
    expect(editorFieldForError('PG_UNREACHABLE', { databases: [], folders: [{ path: '/x' }] })).toBeNull();
    expect(editorFieldForError('FOLDER_MISSING', { databases: plan.databases, folders: [] })).toBeNull();
  });

  it('maps destination, passphrase and hook errors to their fields', () => {
    expect(editorFieldForError('DEST_NOT_WRITABLE', plan)).toBe('options.destination');
    expect(editorFieldForError('DEST_NO_SPACE', plan)).toBe('options.destination');
    expect(editorFieldForError('PASSPHRASE_REQUIRED', plan)).toBe('passphrase');
    expect(editorFieldForError('HOOK_FAILED', plan, { hookPhase: 'pre' })).toBe('hooks.pre');
    expect(editorFieldForError('HOOK_NOT_FOUND', plan, { hookPhase: 'post' })).toBe('hooks.post');
    expect(editorFieldForError('HOOK_FAILED', plan)).toBe('hooks.pre');
    expect(editorFieldForError('HOOK_TIMEOUT', plan, { hookPhase: 'post' })).toBe('hooks.timeoutSeconds');
    expect(editorFieldForError('PG_CREATE_DENIED', plan)).toBe('options.drillAfter');
  });

  it('sends an unreadable secret to the password of the database named, else to the passphrase', () => {
    expect(editorFieldForError('SECRET_UNAVAILABLE', plan, { sourceLabel: 'crm@db2.internal:5433' })).toBe('databases.1.password');
    expect(editorFieldForError('SECRET_UNAVAILABLE', plan)).toBe('passphrase');
  });

  it('has no field for what no plan setting fixes', () => {
    for (const code of ['PG_DUMP_MISSING', 'PG_DUMP_TOO_OLD', 'KEYCHAIN_UNAVAILABLE', 'INTERNAL', 'PLAN_BUSY', 'NOT_A_CODE', null, undefined]) {
      expect(editorFieldForError(code, plan)).toBeNull();
    }
  });

  it('matches the label the backup gives a database source, also from an editor draft', () => {
    expect(databaseSourceLabel({ host: ' db2.internal ', port: '5433', database: 'crm' })).toBe('crm@db2.internal:5433');
  });
});

describe('failureOfJob', () => {
  it('takes the failed source with the job error code, and the hook that failed', () => {
    expect(
      failureOfJob({
        errorCode: 'PG_UNREACHABLE',
        sources: [
          { kind: 'database', label: 'shop@db1.internal:5432', status: 'success', errorCode: null },
          { kind: 'folder', label: '/srv/uploads', status: 'failed', errorCode: 'FOLDER_MISSING' },
          { kind: 'database', label: 'crm@db2.internal:5433', status: 'failed', errorCode: 'PG_UNREACHABLE' },
        ],
      }),
    ).toEqual({ code: 'PG_UNREACHABLE', sourceLabel: 'crm@db2.internal:5433', hookPhase: null });
    expect(failureOfJob({ errorCode: 'HOOK_FAILED', sources: [], hooks: [{ phase: 'post', error: 'exit 3' }] })).toEqual({
      code: 'HOOK_FAILED',
      sourceLabel: null,
      hookPhase: 'post',
    });
    expect(failureOfJob({ errorCode: null })).toBeNull();
  });
});

describe('editorFieldWords', () => {
  it('names a field in words', () => {
    expect(editorFieldWords('databases.1.host')).toBe('the host of database 2');
    expect(editorFieldWords('databases.0.database')).toBe('the database name of database 1');
    expect(editorFieldWords('databases.0')).toBe('database 1');
    expect(editorFieldWords('folders.2.path')).toBe('the path of folder 3');
    expect(editorFieldWords('options.destination')).toBe('the destination folder');
    expect(editorFieldWords('hooks.post')).toBe('the after-backup hook');
  });
});
