/**
 * Start at login (SPEC §8): the OS starts Lifeboat when the user logs in, with `--hidden` so
 * that it stays in the tray and the schedules run. Windows and macOS keep the login item
 * themselves (Electron's login item settings); Linux desktops read an XDG autostart entry.
 */
import { app } from 'electron';
import type { DesktopIntegration } from '../core/ports';
import { xdgAutostart } from './xdg-autostart';

/** The argument a login start passes; setupMainWindow then keeps the window hidden. */
export const HIDDEN_ARG = '--hidden';

/** An unpackaged app (npm start) is Electron plus the app folder; a packaged one is one binary. */
function launchArgs(): string[] {
  return app.isPackaged ? [HIDDEN_ARG] : [app.getAppPath(), HIDDEN_ARG];
}

const electronLoginItem: DesktopIntegration = {
  // Windows matches the entry by path and arguments, so ask with the ones it was written with
  getStartAtLogin: () => app.getLoginItemSettings({ args: launchArgs() }).openAtLogin,
  setStartAtLogin(on) {
    app.setLoginItemSettings({ openAtLogin: on, args: launchArgs() });
  },
};

/** The login item of this platform. */
export function loginItem(): DesktopIntegration {
  if (process.platform !== 'linux') return electronLoginItem;
  // an AppImage moves with its file, not with the mounted executable inside it
  return xdgAutostart({ argv: [process.env.APPIMAGE || process.execPath, ...launchArgs()] });
}

/**
 * Whether this start is a login start: `--hidden` on Windows and Linux; macOS passes no
 * arguments to login items but says so itself.
 */
export function startedAtLogin(argv: readonly string[] = process.argv): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}
