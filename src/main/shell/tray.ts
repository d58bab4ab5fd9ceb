/**
 * The tray icon: status and progress at a glance, and a menu to open the window, run a plan,
 * pause all schedules or quit. It only draws what computeTrayState decides.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { JobSummary } from '../../shared/job';
import { dispatch } from '../core/ipc/dispatch';
import type { LifeboatCore } from '../core/lifeboat';
import { computeTrayState, mergeLatestJobs, type TrayIcon, type TrayState } from '../core/tray-state';
import { resourcesDir } from './paths';

export interface TrayOptions {
  /** Open: show and focus the main window */
  showWindow(): void;
  /** Quit for real (not just hide), cancelling running jobs */
  quit(): void;
  /** Called with each new state, to drive the taskbar progress bar */
  onStateChange?(state: TrayState): void;
}

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
export function setupTray(core: LifeboatCore, options: TrayOptions): { tray: Tray; dispose(): void } {
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

  const buildMenu = () => {
    const plans = core.plans.list();
    const runItems: MenuItemConstructorOptions[] = plans.length
      ? plans.map((plan) => ({ label: plan.name, click: () => void runNow(plan.id) }))
      : [{ label: 'No plans yet', enabled: false }];
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Open Lifeboat', click: () => options.showWindow() },
        { label: 'Run now', submenu: runItems },
        { type: 'separator' },
        {
          label: 'Pause all schedules',
          type: 'checkbox',
          checked: core.isPaused(),
          click: (item) => void dispatch(core.handlers, 'app/set-paused', { paused: item.checked }),
        },
        { type: 'separator' },
        { label: 'Quit Lifeboat', click: () => options.quit() },
      ]),
    );
  };

  const refresh = () => {
    const next = computeTrayState(latest, core.isPaused());
    if (next.icon !== current.icon) tray.setImage(iconFor(next.icon));
    if (next.tooltip !== current.tooltip) tray.setToolTip(next.tooltip);
    current = next;
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
    core.events.on('app/paused-changed', () => {
      buildMenu(); // the checkbox follows pauses made from the window too
      refresh();
    }),
    core.events.on('plans/changed', () => buildMenu()),
  ];

  return {
    tray,
    dispose() {
      offs.forEach((off) => off());
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
