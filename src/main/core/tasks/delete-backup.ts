/**
 * Deleting one backup by hand (`lifeboat delete`), by the rules retention keeps: never a base
 * that a backup still on disk builds on (an incremental or differential cannot be restored
 * without its chain) unless its dependents go with it, newest first; each deletion marks the job
 * as retention does (markPruned: the row stays, its file is gone) and is recorded in the audit log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/job';
import type { CoreContext } from '../context';
import { deleteCopiesOf } from './upload-copies';

export type DeleteBackupContext = Pick<CoreContext, 'jobs' | 'audit' | 'runner' | 'plans' | 'catalog' | 'secrets'>;

/** A backup to delete and the backups that build on it (directly or through others), newest first. */
export interface BackupDeletion {
  backup: JobSummary;
  dependents: JobSummary[];
}

/** Shortest unique prefix of a backup id a command line may use (like git's short hashes). */
const MIN_ID_PREFIX = 8;

/**
 * Finds the backup `ref` names: a backup job id (or a unique prefix of at least 8 characters of
 * one), or the path of its file as the catalog recorded it. NOT_FOUND naming what was looked for.
 */
export function findBackup(ctx: Pick<CoreContext, 'jobs'>, ref: string): JobSummary {
  const exact = ctx.jobs.get(ref);
  if (exact?.kind === 'backup') return exact;
  const backups = ctx.jobs.all({ kind: 'backup' });
  const filePath = path.resolve(ref);
  const byPath = backups.find((job) => job.filePath === filePath);
  if (byPath) return byPath;
  if (ref.length >= MIN_ID_PREFIX) {
    const byPrefix = backups.filter((job) => job.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new AppError('NOT_FOUND', { detail: `${ref} is the start of several backup ids; give more of it` });
  }
  throw new AppError('NOT_FOUND', {
    detail: `no backup in the catalog has the id or file ${ref} (lifeboat list --json shows ids and files; a file the catalog does not know is not Lifeboat's to delete)`,
  });
}

/** The backups of the same plan, still on disk, that need `backup` (its chain's later links), newest first. */
export function dependentsOf(ctx: Pick<CoreContext, 'jobs'>, backup: JobSummary): JobSummary[] {
  if (!backup.planId) return [];
  const onDisk = ctx.jobs.backupsOfPlan(backup.planId);
  const needs = new Set([backup.id]);
  // a fixed point: a chain's links may be listed in any order
  for (let grew = true; grew; ) {
    grew = false;
    for (const job of onDisk) {
      const base = ctx.jobs.baseOf(job.id);
      if (!needs.has(job.id) && base && needs.has(base)) {
        needs.add(job.id);
        grew = true;
      }
    }
  }
  return onDisk.filter((job) => job.id !== backup.id && needs.has(job.id));
}

/** What deleting `ref` involves; NOT_FOUND for an unknown backup or one whose file is already gone. */
export function planBackupDeletion(ctx: Pick<CoreContext, 'jobs'>, ref: string): BackupDeletion {
  const backup = findBackup(ctx, ref);
  if (!backup.filePath) {
    throw new AppError('NOT_FOUND', { detail: `backup ${backup.id} has no file any more${backup.displayMessage ? ` (${backup.displayMessage})` : ''}` });
  }
  return { backup, dependents: dependentsOf(ctx, backup) };
}

/**
 * Throws what deleting would refuse: BACKUP_HAS_DEPENDENTS naming the backups that build on this
 * one when `withDependents` is not set; PLAN_BUSY while a job of the plan runs (it may be
 * building on this backup).
 */
export function assertDeletable(ctx: Pick<CoreContext, 'jobs' | 'runner'>, deletion: BackupDeletion, withDependents: boolean): void {
  const { backup, dependents } = deletion;
  if (dependents.length && !withDependents) {
    throw new AppError('BACKUP_HAS_DEPENDENTS', {
      detail: `${dependents.length} backup(s) need ${backup.id}: ${dependents.map((d) => d.filePath ?? d.id).join(', ')}`,
    });
  }
  if (backup.planId) {
    const busy =
      ctx.runner.isPlanActive(backup.planId) ||
      ctx.jobs.list({ planId: backup.planId, status: 'running' }, 1, 1).total + ctx.jobs.list({ planId: backup.planId, status: 'pending' }, 1, 1).total > 0;
    if (busy) throw new AppError('PLAN_BUSY', { detail: `plan "${backup.planName ?? backup.planId}"` });
  }
}

/**
 * Deletes the backup's file and its copies at other destinations, and with `withDependents`
 * first those of the backups that build on it (newest first, so that a chain never has a missing
 * middle); refuses as assertDeletable.
 * Returns the deleted backups in the order deleted.
 */
export async function deleteBackup(
  ctx: DeleteBackupContext,
  deletion: BackupDeletion,
  options: { withDependents: boolean; actor: string },
): Promise<JobSummary[]> {
  assertDeletable(ctx, deletion, options.withDependents);
  const { backup, dependents } = deletion;
  const deleted: JobSummary[] = [];
  for (const job of [...dependents, backup]) {
    if (!job.filePath) continue;
    await fs.promises.rm(job.filePath, { force: true });
    const dependent = job.id !== backup.id;
    ctx.jobs.markPruned(job.id, dependent ? `Deleted by hand with the backup it builds on (${backup.id}).` : 'Deleted by hand.');
    ctx.audit.record(options.actor, 'backup.delete', job.id, {
      plan: job.planName,
      file: job.filePath,
      reason: dependent ? `builds on ${backup.id}` : 'deleted by hand',
    });
    // and its copies at the plan's other destinations (a failed delete is retried on the plan's next run)
    await deleteCopiesOf(ctx, job.planId ? ctx.plans.get(job.planId) : undefined, job.id, options.actor);
    deleted.push(job);
  }
  return deleted;
}
