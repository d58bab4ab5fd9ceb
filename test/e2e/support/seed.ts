/** Catalog seeding for the e2e specs: rows written straight through the core's repositories. */
import { randomUUID } from 'node:crypto';
import type { JobKind, JobSourceResult, JobStatus, JobTrigger } from '../../../src/shared/job';
import { planInputSchema, type Plan, type PlanInput } from '../../../src/shared/plan';
import type { TestCore } from './fixtures';

/** A plan as if saved earlier; the schema fills the defaults exactly as plans/save would. */
export function seedPlan(core: TestCore, overrides: Partial<PlanInput> & { name: string }): Plan {
  const id = overrides.id ?? randomUUID();
  const definition = planInputSchema.parse({
    folders: [{ id: randomUUID(), path: '/srv/data' }],
    options: { destination: '/var/backups/lifeboat', encrypt: false },
    ...overrides,
    id,
  });
  return core.plans.upsert(id, definition, new Date().toISOString());
}

export interface SeedJob {
  plan?: Pick<Plan, 'id' | 'name'> | null;
  kind?: JobKind;
  status?: JobStatus;
  trigger?: JobTrigger;
  startedAt?: Date;
  durationMs?: number;
  sizeBytes?: number | null;
  filePath?: string | null;
  displayMessage?: string | null;
  errorCode?: string | null;
  stderrTail?: string | null;
  sources?: JobSourceResult[];
  /** backups: whether the file was written encrypted (default: not recorded) */
  encrypted?: boolean;
}

/** A finished job (core.jobs.create + finish), as the runner would have left it. */
export function seedJob(core: TestCore, job: SeedJob = {}): string {
  const id = randomUUID();
  const startedAt = job.startedAt ?? new Date();
  const durationMs = job.durationMs ?? 42_000;
  const status = job.status ?? 'success';
  core.jobs.create({
    id,
    kind: job.kind ?? 'backup',
    planId: job.plan?.id ?? null,
    planName: job.plan?.name ?? null,
    trigger: job.trigger ?? 'scheduled',
    startedAt: startedAt.toISOString(),
    status: 'running',
  });
  for (const source of job.sources ?? []) core.jobs.addSourceResult(id, source);
  core.jobs.finish(id, {
    status,
    finishedAt: new Date(startedAt.getTime() + durationMs).toISOString(),
    durationMs,
    sizeBytes: job.sizeBytes === undefined ? (status === 'success' ? 5_242_880 : null) : job.sizeBytes,
    filePath: job.filePath ?? null,
    displayMessage: job.displayMessage ?? null,
    errorCode: job.errorCode ?? null,
    stderrTail: job.stderrTail ?? null,
    encrypted: job.encrypted ?? null,
  });
  return id;
}

/** `count` finished jobs of `plan`, one minute apart, the newest last; messages are "run 01".."run NN". */
export function seedJobs(core: TestCore, plan: Pick<Plan, 'id' | 'name'>, count: number, status: JobStatus = 'success'): string[] {
  const start = Date.now() - count * 60_000;
  return Array.from({ length: count }, (_, i) =>
    seedJob(core, {
      plan,
      status,
      startedAt: new Date(start + i * 60_000),
      displayMessage: `run ${String(i + 1).padStart(2, '0')}`,
    }),
  );
}

/**
 * A catalog as an admin's looks after a few weeks: six plans with long names and paths, one of
 * them failing every night (the server refuses the connection), the others succeeding, with
 * long messages. For the layout, accessibility and screenshot specs.
 */
export function seedRealistic(core: TestCore): { failing: Plan; plans: Plan[] } {
  const day = 86_400_000;
  const now = Date.now();
  const failing = seedPlan(core, {
    name: 'Shop DB nightly — production PostgreSQL cluster (eu-west, primary)',
    databases: [
      {
        id: randomUUID(),
        host: 'db-primary.eu-west.internal.example.com',
        port: 5432,
        user: 'backup_operator',
        database: 'shop_production_orders_and_invoices',
        sslMode: 'prefer',
        hasPassword: false,
      },
    ],
    folders: [],
    schedule: { kind: 'daily', time: '02:00' },
    options: { destination: '/mnt/backup-volume/lifeboat/shop/production/eu-west/nightly-database-dumps', encrypt: false },
  });
  const documents = seedPlan(core, {
    name: 'Office documents and shared drives (weekly incremental)',
    type: 'incremental',
    folders: [
      { id: randomUUID(), path: '/home/administrator/Documents/Company Shared Drive/Finance and Accounting/2025 Quarterly Reports' },
      { id: randomUUID(), path: '/srv/samba/shares/engineering/projects/long-running-customer-integration-archive' },
    ],
    schedule: { kind: 'weekly', days: [0], time: '03:00' },
    options: { destination: '/var/backups/lifeboat/office-documents-and-shared-drives', encrypt: true, drillAfter: false },
  });
  const others = ['Wiki database (Confluence export)', 'Mail archive', 'Build server artefacts', 'CRM database hourly'].map((name, i) =>
    seedPlan(core, {
      name,
      folders: [{ id: randomUUID(), path: `/srv/data/${name.toLowerCase().replace(/[^a-z]+/g, '-')}` }],
      schedule: i === 3 ? { kind: 'hourly', everyHours: 6 } : { kind: 'daily', time: `0${i + 1}:30` },
      options: { destination: `/var/backups/lifeboat/${i}`, encrypt: i % 2 === 0 },
    }),
  );
  for (let n = 6; n >= 0; n--) {
    seedJob(core, {
      plan: failing,
      status: 'failed',
      startedAt: new Date(now - n * day - 3_600_000),
      durationMs: 10_400,
      errorCode: 'PG_UNREACHABLE',
      displayMessage:
        'Cannot reach the PostgreSQL server. Check that it is running and that the host and port in the plan are right. (db-primary.eu-west.internal.example.com:5432: connect ETIMEDOUT after 10 s)',
    });
    for (const plan of [documents, ...others]) {
      seedJob(core, {
        plan,
        status: 'success',
        startedAt: new Date(now - n * day - 2 * 3_600_000),
        durationMs: 95_000 + n * 1_000,
        sizeBytes: 310_000_000 + n * 1_000_000,
        filePath: `${plan.options.destination}/${plan.name.toLowerCase().replace(/[^a-z]+/g, '-')}-2025-06-${String(10 + n).padStart(2, '0')}T021500Z.lifeboat`,
        displayMessage: `Backed up ${plan.folders.length} folder(s): 12 480 files, 2.9 GB read, written to ${plan.options.destination}.`,
      });
    }
  }
  // armed as at the app's start, so that the screens show next runs
  if (core.scheduler.isStarted()) core.scheduler.reinitialize();
  return { failing, plans: [failing, documents, ...others] };
}
