/**
 * Updates through electron-updater, from the `publish` feed in electron-builder.yml. Only a
 * packaged app checks (a dev build has no feed to compare against); a failed check is logged
 * and forgotten, because backups must keep running whatever the update server does.
 */
import { app } from 'electron';
// electron-updater is CommonJS: its named exports are getters Node's ESM loader cannot see
import electronUpdater from 'electron-updater';

/** Checks for an update once, downloads it in the background and notifies when it is ready. */
export function setupUpdater(log: (message: string) => void = console.warn): void {
  if (!app.isPackaged || process.env.LIFEBOAT_DISABLE_UPDATES === '1') return;
  const fail = (error: unknown) => log(`Update check failed: ${error instanceof Error ? error.message : String(error)}`);
  try {
    // the getter builds the platform's updater and may throw (unknown package type, bad app-update.yml)
    const { autoUpdater } = electronUpdater;
    autoUpdater.autoInstallOnAppQuit = true;
    autoUpdater.on('error', fail);
    autoUpdater.checkForUpdatesAndNotify().catch(fail);
  } catch (error) {
    fail(error);
  }
}
