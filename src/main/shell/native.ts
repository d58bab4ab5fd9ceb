/**
 * better-sqlite3 is a native module built per runtime ABI. node_modules keeps the Node build
 * (tests, CLI); Electron loads its own build, made by scripts/electron-native.mjs, through
 * better-sqlite3's `nativeBinding` option, so the two never overwrite each other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { app } from 'electron';
import { appRoot } from './paths';

export const NATIVE_FILE = 'better_sqlite3.node';

/**
 * Path of better_sqlite3.node built for this Electron: in the packaged app it is an
 * extraResource (`<resources>/native/`), in development `<repo>/.electron-native/`. Throws with
 * the command that builds it when it is missing.
 */
export function resolveElectronNativeBinding(
  where: { isPackaged: boolean; resourcesPath: string; appRoot: string } = {
    isPackaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    appRoot,
  },
): string {
  const binding = where.isPackaged
    ? path.join(where.resourcesPath, 'native', NATIVE_FILE)
    : path.join(where.appRoot, '.electron-native', NATIVE_FILE);
  if (!fs.existsSync(binding)) {
    throw new Error(
      where.isPackaged
        ? `The SQLite module for this Electron is missing from the installation (${binding}). Reinstall Lifeboat.`
        : `The SQLite module built for Electron is missing (${binding}). Run \`npm start\` (which builds it) or \`node scripts/electron-native.mjs\`.`,
    );
  }
  return binding;
}
