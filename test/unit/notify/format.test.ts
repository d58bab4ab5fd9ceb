import { describe, expect, it } from 'vitest';
import { failureSteps, fixOf, payloadText } from '../../../src/main/core/notify/format';
import { slackMessage } from '../../../src/main/core/notify/channels';
import type { NotificationPayload } from '../../../src/shared/notify';

const failed = { id: 'job-42', kind: 'backup' as const, status: 'failed' as const, planId: 'p1', planName: 'Shop DB nightly', errorCode: 'PG_UNREACHABLE' };

describe('fixOf', () => {
  it('keeps the sentences of an error message that name the fix', () => {
    expect(fixOf('PG_UNREACHABLE')).toBe('Check that it is running and that the host and port in the plan are right.');
    expect(fixOf('DEST_NO_SPACE')).toMatch(/^Free some space/);
    expect(fixOf('NOT_A_CODE')).toBeNull();
    expect(fixOf(null)).toBeNull();
  });
});

describe('failureSteps', () => {
  it('says the fix, the field, where to open the job by its id and how to run it again', () => {
    expect(failureSteps(failed, 'databases.1.host')).toEqual([
      'Check that it is running and that the host and port in the plan are right.',
      "Correct the host of database 2 in the plan: the job's Edit plan button in Lifeboat opens the plan editor on it.",
      'Open the job in Lifeboat (History, job job-42) for its details and tool output.',
      `Run it again with Retry in the job's panel, or from a terminal: lifeboat run "Shop DB nightly"`,
    ]);
  });

  it('still names the job of a failure without a code or a field, and says nothing for a success', () => {
    const interrupted = { ...failed, status: 'interrupted' as const, errorCode: null };
    expect(failureSteps(interrupted)).toEqual([
      'Open the job in Lifeboat (History, job job-42) for its details and tool output.',
      `Run it again with Retry in the job's panel, or from a terminal: lifeboat run "Shop DB nightly"`,
    ]);
    expect(failureSteps({ ...failed, kind: 'verify', planId: null, planName: null, errorCode: 'FILE_CORRUPT' })).toEqual([
      'Copy it again from its source or use another backup.',
      'Open the job in Lifeboat (History, job job-42) for its details and tool output.',
    ]);
    expect(failureSteps({ ...failed, status: 'success', errorCode: null })).toEqual([]);
  });
});

describe('channel messages of a failure', () => {
  const payload: NotificationPayload = {
    version: 1,
    event: 'job.failed',
    at: '2026-03-01T02:00:00.000Z',
    title: 'Backup failed: Shop DB nightly',
    message: 'Cannot reach the PostgreSQL server.',
    plan: { id: 'p1', name: 'Shop DB nightly' },
    job: {
      id: 'job-42',
      kind: 'backup',
      status: 'failed',
      trigger: 'scheduled',
      startedAt: '2026-03-01T02:00:00.000Z',
      finishedAt: '2026-03-01T02:00:05.000Z',
      durationMs: 5000,
      sizeBytes: null,
      filePath: null,
      errorCode: 'PG_UNREACHABLE',
      displayMessage: 'Cannot reach the PostgreSQL server.',
    },
    alert: null,
    whatToDo: failureSteps(failed, 'databases.0.host'),
    source: { app: 'Lifeboat', version: '1.0.0', host: 'backup-host' },
  };

  it('e-mail and Telegram text carry what to do and the job id', () => {
    const { text } = payloadText(payload);
    expect(text).toContain('What to do:\n- Check that it is running');
    expect(text).toContain('- Correct the host of database 1 in the plan');
    expect(text).toContain('Job: job-42 (backup, failed, scheduled)');
  });

  it('Slack gets a What to do section', () => {
    const json = JSON.stringify(slackMessage(payload).blocks);
    expect(json).toContain('*What to do*');
    expect(json).toContain('History, job job-42');
  });
});
