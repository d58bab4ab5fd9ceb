/**
 * Helpers for the scheduler integration tests: folder-only plans (no PostgreSQL, no encryption)
 * saved through the real handler map, and waits on the real catalog.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleStateRepo, type ScheduleState } from '../../../src/main/core/catalog/schedule-state-repo';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { LifeboatCore } from '../../../src/main/core/lifeboat';
import type { AuditEntry } from '../../../src/shared/ipc-contract';
import type { JobSummary } from '../../../src/shared/job';
import type { Plan, PlanInput, Schedule } from '../../../src/shared/plan';
import { makeTempDir } from '../../support/temp-core';

/** A source folder with a couple of files and an empty destination folder. */
export function makeFolders(): { source: string; destination: string; remove(): void } {
  const source = makeTempDir('lifeboat-sched-src-');
  const destination = makeTempDir('lifeboat-sched-dest-');
  fs.writeFileSync(path.join(source, 'notes.txt'), 'scheduled backups keep this safe\n');
  fs.mkdirSync(path.join(source, 'sub'));
  fs.writeFileSync(path.join(source, 'sub', 'data.bin'), Buffer.alloc(4096, 7));
  return {
    source,
    destination,
    remove() {
      fs.rmSync(source, { recursive: true, force: true });
      fs.rmSync(destination, { recursive: true, force: true });
    },
  };
}

export function folderPlanInput(options: {
  folders: { source: string; destination: string };
  schedule: Schedule;
  timezone: string;
  name?: string;
  enabled?: boolean;
  id?: string;
}): PlanInput {
  return {
    id: options.id,
    name: options.name ?? 'Scheduled folder plan',
    enabled: options.enabled ?? true,
    type: 'full',
    folders: [{ id: 'f1', path: options.folders.source, excludes: [] }],
    schedule: options.schedule,
    timezone: options.timezone,
    retention: { days: null, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
    options: {
      destination: options.folders.destination,
      encrypt: false,
      verifyAfter: false,
      compressionLevel: 1,
      retries: { count: 0, backoffSeconds: 1 },
    },
  };
}

/** Saves through the contract's schema and the handler map, as the renderer does. */
export async function savePlan(core: LifeboatCore, plan: PlanInput): Promise<Plan> {
  const reply = await dispatch(core.handlers, 'plans/save', { plan, secrets: { dbPasswords: {} } });
  if (!reply.ok) throw new Error(`plans/save failed: ${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

export function planJobs(core: LifeboatCore, planId: string): JobSummary[] {
  return core.jobs.all({ planId });
}

export function auditOf(core: LifeboatCore, action: string, planId?: string): AuditEntry[] {
  return core.audit
    .list(1, 1000)
    .items.filter((e) => e.action === action && (planId === undefined || e.target === planId));
}

export function scheduleState(core: LifeboatCore, planId: string): ScheduleState | undefined {
  return new ScheduleStateRepo(core.catalog).get(planId);
}

export function setLastSlot(core: LifeboatCore, planId: string, at: Date): void {
  core.catalog.prepare('UPDATE schedule_state SET last_slot_at = ? WHERE plan_id = ?').run(at.toISOString(), planId);
  if (!scheduleState(core, planId)) new ScheduleStateRepo(core.catalog).recordSlot(planId, at.toISOString());
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Waits until every job the runner holds has recorded its outcome. */
export async function settleJobs(core: LifeboatCore): Promise<void> {
  await Promise.all(core.runner.activeJobIds().map((id) => core.runner.wait(id).catch(() => undefined)));
}

/** A 6-field cron that fires once a minute, at the second `secondsAhead` from now. */
export function cronInSeconds(secondsAhead: number): { expression: string; at: Date } {
  const at = new Date(Math.ceil((Date.now() + secondsAhead * 1000) / 1000) * 1000);
  return { expression: `${at.getUTCSeconds()} * * * * *`, at };
}
