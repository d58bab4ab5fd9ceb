/**
 * The app next to the `lifeboat daemon` service: the sentence that says who runs the schedules,
 * and which polled jobs of other processes change the store's active jobs.
 */
import { describe, expect, it } from 'vitest';
import { diffForeignJobs, isForeignJob, schedulesRunByText } from '../../../src/renderer/src/lib/other-process';
import type { JobSummary } from '../../../src/shared/job';
import { jobSummary } from '../../support/job-summary';

const OWN = 100;
const SERVICE = 200;
const running = (id: string, ownerPid: number | null | undefined, percent = 10): JobSummary =>
  jobSummary({ id, status: 'running', finishedAt: null, ownerPid, progress: { phase: 'files', percent, bytesDone: 0, bytesTotal: null, filesDone: 0, filesTotal: null, currentItem: null, rate: 0, etaSeconds: null } });

describe('schedulesRunByText', () => {
  it('names the other process, service or app, and says nothing when this one runs them', () => {
    expect(schedulesRunByText({ kind: 'other', pid: 4242, host: 'srv', role: 'service' })).toBe('Schedules are run by the Lifeboat service (pid 4242)');
    expect(schedulesRunByText({ kind: 'other', pid: 7, host: 'srv', role: 'app' })).toBe('Schedules are run by the Lifeboat app (pid 7)');
    expect(schedulesRunByText({ kind: 'this', pid: 4242, host: 'srv', role: 'app' })).toBeNull();
    expect(schedulesRunByText(null)).toBeNull();
    expect(schedulesRunByText(undefined)).toBeNull();
  });
});

describe('diffForeignJobs', () => {
  it('a job of unknown owner is this process\'s (pushed, not polled)', () => {
    expect(isForeignJob(running('a', SERVICE), OWN)).toBe(true);
    expect(isForeignJob(running('b', OWN), OWN)).toBe(false);
    expect(isForeignJob(running('c', null), OWN)).toBe(false);
    expect(isForeignJob(running('d', undefined), OWN)).toBe(false);
  });

  it('new and changed jobs of other processes are updates; unchanged ones and this process\'s own are not', () => {
    const active = { known: running('known', SERVICE, 10), same: running('same', SERVICE, 50), mine: running('mine', OWN, 5) };
    const polled = [running('known', SERVICE, 20), running('same', SERVICE, 50), running('new', SERVICE), running('mine', OWN, 99)];
    const { updates, ended } = diffForeignJobs(active, polled, OWN);
    expect(updates.map((j) => j.id)).toEqual(['known', 'new']);
    expect(ended).toEqual([]);
  });

  it('a job of another process no longer pending or running has ended: its final row must be read', () => {
    const active = { gone: running('gone', SERVICE), mine: running('mine', OWN) };
    expect(diffForeignJobs(active, [], OWN)).toEqual({ updates: [], ended: ['gone'] });
  });
});
