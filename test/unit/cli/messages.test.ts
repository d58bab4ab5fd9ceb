import { describe, expect, it } from 'vitest';
import { AppError, ERROR_MESSAGES, type ErrorCode } from '../../../src/shared/errors';
import type { JobDetail } from '../../../src/shared/job';
import { CLI_MESSAGES, cliJobDetail, cliMessage } from '../../../src/main/cli/messages';

/** What only the app can act on: its form, its plan editor, a list to refresh, a field to fill in. */
const APP_UI = /in the plan\b(?! \(edit it in the app\))|highlighted fields|Enter the (right )?passphrase|Enter the right password|Refresh the list|Choose a(nother)? (file|folder|target)|from the preview/;
const COMMANDS = ['', 'backup', 'run', 'restore', 'verify', 'inspect', 'list', 'status'];

const message = (code: ErrorCode, detail?: string) => new AppError(code, { detail }).message;

describe('cliMessage', () => {
  it('rewrites the app wording of every mapped code, for every command, to one that names no app UI', () => {
    for (const code of Object.keys(CLI_MESSAGES) as ErrorCode[]) {
      for (const command of COMMANDS) {
        const text = cliMessage(code, message(code), command);
        expect(text, `${code} ${command}`).not.toBe(ERROR_MESSAGES[code]);
        expect(text, `${code} ${command}`).not.toMatch(APP_UI);
      }
    }
  });

  it('names the option or variable that fixes it, per command, and keeps the detail', () => {
    expect(cliMessage('PG_UNREACHABLE', message('PG_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:1'), 'backup')).toBe(
      'Cannot reach the PostgreSQL server. Check that it is running and that the host and port in the --db URL are right. (connect ECONNREFUSED 127.0.0.1:1)',
    );
    expect(cliMessage('PG_UNREACHABLE', message('PG_UNREACHABLE'), 'restore')).toContain('the --to-db URL');
    expect(cliMessage('PG_UNREACHABLE', message('PG_UNREACHABLE'), 'verify')).toContain('the --server URL');
    expect(cliMessage('PG_AUTH_FAILED', message('PG_AUTH_FAILED'), 'backup')).toMatch(/user in the --db URL, and give the password in PGPASSWORD or ~\/\.pgpass/);
    expect(cliMessage('PG_DATABASE_MISSING', message('PG_DATABASE_MISSING', 'shop'), 'backup')).toBe(
      'The database does not exist on the server. Check the database name in the --db URL. (shop)',
    );
    expect(cliMessage('FOLDER_MISSING', message('FOLDER_MISSING'), 'backup')).toContain('the --folder path');
    expect(cliMessage('PASSPHRASE_REQUIRED', message('PASSPHRASE_REQUIRED', 'or pass --no-encrypt'), 'backup')).toBe(
      'An encrypted backup needs a passphrase. Give --passphrase-file <file> (its first line) or set LIFEBOAT_PASSPHRASE. (or pass --no-encrypt)',
    );
    expect(cliMessage('PASSPHRASE_REQUIRED', message('PASSPHRASE_REQUIRED'), 'restore')).toMatch(/^This backup is encrypted.*--passphrase-file/);
    expect(cliMessage('VALIDATION', message('VALIDATION', '--limit takes a whole number from 1 to 1000; not "0"'), 'list')).toBe(
      'The command line is not valid; see lifeboat list --help. (--limit takes a whole number from 1 to 1000; not "0")',
    );
    expect(cliMessage('VALIDATION', message('VALIDATION'), '')).toBe('The command line is not valid; see lifeboat --help.');
  });

  it('sends `run` (sources from a saved plan) to the plan for what the plan holds, and to PGPASSWORD for the password', () => {
    expect(cliMessage('PG_DATABASE_MISSING', message('PG_DATABASE_MISSING'), 'run')).toContain('in the plan (edit it in the app)');
    expect(cliMessage('PG_AUTH_FAILED', message('PG_AUTH_FAILED'), 'run')).toContain('PGPASSWORD or ~/.pgpass');
    expect(cliMessage('PASSPHRASE_REQUIRED', message('PASSPHRASE_REQUIRED'), 'run')).toMatch(/^This plan encrypts its backups.*LIFEBOAT_PASSPHRASE/);
  });

  it('leaves alone the codes that fit, messages without the app wording, and unknown codes', () => {
    expect(cliMessage('PLAN_BUSY', message('PLAN_BUSY', 'pid 42'), 'run')).toBe(message('PLAN_BUSY', 'pid 42'));
    expect(cliMessage('PG_UNREACHABLE', 'Backed up 2 sources.', 'backup')).toBe('Backed up 2 sources.');
    expect(cliMessage('NO_SUCH_CODE', 'x', 'backup')).toBe('x');
    expect(cliMessage(null, 'x', 'backup')).toBe('x');
  });

  it('rewrites the app wording inside a longer message too', () => {
    const inner = `The backup was written but failed verification: ${message('WRONG_PASSPHRASE')}`;
    expect(cliMessage('WRONG_PASSPHRASE', inner, 'backup')).toMatch(/^The backup was written but failed verification: The passphrase is wrong for this backup\. Give the one/);
  });
});

describe('cliJobDetail', () => {
  it("rewrites a finished job's message and its sources' messages", () => {
    const detail = {
      status: 'partial',
      errorCode: 'FOLDER_MISSING',
      displayMessage: '1 of 2 sources failed; the backup holds the other 1.',
      sources: [
        { kind: 'folder', label: '/srv/a', status: 'success', bytes: 1, files: 1, errorCode: null, message: null },
        { kind: 'folder', label: '/srv/b', status: 'failed', bytes: 0, files: 0, errorCode: 'FOLDER_MISSING', message: message('FOLDER_MISSING', '/srv/b') },
      ],
    } as unknown as JobDetail;
    const shown = cliJobDetail(detail, 'backup');
    expect(shown.displayMessage).toBe(detail.displayMessage);
    expect(shown.sources[0]).toBe(detail.sources[0]);
    expect(shown.sources[1]!.message).toBe('The folder does not exist or cannot be read. Check the --folder path and its permissions. (/srv/b)');
    const failed = cliJobDetail({ ...detail, status: 'failed', errorCode: 'PG_AUTH_FAILED', displayMessage: message('PG_AUTH_FAILED') }, 'backup');
    expect(failed.displayMessage).not.toMatch(APP_UI);
  });
});
