/**
 * A job in a process of its own, for the tests that kill Lifeboat mid-restore or run one plan
 * from two processes at once:
 *
 *   LIFEBOAT_HOME=<data dir> LIFEBOAT_TEST_JOB='<json>' LIFEBOAT_TEST_SECRETS='<json>' \
 *   node --import tsx test/support/job-child.ts
 *
 * LIFEBOAT_TEST_JOB is `{ "kind": "restore", "request": <restore/start request> }`,
 * `{ "kind": "drill", "request": <verify/drill request> }` or `{ "kind": "run-plan", "planId": ... }`;
 * LIFEBOAT_TEST_SECRETS fills the in-memory keychain (key -> value). Secrets come in the
 * environment, never argv. Starts the job through the same core the app and the CLI build, prints
 * one JSON line `{"jobId": ...}` (or `{"error": {code, message}}` and exits 1) and waits for it.
 */
import { dispatch } from '../../src/main/core/ipc/dispatch';
import { createLifeboatCore } from '../../src/main/core/lifeboat';
import { resolveDataDir } from '../../src/main/core/paths';
import { MemorySecretStore } from '../../src/main/core/ports';
import { AppError, toTransferable } from '../../src/shared/errors';

type ChildJob = { kind: 'restore' | 'drill'; request: unknown } | { kind: 'run-plan'; planId: string };

async function main(): Promise<void> {
  const job = JSON.parse(process.env.LIFEBOAT_TEST_JOB ?? '') as ChildJob;
  const secrets = new MemorySecretStore();
  for (const [key, value] of Object.entries(JSON.parse(process.env.LIFEBOAT_TEST_SECRETS ?? '{}') as Record<string, string>)) {
    await secrets.set(key, value);
  }
  const core = createLifeboatCore({ dataDir: resolveDataDir(null), appVersion: '0.0.0-test', secrets, actor: 'cli' });
  let jobId: string;
  try {
    if (job.kind === 'run-plan') {
      const plan = core.plans.get(job.planId);
      if (!plan) throw new AppError('NOT_FOUND', { detail: job.planId });
      jobId = core.startPlanBackup(plan, 'manual').id;
    } else {
      const reply = await dispatch(core.handlers, job.kind === 'restore' ? 'restore/start' : 'verify/drill', job.request as never);
      if (!reply.ok) throw Object.assign(new AppError(reply.error.code), { message: reply.error.message });
      jobId = (reply.value as { jobId: string }).jobId;
    }
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: toTransferable(error) })}\n`);
    await core.close();
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${JSON.stringify({ jobId, pid: process.pid })}\n`);
  const done = await core.runner.wait(jobId);
  process.stdout.write(`${JSON.stringify({ status: done.status })}\n`);
  await core.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
