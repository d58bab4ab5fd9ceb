import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { computeTrayState } from '../../../src/main/core/tray-state';
import { buildTrayMenuTemplate, trayMenuKey, type TrayMenuActions, type TrayMenuInput } from '../../../src/main/shell/tray-menu';
import { EMPTY_PROGRESS } from '../../../src/shared/job';
import { jobSummary } from '../../support/job-summary';

function actions() {
  return {
    showWindow: vi.fn<TrayMenuActions['showWindow']>(),
    openJob: vi.fn<TrayMenuActions['openJob']>(),
    runNow: vi.fn<TrayMenuActions['runNow']>(),
    cancelJob: vi.fn<TrayMenuActions['cancelJob']>(),
    setPaused: vi.fn<TrayMenuActions['setPaused']>(),
    quit: vi.fn<TrayMenuActions['quit']>(),
  } satisfies TrayMenuActions;
}

function byId(template: MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions {
  const item = template.find((i) => i.id === id);
  if (!item) throw new Error(`no menu item ${id}`);
  return item;
}

/** Electron calls click(menuItem, window, event); the template only uses the item. */
function click(item: MenuItemConstructorOptions, checked = false): void {
  (item.click as unknown as (item: { checked: boolean }) => void)({ checked });
}

const plans = [{ id: 'plan-a', name: 'Nightly' }];
const running = (id: string, planName: string) =>
  jobSummary({ id, planName, planId: id, status: 'running', finishedAt: null, progress: { ...EMPTY_PROGRESS, phase: 'dump', percent: 40 } });

function input(jobs: Parameters<typeof computeTrayState>[0], overrides: Partial<TrayMenuInput> = {}): TrayMenuInput {
  return { state: computeTrayState(jobs, false), plans, paused: false, quitPending: false, ...overrides };
}

describe('the tray menu', () => {
  it('starts with the status line, disabled (Linux trays show no tooltip)', () => {
    const template = buildTrayMenuTemplate(input([running('r1', 'Nightly')]), actions());
    expect(template[0]).toEqual({ id: 'status', label: 'Nightly: dump 40%', enabled: false });
  });

  it('offers Open Last Failure only when something failed, opening that job', () => {
    const failed = jobSummary({ kind: 'drill', planId: null, status: 'failed', filePath: '/b/a.lifeboat' });
    const a = actions();
    const withFailure = buildTrayMenuTemplate(input([failed]), a);
    click(byId(withFailure, 'open-failure'));
    expect(a.openJob).toHaveBeenCalledWith(failed.id);

    const allWell = buildTrayMenuTemplate(input([jobSummary()]), actions());
    expect(byId(allWell, 'open-failure').enabled).toBe(false);
  });

  it('cancels the one running job, or offers each of several and all of them', () => {
    const a = actions();
    const one = buildTrayMenuTemplate(input([running('r1', 'Nightly')]), a);
    expect(byId(one, 'cancel').label).toBe('Cancel Backup of Nightly (running)');
    click(byId(one, 'cancel'));
    expect(a.cancelJob).toHaveBeenCalledWith('r1');

    const b = actions();
    const two = buildTrayMenuTemplate(input([running('r1', 'Nightly'), running('r2', 'Weekly')]), b);
    const submenu = byId(two, 'cancel').submenu as MenuItemConstructorOptions[];
    expect(byId(two, 'cancel').label).toBe('Cancel Running Jobs (2)');
    click(submenu.find((i) => i.label === 'Cancel All')!);
    expect(b.cancelJob.mock.calls.map((c) => c[0]).sort()).toEqual(['r1', 'r2']);

    const none = buildTrayMenuTemplate(input([]), actions());
    expect(byId(none, 'cancel').enabled).toBe(false);
  });

  it('runs a plan, pauses, and says when a quit waits for the jobs', () => {
    const a = actions();
    const template = buildTrayMenuTemplate(input([running('r1', 'Nightly')], { quitPending: true }), a);
    const run = template.find((i) => i.label === 'Run Now')!.submenu as MenuItemConstructorOptions[];
    click(run[0]!);
    expect(a.runNow).toHaveBeenCalledWith('plan-a');
    click(template.find((i) => i.type === 'checkbox')!, true);
    expect(a.setPaused).toHaveBeenCalledWith(true);
    expect(template.map((i) => i.label)).toContain('Quitting when the running jobs finish');
    expect(byId(template, 'quit').label).toBe('Quit Now (Cancels Running Jobs)');
    click(byId(template, 'quit'));
    expect(a.quit).toHaveBeenCalledOnce();
  });

  it('keys the menu on what it offers, not on the moving status line', () => {
    const at40 = input([running('r1', 'Nightly')]);
    const later = { ...at40, state: { ...at40.state, statusLine: 'Nightly: dump 41%' } };
    expect(trayMenuKey(later)).toBe(trayMenuKey(at40));
    expect(trayMenuKey({ ...at40, paused: true })).not.toBe(trayMenuKey(at40));
    expect(trayMenuKey(input([running('r1', 'Nightly'), running('r2', 'Weekly')]))).not.toBe(trayMenuKey(at40));
  });
});
