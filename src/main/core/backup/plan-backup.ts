import { AppError } from '../../../shared/errors';
import type { Plan } from '../../../shared/plan';
import type { JobContext, JobOutcome } from '../jobs/job-runner';
import type { LifeboatCore } from '../lifeboat';

/** Runs one backup of a plan inside a job. (The streaming engine lands with the backup issue.) */
export async function runPlanBackup(_core: LifeboatCore, _plan: Plan, _ctx: JobContext): Promise<JobOutcome> {
  throw new AppError('INTERNAL', { detail: 'backup engine not built yet' });
}
