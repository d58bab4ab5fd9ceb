import { describe, expect, it } from 'vitest';
import { JobPowerBlocker, type PowerSaveBlockerPort } from '../../../src/main/shell/power-blocker';

/** powerSaveBlocker as Electron behaves: ids count up, a stopped id is no longer started. */
function fakePort() {
  const started = new Set<number>();
  let next = 1;
  const calls: string[] = [];
  const port: PowerSaveBlockerPort = {
    start(type) {
      calls.push(`start:${type}`);
      started.add(next);
      return next++;
    },
    stop(id) {
      calls.push(`stop:${id}`);
      started.delete(id);
    },
    isStarted: (id) => started.has(id),
  };
  return { port, calls, started };
}

describe('keeping the machine awake during jobs', () => {
  it('holds one blocker from the first active job to the end of the last', () => {
    const { port, calls, started } = fakePort();
    const blocker = new JobPowerBlocker(port);
    expect(blocker.onJob({ id: 'a', status: 'pending' })).toBe(true);
    blocker.onJob({ id: 'a', status: 'running' });
    blocker.onJob({ id: 'b', status: 'running' });
    blocker.onJob({ id: 'a', status: 'success' });
    expect(calls).toEqual(['start:prevent-app-suspension']);
    expect(blocker.onJob({ id: 'b', status: 'failed' })).toBe(false);
    expect(calls).toEqual(['start:prevent-app-suspension', 'stop:1']);
    expect(started.size).toBe(0);
  });

  it('follows the set of active jobs, repeated updates included, and releases on dispose', () => {
    const { port, calls, started } = fakePort();
    const blocker = new JobPowerBlocker(port);
    blocker.update([]);
    expect(calls).toEqual([]);
    blocker.update(['x']);
    blocker.update(['x', 'y']);
    blocker.update(['y']);
    expect(calls).toEqual(['start:prevent-app-suspension']);
    blocker.dispose();
    expect(started.size).toBe(0);
    expect(blocker.isBlocking()).toBe(false);
  });

  it('starts a new blocker if the OS dropped the old one', () => {
    const { port, calls, started } = fakePort();
    const blocker = new JobPowerBlocker(port);
    blocker.update(['x']);
    started.clear();
    blocker.update(['x', 'y']);
    expect(calls).toEqual(['start:prevent-app-suspension', 'start:prevent-app-suspension']);
  });
});
