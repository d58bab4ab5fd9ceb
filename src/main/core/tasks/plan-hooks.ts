/**
 * A plan's pre- and post-backup hooks around its run. The pre-backup hook runs before anything
 * is written: a failure (exit code not 0, a timeout, a program that cannot be run) fails the run
 * with the hook's output as the job's tool output. The post-backup hook runs after every run
 * that got past the pre-backup hook (success, partial, failed or cancelled), with the backup's
 * path and status; its failure is noted on the job but does not change the backup's status.
 * Each hook's exit code and output tail are recorded on the job (jobs.hooks).
 */
import { toTransferable, type AppError } from '../../../shared/errors';
import type { Hook, HookPhase } from '../../../shared/hooks';
import type { Plan } from '../../../shared/plan';
import type { CoreContext } from '../context';
import { runHook } from '../hooks/run-hook';
import { JobFailure, type JobContext, type JobOutcome } from '../jobs/job-runner';

export type PostHookStatus = JobOutcome['status'] | 'cancelled';

/** The variables every hook of the run gets. */
function runVariables(plan: Plan, job: JobContext, description: string | null, phase: HookPhase): Record<string, string> {
  return {
    LIFEBOAT_HOOK: phase,
    LIFEBOAT_PLAN_ID: plan.id,
    LIFEBOAT_PLAN_NAME: plan.name,
    LIFEBOAT_JOB_ID: job.jobId,
    LIFEBOAT_BACKUP_TYPE: plan.type,
    LIFEBOAT_DESTINATION: plan.options.destination,
    LIFEBOAT_DESCRIPTION: description ?? '',
  };
}

/** What the post-backup hook learns of the run. */
export function postHookVariables(status: PostHookStatus, outcome: JobOutcome | null, error: { code: string; message: string } | null): Record<string, string> {
  return {
    LIFEBOAT_BACKUP_STATUS: status,
    LIFEBOAT_BACKUP_PATH: outcome?.filePath ?? '',
    LIFEBOAT_BACKUP_SIZE: outcome?.sizeBytes != null ? String(outcome.sizeBytes) : '',
    LIFEBOAT_BACKUP_SHA256: outcome?.checksum ?? '',
    LIFEBOAT_ERROR_CODE: error?.code ?? outcome?.errorCode ?? '',
    LIFEBOAT_MESSAGE: error?.message ?? outcome?.displayMessage ?? '',
  };
}

async function runAndRecord(
  ctx: Pick<CoreContext, 'jobs'>,
  job: JobContext,
  phase: HookPhase,
  hook: Hook,
  variables: Record<string, string>,
  signal: AbortSignal | undefined,
  env: NodeJS.ProcessEnv | undefined,
): Promise<{ error: AppError | null; outputTail: string }> {
  const { result, error } = await runHook({ phase, hook, variables, signal, baseEnv: env });
  ctx.jobs.recordHook(job.jobId, result);
  return { error, outputTail: result.outputTail };
}

/**
 * Runs `run` (the plan's backup) between the plan's hooks. Without hooks it is `run()` itself.
 * `env`: the environment hooks inherit (default the process's; LIFEBOAT_PASSPHRASE withheld).
 */
export async function withPlanHooks(
  ctx: Pick<CoreContext, 'jobs'>,
  plan: Plan,
  job: JobContext,
  description: string | null,
  run: () => Promise<JobOutcome>,
  env?: NodeJS.ProcessEnv,
): Promise<JobOutcome> {
  const pre = plan.hooks?.pre ?? null;
  const post = plan.hooks?.post ?? null;
  if (pre) {
    job.progress({ phase: 'preflight', currentItem: 'pre-backup hook' });
    const { error, outputTail } = await runAndRecord(ctx, job, 'pre', pre, runVariables(plan, job, description, 'pre'), job.signal, env);
    if (job.signal.aborted) throw job.signal.reason;
    if (error) throw new JobFailure(error, [], `pre-backup hook (${pre.command}):\n${outputTail || '(no output)'}`);
  }
  if (!post) return run();

  let outcome: JobOutcome;
  try {
    outcome = await run();
  } catch (error) {
    const cancelled = job.signal.aborted;
    // a cancelled run's hook is not cut short by the cancel itself: only its timeout stops it
    await runAndRecord(
      ctx,
      job,
      'post',
      post,
      { ...runVariables(plan, job, description, 'post'), ...postHookVariables(cancelled ? 'cancelled' : 'failed', null, toTransferable(error)) },
      undefined,
      env,
    );
    throw error;
  }
  job.progress({ currentItem: 'post-backup hook' });
  const { error, outputTail } = await runAndRecord(
    ctx,
    job,
    'post',
    post,
    { ...runVariables(plan, job, description, 'post'), ...postHookVariables(outcome.status, outcome, null) },
    job.signal,
    env,
  );
  if (!error || job.signal.aborted) return outcome;
  // the backup stands as it is: the hook's failure is said, with its output
  return {
    ...outcome,
    displayMessage: `${outcome.displayMessage ?? ''} ${error.message}`.trim(),
    stderrTail: [outcome.stderrTail, `post-backup hook (${post.command}):\n${outputTail || '(no output)'}`].filter(Boolean).join('\n'),
  };
}
