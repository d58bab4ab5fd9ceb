/**
 * The application menu, ours instead of Electron's default (which ships Reload, Toggle Developer
 * Tools and "Learn More" links to electronjs.org). Built as a plain template here, so that what
 * a packaged build offers is unit-tested; index.ts hands it to Menu.buildFromTemplate.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface AppMenuActions {
  openBackupFile(): void;
  openLogsFolder(): void;
  checkForUpdates(): void;
}

export interface AppMenuOptions {
  platform: NodeJS.Platform;
  /** a packaged build gets no Reload and no developer tools */
  isPackaged: boolean;
  appName: string;
}

const separator: MenuItemConstructorOptions = { type: 'separator' };

export function buildAppMenuTemplate(options: AppMenuOptions, actions: AppMenuActions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const openFile: MenuItemConstructorOptions = { label: 'Open Backup File…', accelerator: 'CmdOrCtrl+O', click: () => actions.openBackupFile() };

  const appMenu: MenuItemConstructorOptions = {
    label: options.appName,
    submenu: [
      { role: 'about' },
      separator,
      { role: 'services' },
      separator,
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      separator,
      { role: 'quit' },
    ],
  };
  const fileMenu: MenuItemConstructorOptions = {
    label: 'File',
    submenu: mac ? [openFile, separator, { role: 'close' }] : [openFile, separator, { role: 'close' }, { role: 'quit' }],
  };
  const editMenu: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      ...(mac ? [{ role: 'pasteAndMatchStyle' } as const] : []),
      { role: 'delete' },
      separator,
      { role: 'selectAll' },
    ],
  };
  const develop: MenuItemConstructorOptions[] = options.isPackaged ? [] : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, separator];
  const viewMenu: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [...develop, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, separator, { role: 'togglefullscreen' }],
  };
  const windowMenu: MenuItemConstructorOptions = {
    label: 'Window',
    role: 'window',
    submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }] : [{ role: 'minimize' }, { role: 'close' }],
  };
  const helpMenu: MenuItemConstructorOptions = {
    label: 'Help',
    role: 'help',
    submenu: [
      { label: 'Open Logs Folder', click: () => actions.openLogsFolder() },
      { label: 'Check for Updates…', click: () => actions.checkForUpdates() },
      ...(mac ? [] : [separator, { role: 'about' } as const]),
    ],
  };
  return [...(mac ? [appMenu] : []), fileMenu, editMenu, viewMenu, windowMenu, helpMenu];
}

/** Every role in a template, submenus included (what the tests and a reviewer look for). */
export function menuRoles(template: readonly MenuItemConstructorOptions[]): string[] {
  return template.flatMap((item) => [
    ...(item.role ? [item.role] : []),
    ...(Array.isArray(item.submenu) ? menuRoles(item.submenu) : []),
  ]);
}
