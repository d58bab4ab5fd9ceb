/**
 * The Electron shell: wires the engine to the desktop. Start-up reads as a list (see onReady);
 * everything else lives in src/main/core, which never imports electron.
 */
import { app, dialog, powerMonitor, safeStorage, type BrowserWindow } from 'electron';
import { AppError } from '../../shared/errors';
import { moveCatalogAside } from '../core/catalog/catalog-aside';
import { createLifeboatCore, type LifeboatCore } from '../core/lifeboat';
import { startMinimized } from '../core/desktop-settings';
import { resolveDataDir } from '../core/paths';
import type { TrayState } from '../core/tray-state';
import { setupIpc } from './ipc';
import { loginItem, startedAtLogin } from './login-item';
import { resolveElectronNativeBinding } from './native';
import { ElectronNotifier } from './notifications';
import { SafeStorageSecretStore } from './secret-store';
import { setupTray } from './tray';
import { setupUpdater } from './updater';
import { createMainWindow, hardenSession, setTaskbarProgress, showWindow } from './windows';

const APP_USER_MODEL_ID = 'dev.lifeboat.app';
/** How long quitting waits for cancelled jobs to record their outcome before leaving anyway. */
const QUIT_GRACE_MS = 15_000;

let core: LifeboatCore | null = null;
let mainWindow: BrowserWindow | null = null;
let disposeTray: (() => void) | null = null;
let disposeIpc: (() => void) | null = null;
/** true once the user (tray, menu, OS logout) asked to quit: closing the window then really closes it */
let quitting = false;
let coreClosed = false;
let closing: Promise<void> | null = null;
/**
 * A backup file the app was asked to open (command line, file manager, second instance, macOS
 * open-file) that the renderer has not received yet: it takes it at start-up
 * ('app/take-pending-file'), or gets it pushed ('app/open-file') once its page is loaded.
 */
let pendingOpenFile: string | null = null;

/** The first `*.lifeboat` argument, if any (flags and the executable itself are skipped). */
function backupFileFromArgv(argv: readonly string[]): string | null {
  return argv.slice(1).find((arg) => !arg.startsWith('-') && arg.toLowerCase().endsWith('.lifeboat')) ?? null;
}

function setupCore(): LifeboatCore {
  const dataDir = resolveDataDir(app.getPath('userData'));
  return createLifeboatCore({
    dataDir,
    appVersion: app.getVersion(),
    secrets: new SafeStorageSecretStore(dataDir, safeStorage),
    notifier: new ElectronNotifier(openJob),
    nativeBinding: resolveElectronNativeBinding(),
    desktop: loginItem(),
    pendingOpenFile: takePendingOpenFile,
  });
}

/**
 * The catalog cannot be read (damaged, or not a catalog): offer to move it aside and start with
 * an empty one, from which Rebuild catalog (Restore screen) brings the backups back from their
 * folders. Returns the new engine, or null when the user chose to quit.
 */
function recoverFromUnreadableCatalog(error: unknown): LifeboatCore | null {
  if (!(error instanceof AppError) || error.code !== 'CATALOG_CORRUPT') return null;
  const dataDir = resolveDataDir(app.getPath('userData'));
  const choice = dialog.showMessageBoxSync({
    type: 'error',
    title: 'Lifeboat cannot read its catalog',
    message: 'The catalog of your backups cannot be read.',
    detail: `${error.message}\n\nYour backup files are not affected. Lifeboat can move the unreadable catalog aside (it is kept, renamed) and start with an empty one; then use Rebuild catalog on the Restore screen to bring your backups back from their folders. Plans must be set up again.`,
    buttons: ['Move it aside and start', 'Quit'],
    defaultId: 0,
    cancelId: 1,
  });
  if (choice !== 0) return null;
  moveCatalogAside(dataDir);
  return setupCore();
}

/**
 * Starts the schedules once the tray can show their progress: missed slots run once now, and
 * again on wake, when timers that slept with the machine are re-armed from the real time.
 * Through the scheduler lease: when the `lifeboat daemon` service already runs the schedules of
 * this catalog, the app fires none and takes over if the service stops (catchUp is then a no-op).
 */
function setupScheduler(engine: LifeboatCore): void {
  engine.schedulerLease.start();
  powerMonitor.on('resume', () => {
    if (core === engine && !closing) engine.scheduler.catchUp();
  });
}

