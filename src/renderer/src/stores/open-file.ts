import { call, subscribe } from '../lib/api';
import { navigate } from '../lib/route';
import { useRestoreStore } from './restore';

/** Opens a backup file in the Restore screen: inspect, then passphrase, preview, verify, restore. */
export function openBackupFile(filePath: string): void {
  navigate('restore');
  void useRestoreStore.getState().openFile(filePath);
}

/**
 * A .lifeboat file opened from the file manager or the command line: the one the app was
 * started with (taken once at start-up), and any opened later while it runs (pushed by main).
 * Returns the unsubscribe.
 */
export function connectOpenFile(): () => void {
  const off = subscribe('app/open-file', ({ path }) => openBackupFile(path));
  call('app/take-pending-file')
    .then(({ path }) => {
      if (path) openBackupFile(path);
    })
    .catch(() => undefined);
  return off;
}
