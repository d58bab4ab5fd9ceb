import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { buildAppMenuTemplate, menuRoles } from '../../../src/main/shell/app-menu';

const actions = () => ({ openBackupFile: vi.fn(), openLogsFolder: vi.fn(), checkForUpdates: vi.fn() });
const DEV_ONLY = ['reload', 'forceReload', 'toggleDevTools'];

function submenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const menu = template.find((m) => m.label === label);
  if (!menu || !Array.isArray(menu.submenu)) throw new Error(`no ${label} menu`);
  return menu.submenu;
}

describe('the application menu', () => {
  it.each(['linux', 'win32', 'darwin'] as const)('has no reload or developer tools in a packaged build (%s)', (platform) => {
    const template = buildAppMenuTemplate({ platform, isPackaged: true, appName: 'Lifeboat' }, actions());
    const roles = menuRoles(template);
    for (const role of DEV_ONLY) expect(roles).not.toContain(role);
    // and none of Electron's default links ("Learn More", "Documentation"...)
    const labels = JSON.stringify(template);
    expect(labels).not.toMatch(/Learn More|electronjs|Documentation|Community/);
  });

  it('keeps reload and developer tools for development runs', () => {
    const roles = menuRoles(buildAppMenuTemplate({ platform: 'linux', isPackaged: false, appName: 'Lifeboat' }, actions()));
    for (const role of DEV_ONLY) expect(roles).toContain(role);
  });

  it('has File, Edit, View, Window and Help, with the app menu first on macOS only', () => {
    const top = (platform: NodeJS.Platform) => buildAppMenuTemplate({ platform, isPackaged: true, appName: 'Lifeboat' }, actions()).map((m) => m.label);
    expect(top('linux')).toEqual(['File', 'Edit', 'View', 'Window', 'Help']);
    expect(top('darwin')).toEqual(['Lifeboat', 'File', 'Edit', 'View', 'Window', 'Help']);
    // text fields need the edit roles (copy/paste shortcuts on macOS come from the menu)
    expect(menuRoles(buildAppMenuTemplate({ platform: 'darwin', isPackaged: true, appName: 'Lifeboat' }, actions()))).toEqual(
      expect.arrayContaining(['copy', 'paste', 'selectAll', 'undo', 'quit', 'about']),
    );
  });

  it('Help opens the logs folder and checks for updates; File opens a backup file', () => {
    const a = actions();
    const template = buildAppMenuTemplate({ platform: 'win32', isPackaged: true, appName: 'Lifeboat' }, a);
    const help = submenu(template, 'Help');
    const clickOf = (items: MenuItemConstructorOptions[], label: string) =>
      (items.find((i) => i.label === label)!.click as unknown as () => void)();
    clickOf(help, 'Open Logs Folder');
    clickOf(help, 'Check for Updates…');
    clickOf(submenu(template, 'File'), 'Open Backup File…');
    expect(a.openLogsFolder).toHaveBeenCalledOnce();
    expect(a.checkForUpdates).toHaveBeenCalledOnce();
    expect(a.openBackupFile).toHaveBeenCalledOnce();
  });
});
