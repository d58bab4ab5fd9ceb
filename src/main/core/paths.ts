import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Lifeboat';

/**
 * Where Lifeboat keeps its catalog and settings. LIFEBOAT_HOME overrides it (CLI, tests);
 * otherwise the shell passes Electron's userData, and the CLI computes the same folder.
 */
export function resolveDataDir(shellDefault: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIFEBOAT_HOME) return path.resolve(env.LIFEBOAT_HOME);
  if (shellDefault) return shellDefault;
  return defaultUserDataDir(env);
}

/** The folder Electron's app.getPath('userData') names for this app, computed without Electron. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_DIR_NAME);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_DIR_NAME);
  }
}

/** Secret-store keys. */
export const secretKeys = {
  dbPassword: (planId: string, sourceId: string) => `db:${planId}:${sourceId}`,
  passphrase: (planId: string) => `passphrase:${planId}`,
  drillPassword: (planId: string) => `drill:${planId}`,
  /** an off-site destination's secret: S3 secret key, Azure key or SAS, SFTP password or key passphrase */
  destSecret: (planId: string, destinationId: string) => `dest:${planId}:${destinationId}`,
  /** the generated passphrase of a safety backup taken before restoring an unencrypted backup over a database */
  safetyPassphrase: (backupId: string) => `safety:${backupId}`,
  /** a notification channel's webhook URL, token, header or SMTP password */
  notifySecret: (channelId: string) => `notify:${channelId}:secret`,
};
