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
