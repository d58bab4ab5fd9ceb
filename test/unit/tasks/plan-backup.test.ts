import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup() {
  const core = makeTestCore();
  cleanups.push(() => core.cleanup());
  const work = makeTempDir();
  cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
  fs.mkdirSync(path.join(work, 'src'));
  fs.writeFileSync(path.join(work, 'src', 'a.txt'), 'hello');
  const saved = await dispatch(core.handlers, 'plans/save', {
    plan: { name: 'Folder plan', folders: [{ id: 'f1', path: path.join(work, 'src') }], options: { destination: path.join(work, 'out'), encrypt: false } },
    secrets: {},
  });
  if (!saved.ok) throw new Error(saved.error.message);
  return { core, plan: saved.value };
}

describe('startPlanBackup writes its own audit line', () => {
  it('names who started the run, and the job, whether the window, the CLI or the scheduler started it', async () => {
    const { core, plan } = await setup();
    const fromWindow = await dispatch(core.handlers, 'plans/run-now', { id: plan.id });
    if (!fromWindow.ok) throw new Error(fromWindow.error.message);
    expect((await core.runner.wait(fromWindow.value.jobId)).status).toBe('success');
    const fromCli = core.startPlanBackup(plan, 'manual', 'cli');
    await core.runner.wait(fromCli.id);
    const scheduled = core.startPlanBackup(plan, 'scheduled', 'scheduler');
    await core.runner.wait(scheduled.id);

    const runs = core.audit
      .list(1, 50)
      .items.filter((a) => a.target === plan.id && a.action.startsWith('plan.run'))
      .map((a) => ({ actor: a.actor, action: a.action, jobId: (JSON.parse(a.details ?? '{}') as { jobId: string }).jobId }))
      .reverse();
    expect(runs).toEqual([
      { actor: 'user', action: 'plan.run-now', jobId: fromWindow.value.jobId },
      { actor: 'cli', action: 'plan.run-now', jobId: fromCli.id },
      { actor: 'scheduler', action: 'plan.run-scheduled', jobId: scheduled.id },
    ]);
  });

  it('writes none when the plan is busy (PLAN_BUSY) and starts nothing', async () => {
    const { core, plan } = await setup();
    const first = core.startPlanBackup(plan, 'manual');
    expect(() => core.startPlanBackup(plan, 'manual')).toThrowError(expect.objectContaining({ code: 'PLAN_BUSY' }));
    await core.runner.wait(first.id);
    const runs = core.audit.list(1, 50).items.filter((a) => a.action === 'plan.run-now');
    expect(runs.map((a) => (JSON.parse(a.details ?? '{}') as { jobId: string }).jobId)).toEqual([first.id]);
  });
});
