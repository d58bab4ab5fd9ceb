import { describe, expect, it } from 'vitest';
import {
  fileNameOf,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatFactor,
  formatRate,
  formatRelativeTime,
  formatShortDateTime,
  formatSince,
} from '../../../src/shared/format';
import { formatBytes as cliBytes } from '../../../src/main/cli/format';
import { formatBytes as notifyBytes, jobMessage } from '../../../src/main/core/notify/format';
import { EMPTY_PROGRESS } from '../../../src/shared/job';
import { jobSummary } from '../../support/job-summary';

describe('formatBytes', () => {
  it('writes decimal units with one decimal below 10', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(304_000)).toBe('304 KB');
    expect(formatBytes(3_000_000)).toBe('3.0 MB');
    expect(formatBytes(1.2e9)).toBe('1.2 GB');
  });
  it('carries 999.7 KB into MB instead of printing 1000 KB', () => {
    expect(formatBytes(999_700)).toBe('1.0 MB');
  });
  it('says "—" for what is not known', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
  it('is the same formatter in the CLI, notifications and screens', () => {
    for (const n of [0, 512, 304_123, 297_000, 5e9]) {
      expect(cliBytes(n)).toBe(formatBytes(n));
      expect(notifyBytes(n)).toBe(formatBytes(n));
    }
  });
  it('rates', () => {
    expect(formatRate(35_000_000)).toBe('35 MB/s');
    expect(formatRate(0)).toBe('—');
  });
});

describe('formatDuration', () => {
  it('never says "0 s"', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(240)).toBe('240 ms');
    expect(formatDuration(1400)).toBe('1 s');
  });
  it('minutes, hours and days', () => {
    expect(formatDuration(95_000)).toBe('1 min 35 s');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatDuration(3_600_000 + 5 * 60_000)).toBe('1 h 5 min');
    expect(formatDuration(26 * 3_600_000)).toBe('26 h');
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h');
    expect(formatDuration(null)).toBe('—');
  });
  it('a notification of a quick job says how quick, not "(in 0 s)"', () => {
    const job = jobSummary({
      planId: 'p',
      planName: 'Shop',
      trigger: 'manual',
      startedAt: '2025-06-03T02:00:00.000Z',
      finishedAt: '2025-06-03T02:00:00.200Z',
      durationMs: 200,
      sizeBytes: 304_000,
      compressionRatio: null,
      checksum: null,
      filePath: null,
      progress: EMPTY_PROGRESS,
    });
    expect(jobMessage(job)).toBe('Finished without errors. (304 KB in 200 ms)');
  });
});

describe('formatFactor', () => {
  it('never writes 0.0x', () => {
    expect(formatFactor(2.04)).toBe('2.0x');
    expect(formatFactor(14.6)).toBe('15x');
    expect(formatFactor(0.5)).toBe('50 %');
    expect(formatFactor(0.004)).toBe('0.4 %');
    expect(formatFactor(0.00004)).toBe('0 %');
  });
});

describe('dates', () => {
  const now = new Date(2025, 5, 5, 12, 0, 0); // Thursday 5 June 2025, local time

  it('relative times use Intl.RelativeTimeFormat in the largest unit that fits', () => {
    const rel = (ms: number) => formatRelativeTime(new Date(now.getTime() + ms), now, 'en');
    expect(rel(3000)).toBe('now');
    expect(rel(45_000)).toBe('in 45 seconds');
    expect(rel(5 * 60_000)).toBe('in 5 minutes');
    expect(rel(-3 * 3_600_000)).toBe('3 hours ago');
    expect(rel(-24 * 3_600_000)).toBe('yesterday');
    expect(rel(2 * 24 * 3_600_000)).toBe('in 2 days');
    expect(formatRelativeTime(null, now)).toBe('—');
  });

  it('"since" reads as a person says it', () => {
    expect(formatSince(new Date(2025, 5, 5, 9, 5), now, { locale: 'en-GB' })).toMatch(/^0?9:05$/);
    expect(formatSince(new Date(2025, 5, 4, 2, 0), now, { locale: 'en' })).toBe('yesterday');
    expect(formatSince(new Date(2025, 5, 3, 2, 0), now, { locale: 'en' })).toBe('Tuesday');
    expect(formatSince(new Date(2025, 4, 20, 2, 0), now, { locale: 'en' })).toBe('May 20');
    expect(formatSince(new Date(2024, 4, 20, 2, 0), now, { locale: 'en' })).toBe('May 20, 2024');
  });

  it('absolute dates are never raw ISO strings', () => {
    const text = formatDateTime('2025-06-03T02:00:00.000Z', { locale: 'en', timeZone: 'UTC' });
    expect(text).toBe('Jun 3, 2025, 2:00 AM');
    expect(formatShortDateTime(new Date(2025, 5, 3, 2, 0), now, { locale: 'en' })).toBe('Jun 3, 2:00 AM');
    expect(formatDateTime(null)).toBe('—');
  });

  it('file names of either kind of path', () => {
    expect(fileNameOf('/mnt/backups/shop/nightly-2025.lifeboat')).toBe('nightly-2025.lifeboat');
    expect(fileNameOf('C:\\Backups\\a.lifeboat')).toBe('a.lifeboat');
    expect(fileNameOf('/srv/data/')).toBe('data');
  });
});

describe('error messages name where the value came from', () => {
  it('a restore into a missing database points at the restore form, not the plan', async () => {
    const { AppError, fromValueSource } = await import('../../../src/shared/errors');
    const restated = fromValueSource(new AppError('PG_DATABASE_MISSING', { detail: '"gone" on db:5432' }), 'restore-form') as InstanceType<typeof AppError>;
    expect(restated.code).toBe('PG_DATABASE_MISSING');
    expect(restated.message).toBe('The database does not exist on the server. Check the database name in the restore form. ("gone" on db:5432)');
    const plan = new AppError('PG_UNREACHABLE');
    expect(fromValueSource(plan, 'plan')).toBe(plan);
    expect((fromValueSource(new AppError('WRONG_PASSPHRASE'), 'restore-form') as Error).message).not.toContain('restore form');
  });

  it("a drill's server from the drill form or the command line is named as such", async () => {
    const { AppError, fromValueSource } = await import('../../../src/shared/errors');
    const unreachable = new AppError('PG_UNREACHABLE', { detail: 'db:5432' });
    expect((fromValueSource(unreachable, 'drill-form') as Error).message).toContain('the host and port in the restore drill form are right');
    expect((fromValueSource(unreachable, 'command-line') as Error).message).toContain("the host and port in the command's options are right");
    expect((fromValueSource(unreachable, 'drill-form') as Error).message).not.toContain('in the plan');
  });
});
