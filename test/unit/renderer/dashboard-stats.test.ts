import { describe, expect, it } from 'vitest';
import { jobSummary } from '../../support/job-summary';
import { lastProvenByPlan } from '../../../src/renderer/src/lib/dashboard-stats';

const job = jobSummary;

describe('lastProvenByPlan', () => {
  it('takes the newest passed drill of each plan, whatever the order of the backups', () => {
    const proven = lastProvenByPlan([
      job({ id: '1', planId: 'a', provenAt: '2026-11-29T02:10:00.000Z' }),
      job({ id: '2', planId: 'a', provenAt: '2026-11-30T02:10:00.000Z' }),
      job({ id: '3', planId: 'a', provenAt: null }),
      job({ id: '4', planId: 'b', provenAt: '2026-11-28T02:10:00.000Z' }),
      // a drill job or a plan-less backup proves no plan
      job({ id: '5', planId: 'c', kind: 'drill', provenAt: '2026-11-30T05:00:00.000Z' }),
      job({ id: '6', planId: null, provenAt: '2026-11-30T05:00:00.000Z' }),
    ]);
    expect(proven).toEqual({ a: '2026-11-30T02:10:00.000Z', b: '2026-11-28T02:10:00.000Z' });
  });

  it('leaves out plans never proven', () => {
    expect(lastProvenByPlan([job({ planId: 'a' })])).toEqual({});
  });
});