function setupMainWindow(): BrowserWindow {
  // started at login (the login item passes --hidden): stay in the tray, schedules run anyway
  // (unless the user chose, in Settings, to see the window at login)
  const startHidden = startedAtLogin() && (!core || startMinimized(core.settings));
  const win = createMainWindow({ startHidden });
  win.on('close', (event) => {
    if (quitting) return;
    // closing the window keeps Lifeboat running in the tray: schedules must keep firing
    event.preventDefault();
    win.hide();
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  return win;
}

/** Shows the main window, recreating it if it was really closed. */
function revealWindow(): BrowserWindow | null {
  if (!core) return null;
  if (!mainWindow || mainWindow.isDestroyed()) mainWindow = setupMainWindow();
  showWindow(mainWindow);
  return mainWindow;
}

/**
 * A backup file opened while Lifeboat runs: bring the window forward and push the file to its
 * page. A page still loading takes it itself at start-up; if it asked before the file arrived,
 * the file is pushed once the page has loaded (taken once either way, never opened twice).
 */
function openBackupFile(filePath: string): void {
  pendingOpenFile = filePath;
  const win = revealWindow();
  if (!win || !core) return;
  const send = () => {
    const file = takePendingOpenFile();
    if (file) core?.events.emit('app/open-file', { path: file });
  };
  if (win.webContents.isLoading()) win.webContents.once('did-finish-load', send);
  else send();
}

/** A notification was clicked: bring the window forward on that job. */
function openJob(jobId: string | null): void {
  const win = revealWindow();
  if (!win || !core || !jobId) return;
  const send = () => core?.events.emit('app/open-job', { jobId });
  // a freshly created window has no listener yet; wait until its page is loaded
  if (win.webContents.isLoading()) win.webContents.once('did-finish-load', send);
  else send();
}

function onTrayState(state: TrayState): void {
  setTaskbarProgress(mainWindow, state.progress);
}

function quitApp(): void {
  quitting = true;
  app.quit();
}

async function onReady(): Promise<void> {
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
  hardenSession();
  try {
    core = setupCore();
  } catch (error) {
    core = recoverFromUnreadableCatalog(error);
    if (!core) {
      dialog.showErrorBox('Lifeboat cannot start', error instanceof Error ? error.message : String(error));
      app.exit(1);
      return;
    }
  }
  disposeIpc = setupIpc(core);
  mainWindow = setupMainWindow();
  disposeTray = setupTray(core, { showWindow: () => void revealWindow(), quit: quitApp, onStateChange: onTrayState }).dispose;
  setupScheduler(core);
  setupUpdater();
}

/**
 * Quitting (tray, Cmd+Q, OS logout): hold the exit until running jobs are cancelled as a
 * 'system' cancel and the catalog is closed, so no job is left `running` and no temp file stays.
 * A job that ignores its abort gets QUIT_GRACE_MS; the next start marks it interrupted anyway.
 */
function onBeforeQuit(event: { preventDefault(): void }): void {
  quitting = true;
  if (coreClosed || !core) return;
  event.preventDefault();
  if (closing) return; // already closing: this quit resumes when it is done
  disposeTray?.();
  disposeIpc?.();
  const timer = setTimeout(() => app.exit(0), QUIT_GRACE_MS);
  closing = core
    .close()
    .catch((error: unknown) => console.error('Lifeboat: closing the engine failed', error))
    .finally(() => {
      clearTimeout(timer);
      coreClosed = true;
      app.quit();
    });
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    // another Lifeboat owns the catalog and the schedules; it gets our argv and shows itself
    app.quit();
    return;
  }
  pendingOpenFile = backupFileFromArgv(process.argv);

  app.on('second-instance', (_event, argv) => {
    const file = backupFileFromArgv(argv);
    if (file) openBackupFile(file);
    else revealWindow();
  });
  // macOS delivers files opened from Finder this way, possibly before 'ready'
  app.on('open-file', (event, filePath) => {
    event.preventDefault();
    if (app.isReady()) openBackupFile(filePath);
    else pendingOpenFile = filePath;
  });
  app.on('activate', () => void revealWindow());
  // the tray keeps the app alive without windows
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', onBeforeQuit);
  app.whenReady().then(onReady, (error: unknown) => {
    console.error('Lifeboat: Electron failed to start', error);
    app.exit(1);
  });
}

main();

/** The pending backup file, taken once (core's 'app/take-pending-file' handler calls this). */
export function takePendingOpenFile(): string | null {
  const file = pendingOpenFile;
  pendingOpenFile = null;
  return file;
}
