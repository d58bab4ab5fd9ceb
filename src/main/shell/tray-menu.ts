/**
 * The tray's context menu as a plain template, from the tray state (tray-state.ts) and the
 * plans: a status line first (Linux status areas never show the tooltip), then Open, Open last
 * failure, Run now, Cancel, Pause and Quit. Unit-tested; tray.ts only builds and sets it.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { TrayState } from '../core/tray-state';

export interface TrayMenuInput {
  state: Pick<TrayState, 'statusLine' | 'lastFailureJobId' | 'activeJobs'>;
  plans: ReadonlyArray<{ id: string; name: string }>;
  paused: boolean;
  /** the user chose "Quit when finished": Lifeboat leaves once the running jobs end */
  quitPending: boolean;
}

export interface TrayMenuActions {
  showWindow(): void;
  openJob(jobId: string): void;
  runNow(planId: string): void;
  cancelJob(jobId: string): void;
  setPaused(paused: boolean): void;
  quit(): void;
}

function cancelItems(input: TrayMenuInput, actions: TrayMenuActions): MenuItemConstructorOptions {
  const jobs = input.state.activeJobs;
  if (jobs.length === 0) return { label: 'Cancel Running Job', enabled: false };
  const verb = (status: string) => (status === 'pending' ? 'queued' : 'running');
  if (jobs.length === 1) {
    const job = jobs[0]!;
    return { label: `Cancel ${job.label} (${verb(job.status)})`, click: () => actions.cancelJob(job.id) };
  }
  return {
    label: `Cancel Running Jobs (${jobs.length})`,
    submenu: [
      ...jobs.map((job): MenuItemConstructorOptions => ({ label: `${job.label} (${verb(job.status)})`, click: () => actions.cancelJob(job.id) })),
      { type: 'separator' },
      { label: 'Cancel All', click: () => jobs.forEach((job) => actions.cancelJob(job.id)) },
    ],
  };
}

export function buildTrayMenuTemplate(input: TrayMenuInput, actions: TrayMenuActions): MenuItemConstructorOptions[] {
  const failure = input.state.lastFailureJobId;
  const runItems: MenuItemConstructorOptions[] = input.plans.length
    ? input.plans.map((plan) => ({ label: plan.name, click: () => actions.runNow(plan.id) }))
    : [{ label: 'No plans yet', enabled: false }];
  return [
    { id: 'status', label: input.state.statusLine, enabled: false },
    ...(input.quitPending ? [{ id: 'quit-pending', label: 'Quitting when the running jobs finish', enabled: false }] : []),
    { type: 'separator' },
    { label: 'Open Lifeboat', click: () => actions.showWindow() },
    failure
      ? { id: 'open-failure', label: 'Open Last Failure', click: () => actions.openJob(failure) }
      : { id: 'open-failure', label: 'Open Last Failure', enabled: false },
    { label: 'Run Now', submenu: runItems },
    { id: 'cancel', ...cancelItems(input, actions) },
    { type: 'separator' },
    {
      label: 'Pause All Schedules',
      type: 'checkbox',
      checked: input.paused,
      click: (item) => actions.setPaused(item.checked),
    },
    { type: 'separator' },
    { id: 'quit', label: input.quitPending ? 'Quit Now (Cancels Running Jobs)' : 'Quit Lifeboat', click: () => actions.quit() },
  ];
}

/**
 * What the menu offers, as text, without the status line: the tray rebuilds its menu at once
 * when this changes, and for the status line alone at most every few seconds (a rebuilt menu
 * closes an open one on some desktops, and progress changes many times a minute).
 */
export function trayMenuKey(input: TrayMenuInput): string {
  const { lastFailureJobId, activeJobs } = input.state;
  return JSON.stringify([lastFailureJobId, activeJobs, input.plans, input.paused, input.quitPending]);
}
