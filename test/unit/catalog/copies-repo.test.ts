import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openCatalog, type CatalogDb } from '../../../src/main/core/catalog/catalog';
import { CopiesRepo, type CopyTarget } from '../../../src/main/core/catalog/copies-repo';
import { JobsRepo } from '../../../src/main/core/catalog/jobs-repo';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
const dbs: CatalogDb[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function fresh(): { db: CatalogDb; jobs: JobsRepo; copies: CopiesRepo } {
  const dir = makeTempDir();
  dirs.push(dir);
  const db = openCatalog(dir);
  dbs.push(db);
  return { db, jobs: new JobsRepo(db), copies: new CopiesRepo(db) };
}

/** A finished backup of plan p1 started at `at`, with its file still there unless `pruned`. */
function backup(jobs: JobsRepo, id: string, at: string, options: { pruned?: boolean; status?: 'success' | 'partial' | 'running' } = {}): void {
  jobs.create({ id, kind: 'backup', planId: 'p1', planName: 'Plan', trigger: 'manual', startedAt: at });
  if (options.status === 'running') return jobs.markRunning(id, null);
  jobs.finish(id, { status: options.status ?? 'success', finishedAt: at, durationMs: 1, filePath: `/backups/${id}.lifeboat`, sizeBytes: 10, checksum: 'ab'.repeat(32) });
  if (options.pruned) jobs.markPruned(id, 'Removed by retention: test.');
}

function target(backupId: string, destinationId: string, kind: CopyTarget['kind'] = 's3'): CopyTarget {
  return { backupId, destinationId, kind, destinationUrl: `s3://bucket/${destinationId}`, key: `plan/${backupId}.lifeboat`, url: `s3://bucket/${destinationId}/plan/${backupId}.lifeboat` };
}

describe('CopiesRepo', () => {
  it('records an upload, then a failure of the same copy, counting attempts and forgetting the old checks', () => {
    const { jobs, copies } = fresh();
    backup(jobs, 'b1', '2026-01-01T02:00:00.000Z');
    const ok = copies.recordUploaded(target('b1', 'd1'), { sizeBytes: 10, sha256: 'cd'.repeat(32), uploadedAt: '2026-01-01T02:01:00.000Z', verifiedAt: '2026-01-01T02:02:00.000Z' });
    expect(ok).toMatchObject({ status: 'verified', sizeBytes: 10, sha256: 'cd'.repeat(32), attempts: 1, error: null, kind: 's3' });
    const failed = copies.recordFailed(target('b1', 'd1'), 'Cannot reach the off-site destination');
    expect(failed).toMatchObject({ status: 'failed', sizeBytes: null, sha256: null, verifiedAt: null, attempts: 2, error: 'Cannot reach the off-site destination' });
    const again = copies.recordUploaded(target('b1', 'd1'), { sizeBytes: 10, sha256: 'cd'.repeat(32), uploadedAt: '2026-01-02T02:01:00.000Z', verifiedAt: null });
    expect(again).toMatchObject({ status: 'uploaded', attempts: 3, error: null, verifiedAt: null });
    expect(copies.forBackup('b1')).toHaveLength(1);
  });

  it('lists the failed or missing copies of the newest kept backups, newest first, bounded', () => {
    const { jobs, copies } = fresh();
    backup(jobs, 'old', '2026-01-01T02:00:00.000Z');
    backup(jobs, 'mid', '2026-01-02T02:00:00.000Z', { status: 'partial' });
    backup(jobs, 'gone', '2026-01-03T02:00:00.000Z', { pruned: true });
    backup(jobs, 'new', '2026-01-04T02:00:00.000Z');
    backup(jobs, 'running', '2026-01-05T02:00:00.000Z', { status: 'running' });
    copies.recordUploaded(target('new', 'd1'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: null });
    copies.recordFailed(target('new', 'd2'), 'boom');
    copies.recordUploaded(target('mid', 'd1'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: 'now' });
    const all = copies.missingOrFailed('p1', ['d1', 'd2'], 5).map((r) => `${r.backupId}:${r.destinationId}:${r.copy?.status ?? 'none'}`);
    expect(all).toEqual(['new:d2:failed', 'mid:d2:none', 'old:d1:none', 'old:d2:none']);
    expect(copies.missingOrFailed('p1', ['d1', 'd2'], 1).map((r) => r.backupId)).toEqual(['new']);
    expect(copies.missingOrFailed('p1', [], 5)).toEqual([]);
  });

  it('picks the nearest healthy copy: verified before uploaded, never failed or deleted', () => {
    const { jobs, copies } = fresh();
    backup(jobs, 'b1', '2026-01-01T02:00:00.000Z');
    copies.recordFailed(target('b1', 'a'), 'boom');
    copies.recordUploaded(target('b1', 'b'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: null });
    copies.recordUploaded(target('b1', 'c'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: 'now' });
    expect(copies.healthyCopy('b1')?.destinationId).toBe('c');
    copies.markDeleted('b1', 'c');
    expect(copies.healthyCopy('b1')?.destinationId).toBe('b');
    copies.markDeleted('b1', 'b');
    expect(copies.healthyCopy('b1')).toBeNull();
  });

  it("keeps a failed delete of a removed backup's copy pending until it is deleted, and never a running backup's", () => {
    const { jobs, copies } = fresh();
    backup(jobs, 'gone', '2026-01-01T02:00:00.000Z', { pruned: true });
    backup(jobs, 'running', '2026-01-02T02:00:00.000Z', { status: 'running' });
    copies.recordUploaded(target('gone', 'd1'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: 'now' });
    copies.recordUploaded(target('running', 'd1'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: 'now' });
    copies.markDeleteFailed('gone', 'd1', 'unreachable');
    expect(copies.pendingDeletes('p1').map((c) => `${c.backupId}:${c.status}:${c.error}`)).toEqual(['gone:failed:unreachable']);
    copies.markDeleted('gone', 'd1');
    expect(copies.pendingDeletes('p1')).toEqual([]);
    expect(copies.get('gone', 'd1')?.status).toBe('deleted');
  });

  it("finds the copies of a plan's newest backup still kept", () => {
    const { jobs, copies } = fresh();
    expect(copies.forNewestBackup('p1')).toBeNull();
    backup(jobs, 'b1', '2026-01-01T02:00:00.000Z');
    backup(jobs, 'b2', '2026-01-02T02:00:00.000Z');
    copies.recordUploaded(target('b2', 'd1'), { sizeBytes: 10, sha256: 'x', uploadedAt: 'now', verifiedAt: null });
    expect(copies.forNewestBackup('p1')).toMatchObject({ backupId: 'b2', copies: [{ destinationId: 'd1', status: 'uploaded' }] });
    expect(copies.forPlan('p1').map((c) => c.backupId)).toEqual(['b2']);
  });
});
