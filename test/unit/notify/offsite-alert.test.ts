import { describe, expect, it } from 'vitest';
import type { BackupCopy, DestinationConfig } from '../../../src/shared/destination';
import type { Plan } from '../../../src/shared/plan';
import { offsiteAlert, planOffsiteStatus } from '../../../src/main/core/notify/offsite-alert';

const S3: DestinationConfig = {
  id: 's3',
  kind: 's3',
  bucket: 'b',
  prefix: '',
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: 'keychain',
  readBack: false,
  hasSecret: true,
};
const LOCAL: DestinationConfig = { id: 'usb', kind: 'local', path: '/mnt/usb', readBack: false, hasSecret: false };

function plan(copies: DestinationConfig[], overrides: Partial<Plan> = {}): Plan {
  return {
    id: 'p1',
    name: 'Nightly',
    enabled: true,
    schedule: { kind: 'daily', time: '02:00' },
    updatedAt: '2026-01-01T00:00:00.000Z',
    options: { copies },
    ...overrides,
  } as unknown as Plan;
}

const NEWEST = { id: 'b1', startedAt: '2026-01-10T02:00:00.000Z', finishedAt: '2026-01-10T02:05:00.000Z' };

function copy(destinationId: string, kind: BackupCopy['kind'], status: BackupCopy['status'], error: string | null = null): BackupCopy {
  return {
    backupId: 'b1',
    destinationId,
    kind,
    destinationUrl: kind === 'local' ? '/mnt/usb' : 's3://b',
    url: 'x',
    key: 'k',
    status,
    sizeBytes: null,
    sha256: null,
    uploadedAt: null,
    verifiedAt: null,
    error,
    attempts: 1,
  };
}

describe('planOffsiteStatus', () => {
  it('tells each state', () => {
    expect(planOffsiteStatus(plan([LOCAL]), NEWEST, []).state).toBe('not-configured');
    expect(planOffsiteStatus(plan([S3]), null, []).state).toBe('no-backup');
    expect(planOffsiteStatus(plan([S3]), NEWEST, [copy('s3', 's3', 'verified')])).toMatchObject({ state: 'verified', unprotectedSince: null, configured: true });
    expect(planOffsiteStatus(plan([S3]), NEWEST, [copy('s3', 's3', 'uploaded')])).toMatchObject({ state: 'uploaded', unprotectedSince: null });
    // a local copy is no off-site copy
    expect(planOffsiteStatus(plan([S3, LOCAL]), NEWEST, [copy('usb', 'local', 'verified'), copy('s3', 's3', 'failed', 'down')])).toMatchObject({
      state: 'failed',
      unprotectedSince: NEWEST.finishedAt,
    });
    expect(planOffsiteStatus(plan([S3, LOCAL]), NEWEST, [copy('usb', 'local', 'verified')])).toMatchObject({ state: 'pending', unprotectedSince: NEWEST.finishedAt });
  });

  it('counts from the last save when the copies were added after the newest backup', () => {
    const later = '2026-01-11T09:00:00.000Z';
    expect(planOffsiteStatus(plan([S3], { updatedAt: later }), NEWEST, []).unprotectedSince).toBe(later);
  });
});

describe('offsiteAlert', () => {
  const failed = planOffsiteStatus(plan([S3]), NEWEST, [copy('s3', 's3', 'failed', 'Cannot reach the off-site destination.')]);

  it('is raised past the schedule period, naming the destination and the reason', () => {
    expect(offsiteAlert(plan([S3]), failed, new Date('2026-01-11T02:00:00.000Z'))).toBeNull();
    const draft = offsiteAlert(plan([S3]), failed, new Date('2026-01-11T03:00:00.000Z'));
    expect(draft).toMatchObject({ kind: 'offsite', planId: 'p1', jobId: 'b1' });
    expect(draft!.message).toContain('s3://b');
    expect(draft!.message).toContain('Cannot reach the off-site destination');
  });

  it('is never raised for a manual or disabled plan, nor once a copy landed', () => {
    const late = new Date('2026-02-01T00:00:00.000Z');
    expect(offsiteAlert(plan([S3], { schedule: { kind: 'manual' } }), failed, late)).toBeNull();
    expect(offsiteAlert(plan([S3], { enabled: false }), failed, late)).toBeNull();
    const landed = planOffsiteStatus(plan([S3]), NEWEST, [copy('s3', 's3', 'uploaded')]);
    expect(offsiteAlert(plan([S3]), landed, late)).toBeNull();
  });

  it('counts from the first of a run of backups without a copy: a copy failing every night still alerts', () => {
    // the newest backup is 1 h old, but the nights before it had no off-site copy either
    const streak = planOffsiteStatus(plan([S3]), NEWEST, [copy('s3', 's3', 'failed', 'down')], '2026-01-07T02:05:00.000Z');
    expect(streak.unprotectedSince).toBe('2026-01-07T02:05:00.000Z');
    const draft = offsiteAlert(plan([S3]), streak, new Date('2026-01-10T03:05:00.000Z'));
    expect(draft?.message).toContain('for 3 d 1 h (since');
    expect(offsiteAlert(plan([S3]), failed, new Date('2026-01-10T03:05:00.000Z'))).toBeNull();
  });

  it('uses a weekly schedule\'s 7 days', () => {
    const weekly = plan([S3], { schedule: { kind: 'weekly', days: [1], time: '02:00' } } as Partial<Plan>);
    expect(offsiteAlert(weekly, failed, new Date('2026-01-16T02:00:00.000Z'))).toBeNull();
    expect(offsiteAlert(weekly, failed, new Date('2026-01-17T03:00:00.000Z'))).not.toBeNull();
  });
});
