/**
 * A backup in a process of its own, for the test that kills Lifeboat mid-run:
 *
 *   LIFEBOAT_HOME=<data dir> LIFEBOAT_TEST_PLAN='<plan input JSON>' \
 *   LIFEBOAT_TEST_DB_PASSWORD=... LIFEBOAT_TEST_PASSPHRASE=... node --import tsx test/support/backup-child.ts
 *
 * Saves the plan (the password for every database source of the plan), starts it, prints one
 * JSON line `{"jobId": ...}` and waits for the job. Secrets come in the environment, never argv.
 */
import { createLifeboatCore } from '../../src/main/core/lifeboat';
import { resolveDataDir } from '../../src/main/core/paths';
import { MemorySecretStore } from '../../src/main/core/ports';
import type { PlanInput } from '../../src/shared/plan';
import { FAST_CONTAINER, savePlan } from './backup-fixtures';

async function main(): Promise<void> {
  const input = JSON.parse(process.env.LIFEBOAT_TEST_PLAN ?? '') as PlanInput;
  const password = process.env.LIFEBOAT_TEST_DB_PASSWORD ?? '';
  const core = createLifeboatCore({
    dataDir: resolveDataDir(null),
    appVersion: '0.0.0-test',
    secrets: new MemorySecretStore(),
    containerOptions: FAST_CONTAINER,
  });
  const plan = await savePlan(core, input, {
    dbPasswords: Object.fromEntries((input.databases ?? []).map((db) => [db.id, password])),
    passphrase: process.env.LIFEBOAT_TEST_PASSPHRASE,
  });
  const job = core.startPlanBackup(plan, 'manual');
  process.stdout.write(`${JSON.stringify({ jobId: job.id })}\n`);
  const done = await core.runner.wait(job.id);
  process.stdout.write(`${JSON.stringify({ status: done.status })}\n`);
  await core.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
