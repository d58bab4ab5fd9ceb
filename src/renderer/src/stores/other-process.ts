/**
 * Keeps the app current with another Lifeboat process on its catalog (the `lifeboat daemon`
 * service, a CLI): its jobs are not pushed to this window (they run elsewhere), so the pending
 * and running jobs are read from the catalog every 2 s while another process has some under way
 * (live progress, and the final status when one ends), and every 5 s otherwise to notice new
 * ones; who runs the schedules ('scheduler/status' runBy, for the sidebar and the Dashboard) is
 * read again every 10 s, as a service may start or stop at any time.
 */
import { call } from '../lib/api';
import { diffForeignJobs, isForeignJob } from '../lib/other-process';
import { useAppStore } from './app-store';
import { useJobsStore } from './jobs-store';
import { useSchedulerStore } from './scheduler-store';

const BUSY_POLL_MS = 2_000;
const IDLE_POLL_MS = 5_000;
const SCHEDULER_POLL_MS = 10_000;

async function pollForeignJobs(ownPid: number): Promise<void> {
  const [running, pending] = await Promise.all([
    call('jobs/list', { status: 'running', pageSize: 200 }),
    call('jobs/list', { status: 'pending', pageSize: 200 }),
  ]);
  const jobs = useJobsStore.getState();
  const { updates, ended } = diffForeignJobs(jobs.active, [...running.items, ...pending.items], ownPid);
  for (const job of updates) useJobsStore.getState().applyUpdate(job);
  for (const id of ended) {
    const final = await call('jobs/get', { id });
    useJobsStore.getState().applyUpdate(final);
  }
}

/** Starts the polling; returns the stop. */
export function connectOtherProcesses(): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async () => {
    const ownPid = useAppStore.getState().info?.pid;
    if (ownPid !== undefined) {
      try {
        await pollForeignJobs(ownPid);
      } catch {
        // the next poll tries again; a failing catalog shows up in the screens' own requests
      }
    }
    if (stopped) return;
    const busy = ownPid !== undefined && Object.values(useJobsStore.getState().active).some((job) => isForeignJob(job, ownPid));
    timer = setTimeout(() => void loop(), busy ? BUSY_POLL_MS : IDLE_POLL_MS);
  };
  timer = setTimeout(() => void loop(), 500);
  void useSchedulerStore.getState().load();
  const schedulerTimer = setInterval(() => void useSchedulerStore.getState().load(), SCHEDULER_POLL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(schedulerTimer);
  };
}
