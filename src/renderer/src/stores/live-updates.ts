import { subscribe } from '../lib/api';
import { useAppStore } from './app-store';
import { useJobsStore } from './jobs-store';
import { usePlansStore } from './plans-store';

/**
 * Subscribes the stores to what main pushes, then loads the first state. Subscribing first
 * means an update that races the first load is not missed. Returns the unsubscribe.
 */
export function connectLiveUpdates(): () => void {
  const offs = [
    subscribe('jobs/updated', (job) => useJobsStore.getState().applyUpdate(job)),
    subscribe('app/paused-changed', ({ paused }) => useAppStore.getState().applyPaused(paused)),
    subscribe('plans/changed', () => void usePlansStore.getState().load()),
  ];
  void useAppStore.getState().load();
  void usePlansStore.getState().load();
  void useJobsStore.getState().loadActive();
  return () => offs.forEach((off) => off());
}
