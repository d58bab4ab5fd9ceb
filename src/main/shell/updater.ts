/**
 * Updates through electron-updater, from the feed electron-builder wrote into app-update.yml
 * (the `publish` setting of electron-builder.yml) or from LIFEBOAT_UPDATE_URL. What to do and
 * what to say is decided in update-service.ts / update-feed.ts; here only Electron is touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { app } from 'electron';
// electron-updater is CommonJS: its named exports are getters Node's ESM loader cannot see
import electronUpdater from 'electron-updater';
import { resolveUpdateFeed, type UpdateFeed } from './update-feed';
import type { UpdaterPort } from './update-service';

/** The feed of this build (read once: app-update.yml does not change while the app runs). */
export function updateFeedOfThisBuild(): UpdateFeed {
  let appUpdateYml: string | null = null;
  try {
    appUpdateYml = fs.readFileSync(path.join(process.resourcesPath, 'app-update.yml'), 'utf8');
  } catch {
    appUpdateYml = null; // built with no publish setting
  }
  return resolveUpdateFeed({ isPackaged: app.isPackaged, appUpdateYml, env: process.env });
}

/** electron-updater behind the port: download in the background, install on quit. */
export function electronUpdaterPort(feed: UpdateFeed, log: (level: 'info' | 'warn' | 'error', message: string) => void): UpdaterPort {
  // the getter builds the platform's updater and may throw (unknown package type, bad app-update.yml)
  const { autoUpdater } = electronUpdater;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.logger = {
    info: (message?: unknown) => log('info', `electron-updater: ${String(message)}`),
    warn: (message?: unknown) => log('warn', `electron-updater: ${String(message)}`),
    error: (message?: unknown) => log('error', `electron-updater: ${String(message)}`),
  };
  if (feed.configured && feed.source === 'environment' && feed.url) autoUpdater.setFeedURL({ provider: 'generic', url: feed.url });
  // without a listener an 'error' event would be thrown by the EventEmitter: the check's promise reports it
  autoUpdater.on('error', () => undefined);
  return {
    async check() {
      const result = await autoUpdater.checkForUpdates();
      return result?.isUpdateAvailable ? result.updateInfo.version : null;
    },
    onDownloaded(listener) {
      autoUpdater.on('update-downloaded', (info) => listener(info.version));
    },
  };
}
