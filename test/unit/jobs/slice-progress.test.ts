import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../src/shared/job';
import { sliceProgress } from '../../../src/main/core/jobs/slice-progress';

function recorder() {
  const seen: Partial<JobProgress>[] = [];
  return { seen, ctx: { jobId: 'j', progress: (update: Partial<JobProgress>) => void seen.push(update) } };
}

describe('sliceProgress', () => {
  it("maps a step's 0-100 onto from-to of the job's bar, to one decimal", () => {
    const { seen, ctx } = recorder();
    const step = sliceProgress(ctx, 30, 50);
    step.progress({ percent: 0 });
    step.progress({ percent: 50 });
    step.progress({ percent: 100 / 3 });
    step.progress({ percent: 100 });
    expect(seen.map((s) => s.percent)).toEqual([30, 40, 36.7, 50]);
  });

  it('never reports past the end of its slice', () => {
    const { seen, ctx } = recorder();
    sliceProgress(ctx, 93, 99).progress({ percent: 140 });
    expect(seen[0]!.percent).toBe(99);
  });

  it('passes the other fields through, lays the fixed ones over them, and adds no percent when none was given', () => {
    const { seen, ctx } = recorder();
    const step = sliceProgress(ctx, 95, 99, { phase: 'drill' });
    step.progress({ phase: 'restore', bytesDone: 10, currentItem: 'shop' });
    expect(seen).toEqual([{ phase: 'drill', bytesDone: 10, currentItem: 'shop' }]);
  });

  it('keeps the rest of the context (the job id, the signal) and nests', () => {
    const { seen, ctx } = recorder();
    const outer = sliceProgress(ctx, 0, 50);
    const inner = sliceProgress(outer, 50, 100);
    expect(inner.jobId).toBe('j');
    inner.progress({ percent: 50 });
    // 50 % of the inner slice is 75 % of the outer one, which is 37.5 % of the job
    expect(seen[0]!.percent).toBe(37.5);
  });
});
