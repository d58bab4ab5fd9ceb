import { subscribe } from '../lib/api';
import { navigate } from '../lib/route';
import { useAppStore } from './app-store';
import { useJobsStore } from './jobs-store';
import { usePlansStore } from './plans-store';
import { useNotifyStore } from './notify-store';
import { useSchedulerStore } from './scheduler-store';

/** Next runs move when plans change, the pause switch flips or a slot fires (a job starts). */
function reloadSchedulerStatus(): void {
  const scheduler = useSchedulerStore.getState();
  if (scheduler.status) scheduler.scheduleReload();
}

/**
 * Subscribes the stores to what main pushes, then loads the first state. Subscribing first
 * means an update that races the first load is not missed. Returns the unsubscribe.
 */
export function connectLiveUpdates(): () => void {
  const offs = [
    subscribe('jobs/updated', (job) => useJobsStore.getState().applyUpdate(job)),
    subscribe('app/paused-changed', ({ paused }) => useAppStore.getState().applyPaused(paused)),
    subscribe('plans/changed', () => void usePlansStore.getState().load()),
    subscribe('plans/changed', reloadSchedulerStatus),
    subscribe('app/paused-changed', reloadSchedulerStatus),
    subscribe('jobs/updated', (job) => {
      if (job.trigger !== 'manual' && job.status === 'pending') reloadSchedulerStatus();
    }),
    subscribe('alerts/raised', (alert) => useNotifyStore.getState().applyAlert(alert)),
    // a desktop notification was clicked: show that job
    subscribe('app/open-job', ({ jobId }) => navigate('history', { job: jobId })),
  ];
  void useAppStore.getState().load();
  void usePlansStore.getState().load();
  void useJobsStore.getState().loadActive();
  return () => offs.forEach((off) => off());
}
