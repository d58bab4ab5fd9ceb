import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { InvokeHandlers } from '../../shared/ipc-contract';
import type { JobSummary } from '../../shared/job';
import { secretKeys } from './paths';
import { createNotifyHandlers } from './handlers/notify';
import { createSchedulerHandlers } from './handlers/scheduler';
import { validateSchedule } from './scheduler/next-run';
import { createRestoreHandlers } from './handlers/restore';
import { createStatsHandlers } from './handlers/stats';
import type { LifeboatCore } from './lifeboat';

const CSV_COLUMNS: (keyof JobSummary)[] = [
  'id',
  'kind',
  'planName',
  'status',
  'trigger',
  'startedAt',
  'finishedAt',
  'durationMs',
  'sizeBytes',
  'compressionRatio',
  'checksum',
  'filePath',
  'displayMessage',
  'provenAt',
];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // a leading =, +, - or @ would run as a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Jobs as CSV (RFC 4180), one header row. */
export function jobsToCsv(jobs: JobSummary[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const job of jobs) lines.push(CSV_COLUMNS.map((c) => csvCell(job[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * The handler map behind every IPC channel. Arguments arrive validated (see dispatch); each
 * change and action is written to the audit log.
 */
export function createHandlers(core: LifeboatCore, actor = 'user'): InvokeHandlers {
  const planOrThrow = (id: string) => {
    const plan = core.plans.get(id);
    if (!plan) throw new AppError('NOT_FOUND', { detail: `plan ${id}` });
    return plan;
  };
  return {
    'app/get-info': () => ({
      version: core.appVersion,
      dataDir: core.dataDir,
      platform: process.platform,
      paused: core.isPaused(),
    }),
    'app/set-paused': ({ paused }) => {
      core.setPaused(paused);
      core.audit.record(actor, paused ? 'scheduler.pause' : 'scheduler.resume', null);
      return { paused: core.isPaused() };
    },
    'app/take-pending-file': () => ({ path: core.pendingOpenFile?.() ?? null }),
    'jobs/list': ({ page, pageSize, ...filter }) => core.jobs.list(filter, page, pageSize),
    'jobs/get': ({ id }) => {
      const job = core.jobs.detail(id);
      if (!job) throw new AppError('NOT_FOUND', { detail: `job ${id}` });
      return job;
    },
    'jobs/cancel': ({ id }) => {
      const cancelled = core.runner.cancel(id, 'user');
      if (cancelled) core.audit.record(actor, 'job.cancel', id);
      return { cancelled };
    },
    'jobs/export-csv': (filter) => {
      core.audit.record(actor, 'jobs.export-csv', null, filter);
      return { csv: jobsToCsv(core.jobs.all(filter)) };
    },
    'plans/list': () => core.plans.list(),
    'plans/get': ({ id }) => planOrThrow(id),
    'plans/save': async ({ plan, secrets }) => {
      const id = plan.id ?? randomUUID();
      const existing = plan.id ? core.plans.get(plan.id) : undefined;
      if (plan.id && !existing) throw new AppError('NOT_FOUND', { detail: `plan ${plan.id}` });
      // a bad time zone or cron expression is refused here, not discovered at 02:00
      validateSchedule(plan.schedule, plan.timezone);
      for (const [sourceId, password] of Object.entries(secrets.dbPasswords)) {
        const key = secretKeys.dbPassword(id, sourceId);
        if (password === '') await core.secrets.delete(key);
        else await core.secrets.set(key, password);
      }
      if (secrets.passphrase) await core.secrets.set(secretKeys.passphrase(id), secrets.passphrase);
      // the drill server's password: kept only while the plan drills on a server of its own
      const drillKey = secretKeys.drillPassword(id);
      if (secrets.drillPassword === '' || !plan.options.drillServer) await core.secrets.delete(drillKey);
      else if (secrets.drillPassword) await core.secrets.set(drillKey, secrets.drillPassword);
      if (plan.options.encrypt && !(await core.secrets.get(secretKeys.passphrase(id)))) {
        throw new AppError('PASSPHRASE_REQUIRED', { detail: 'set a passphrase for this encrypted plan' });
      }
      const databases = await Promise.all(
        plan.databases.map(async (db) => ({
          ...db,
          hasPassword: (await core.secrets.get(secretKeys.dbPassword(id, db.id))) !== null,
        })),
      );
      const drillServer = plan.options.drillServer && { ...plan.options.drillServer, hasPassword: (await core.secrets.get(drillKey)) !== null };
      const saved = core.plans.upsert(id, { ...plan, id, databases, options: { ...plan.options, drillServer } }, core.clock.now().toISOString());
      core.audit.record(actor, existing ? 'plan.update' : 'plan.create', id, { name: saved.name });
      core.events.emit('plans/changed', { planId: id });
      return saved;
    },
    'plans/delete': async ({ id }) => {
      const plan = planOrThrow(id);
      if (core.runner.isPlanActive(id)) throw new AppError('PLAN_BUSY');
      for (const db of plan.databases) await core.secrets.delete(secretKeys.dbPassword(id, db.id));
      await core.secrets.delete(secretKeys.passphrase(id));
      await core.secrets.delete(secretKeys.drillPassword(id));
      const deleted = core.plans.delete(id);
      core.audit.record(actor, 'plan.delete', id, { name: plan.name });
      core.events.emit('plans/changed', { planId: id });
      return { deleted };
    },
    'plans/run-now': ({ id }) => {
      const plan = planOrThrow(id);
      const job = core.startPlanBackup(plan, 'manual');
      core.audit.record(actor, 'plan.run-now', id, { jobId: job.id });
      return { jobId: job.id };
    },
    'audit/list': ({ page, pageSize }) => core.audit.list(page, pageSize),
    ...createNotifyHandlers(core, actor),
    ...createSchedulerHandlers(core, actor),
    ...createRestoreHandlers(core, actor),
    ...createStatsHandlers(core),
  };
}
