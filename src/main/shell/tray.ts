/**
 * The tray icon: status and progress at a glance, and a menu with a status line to open the
 * window or the last failure, run a plan, cancel a job, pause all schedules or quit. It only
 * draws what computeTrayState and buildTrayMenuTemplate decide.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Menu, nativeImage, Tray, type NativeImage } from 'electron';
import type { JobSummary } from '../../shared/job';
import { dispatch } from '../core/ipc/dispatch';
import type { LifeboatCore } from '../core/lifeboat';
import { computeTrayState, mergeLatestJobs, type TrayIcon, type TrayState } from '../core/tray-state';
import { resourcesDir } from './paths';
import { buildTrayMenuTemplate, trayMenuKey, type TrayMenuInput } from './tray-menu';

export interface TrayOptions {
  /** Open: show and focus the main window */
  showWindow(): void;
  /** Open Last Failure: show the window on that job */
  openJob(jobId: string): void;
  /** Quit (asks first when jobs run; see index.ts) */
  quit(): void;
  /** Called with each new state, to drive the taskbar progress bar and the power blocker */
  onStateChange?(state: TrayState): void;
}

export interface TrayHandle {
  tray: Tray;
  /** the newest state */
  state(): TrayState;
  /** The user chose "Quit when finished": the menu says so and offers Quit now. */
  setQuitPending(pending: boolean): void;
  dispose(): void;
}

/** A status line that changed alone rebuilds the menu at most this often. */
const STATUS_REBUILD_MS = 5_000;

/** How many recent jobs seed the tray at start: enough to find each plan's latest result. */
const SEED_JOBS = 200;

/**
 * A crisp icon at every scale: the 16 px drawing at 1x with the 32 px one as its 2x (Windows,
 * macOS); Linux status areas scale the image themselves, so they get the larger one.
 */
function loadIcon(state: TrayIcon): NativeImage {
  const large = path.join(resourcesDir, `tray-${state}.png`);
  const small = path.join(resourcesDir, `tray-${state}-16.png`);
  if (process.platform === 'linux' || !fs.existsSync(small)) return nativeImage.createFromPath(large);
  const image = nativeImage.createFromPath(small);
  image.addRepresentation({ scaleFactor: 2, buffer: fs.readFileSync(large) });
  return image;
}

/**
 * Creates the tray and keeps it in step with job updates and the pause switch. Returns the
 * Tray and a function that unsubscribes and removes it.
 */
export function setupTray(core: LifeboatCore, options: TrayOptions): TrayHandle {
  const icons = new Map<TrayIcon, NativeImage>();
  const iconFor = (state: TrayIcon) => {
    let image = icons.get(state);
    if (!image) icons.set(state, (image = loadIcon(state)));
    return image;
  };

  let latest: JobSummary[] = core.jobs.list({}, 1, SEED_JOBS).items.reduce(mergeLatestJobs, [] as JobSummary[]);
  let current = computeTrayState(latest, core.isPaused());
  const tray = new Tray(iconFor(current.icon));
  tray.setToolTip(current.tooltip);

  const runNow = async (planId: string) => {
    // through the handler map, so that the run is audited like one started from the window
    const result = await dispatch(core.handlers, 'plans/run-now', { id: planId });
    if (!result.ok) core.notifier.notify({ title: 'Lifeboat could not start the backup', body: result.error.message, level: 'error' });
  };

  const cancelJob = async (jobId: string) => {
    // through the handler map: audited, and it reaches jobs another process runs too
    const result = await dispatch(core.handlers, 'jobs/cancel', { id: jobId });
    if (!result.ok) core.notifier.notify({ title: 'Lifeboat could not cancel the job', body: result.error.message, level: 'error' });
  };

  let plans = core.plans.list().map((plan) => ({ id: plan.id, name: plan.name }));
  let quitPending = false;
  let builtKey: string | null = null;
  let builtStatus: string | null = null;
  let builtAt = 0;
  let statusTimer: NodeJS.Timeout | undefined;

  const buildMenu = (force = false) => {
    const input: TrayMenuInput = { state: current, plans, paused: core.isPaused(), quitPending };
    const key = trayMenuKey(input);
    const statusOnly = key === builtKey && !force;
    if (statusOnly && current.statusLine === builtStatus) return;
    if (statusOnly && Date.now() - builtAt < STATUS_REBUILD_MS) {
      // the status line alone changed, and recently: show it a little later
      statusTimer ??= setTimeout(() => {
        statusTimer = undefined;
        buildMenu();
      }, STATUS_REBUILD_MS);
      return;
    }
    clearTimeout(statusTimer);
    statusTimer = undefined;
    tray.setContextMenu(
      Menu.buildFromTemplate(
        buildTrayMenuTemplate(input, {
          showWindow: () => options.showWindow(),
          openJob: (jobId) => options.openJob(jobId),
          runNow: (planId) => void runNow(planId),
          cancelJob: (jobId) => void cancelJob(jobId),
          setPaused: (paused) => void dispatch(core.handlers, 'app/set-paused', { paused }),
          quit: () => options.quit(),
        }),
      ),
    );
    builtKey = key;
    builtStatus = current.statusLine;
    builtAt = Date.now();
  };

  const refresh = () => {
    const next = computeTrayState(latest, core.isPaused());
    if (next.icon !== current.icon) tray.setImage(iconFor(next.icon));
    if (next.tooltip !== current.tooltip) tray.setToolTip(next.tooltip);
    current = next;
    buildMenu();
    options.onStateChange?.(next);
  };

  buildMenu();
  options.onStateChange?.(current);
  // Linux status areas do not report clicks; there the menu's Open does it
  tray.on('click', () => options.showWindow());

  const offs = [
    core.events.on('jobs/updated', (job) => {
      latest = mergeLatestJobs(latest, job);
      refresh();
    }),
    // the checkbox follows pauses made from the window too
    core.events.on('app/paused-changed', () => refresh()),
    core.events.on('plans/changed', () => {
      plans = core.plans.list().map((plan) => ({ id: plan.id, name: plan.name }));
      buildMenu();
    }),
  ];

  return {
    tray,
    state: () => current,
    setQuitPending(pending) {
      quitPending = pending;
      buildMenu(true);
    },
    dispose() {
      clearTimeout(statusTimer);
      offs.forEach((off) => off());
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
