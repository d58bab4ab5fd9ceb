import { afterEach, describe, expect, it } from 'vitest';
import { FullRequestsRepo } from '../../../src/main/core/catalog/full-requests-repo';
import { makeTestCore } from '../../support/temp-core';

const cores: ReturnType<typeof makeTestCore>[] = [];
afterEach(async () => {
  for (const core of cores.splice(0)) await core.cleanup();
});

describe('FullRequestsRepo ("Next run: full")', () => {
  it('keeps one request per plan, the newest', () => {
    const core = makeTestCore();
    cores.push(core);
    const repo = new FullRequestsRepo(core.catalog);
    expect(repo.get('p1')).toBeUndefined();
    repo.request('p1', '2026-03-01T02:00:00.000Z', 'user');
    repo.request('p1', '2026-03-01T03:00:00.000Z', 'cli');
    expect(repo.get('p1')).toEqual({ planId: 'p1', requestedAt: '2026-03-01T03:00:00.000Z', requestedBy: 'cli' });
    expect(repo.all()).toHaveLength(1);
  });

  it('is cleared by the run that honoured it, not by one that started before it was made', () => {
    const core = makeTestCore();
    cores.push(core);
    const repo = new FullRequestsRepo(core.catalog);
    repo.request('p1', '2026-03-01T03:00:00.000Z', 'user');
    // a run that started at 02:00 did not see the 03:00 request
    expect(repo.clear('p1', '2026-03-01T02:00:00.000Z')).toBe(false);
    expect(repo.get('p1')).toBeDefined();
    expect(repo.clear('p1', '2026-03-01T03:00:00.000Z')).toBe(true);
    expect(repo.get('p1')).toBeUndefined();
    repo.request('p1', '2026-03-01T04:00:00.000Z', 'user');
    expect(repo.clear('p1')).toBe(true);
  });
});
