import type { JobSummary } from '../../src/shared/job';

let seq = 0;

/** A finished, successful scheduled backup job row (unique id), with the fields a test cares about overridden. */
export function jobSummary(overrides: Partial<JobSummary> = {}): JobSummary {
  seq++;
  return {
    id: `job-${seq}`,
    kind: 'backup',
    planId: 'plan-a',
    planName: 'Nightly',
    status: 'success',
    trigger: 'scheduled',
    startedAt: '2025-01-01T02:00:00.000Z',
    finishedAt: '2025-01-01T02:05:00.000Z',
    durationMs: 300_000,
    sizeBytes: 1000,
    compressionRatio: 2,
    checksum: 'abc',
    filePath: '/backups/a.lifeboat',
    displayMessage: null,
    errorCode: null,
    cancelledBy: null,
    provenAt: null,
    encrypted: true,
    progress: null,
    ...overrides,
  };
}
