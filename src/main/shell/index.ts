/**
 * The Electron shell: wires the engine to the desktop. Start-up reads as a list (see onReady);
 * everything else lives in src/main/core, which never imports electron.
 */
import fs from 'node:fs';
import { app, dialog, Menu, powerMonitor, powerSaveBlocker, safeStorage, shell, type BrowserWindow } from 'electron';
import { AppError } from '../../shared/errors';
import { FINAL_STATUSES, type JobSummary } from '../../shared/job';
import { moveCatalogAside } from '../core/catalog/catalog-aside';
import { createLifeboatCore, type LifeboatCore } from '../core/lifeboat';
import { startMinimized } from '../core/desktop-settings';
import { resolveDataDir } from '../core/paths';
import { describeJob, type TrayState } from '../core/tray-state';
import { buildAppMenuTemplate } from './app-menu';
import { setupIpc } from './ipc';
import { openDialogOptions, pickedPath, type PathPickRequest } from './path-options';
import { loginItem, startedAtLogin } from './login-item';
import { resolveElectronNativeBinding } from './native';
import { ElectronNotifier } from './notifications';
import { JobPowerBlocker } from './power-blocker';
import { decideQuit, quitChoiceOf, type QuitDialog } from './quit-guard';
import { SafeStorageSecretStore } from './secret-store';
import { createShellHandlers } from './shell-handlers';
import { createShellLog, logsDir, teeConsole, type ShellLog } from './shell-log';
import { setupTray, type TrayHandle } from './tray';
import { electronUpdaterPort, updateFeedOfThisBuild } from './updater';
import { UpdateService } from './update-service';
import { createMainWindow, hardenSession, setTaskbarProgress, showWindow } from './windows';

const APP_USER_MODEL_ID = 'dev.lifeboat.app';
/** How long quitting waits for cancelled jobs to record their outcome before leaving anyway. */
const QUIT_GRACE_MS = 15_000;

let core: LifeboatCore | null = null;
let mainWindow: BrowserWindow | null = null;
let trayHandle: TrayHandle | null = null;
let disposeIpc: (() => void) | null = null;
let updates: UpdateService | null = null;
let powerBlocker: JobPowerBlocker | null = null;
/** the app's log file (logs/ in the data folder), opened before anything else can fail */
let shellLog: ShellLog | null = null;
/** true once quitting goes ahead: closing the window then really closes it */
let quitting = false;
/** how to quit is settled (nothing ran, or the user chose): before-quit asks no more */
let quitConfirmed = false;
/** the user chose "Quit when finished": quit as soon as no job of ours is active */
let quitWhenIdle = false;
let quitDialogOpen = false;
/** the OS is shutting down or logging out: nobody can answer a dialog */
let systemShutdown = false;
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

function dataDir(): string {
  return resolveDataDir(app.getPath('userData'));
}

/** The log file first: whatever fails after this is written down where Help > Open Logs Folder leads. */
function setupLog(): ShellLog {
  const log = createShellLog(logsDir(dataDir()));
  teeConsole(log);
  log.write('info', `Lifeboat ${app.getVersion()} starting (${process.platform}, Electron ${process.versions.electron ?? '?'})`);
  return log;
}

function setupCore(): LifeboatCore {
  return createLifeboatCore({
    dataDir: dataDir(),
    appVersion: app.getVersion(),
    secrets: new SafeStorageSecretStore(dataDir(), safeStorage),
    notifier: new ElectronNotifier(openJob),
    nativeBinding: resolveElectronNativeBinding(),
    desktop: loginItem(),
    pendingOpenFile: takePendingOpenFile,
    pathPicker: { pick: pickPath },
  });
}

/** The Browse buttons' OS dialog, attached to the window when it is shown. */
async function pickPath(request: PathPickRequest): Promise<string | null> {
  const options = openDialogOptions(request);
  const result = mainWindow && mainWindow.isVisible() ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return pickedPath(result);
}

/**
 * The catalog cannot be read (damaged, or not a catalog): offer to move it aside and start with
 * an empty one, from which Rebuild catalog (Restore screen) brings the backups back from their
 * folders. Returns the new engine, or null when the user chose to quit.
 */
function recoverFromUnreadableCatalog(error: unknown): LifeboatCore | null {
  if (!(error instanceof AppError) || error.code !== 'CATALOG_CORRUPT') return null;
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
  moveCatalogAside(dataDir());
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
  const win = createMainWindow({ startHidden, stateDir: dataDir() });
  // Windows logging off or shutting down: quit without asking (no one would answer)
  win.on('session-end', () => (systemShutdown = true));
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
  if (!mainWindow || mainWindow.isDestroyed()) {
    mainWindow = setupMainWindow();
    // a new window's taskbar entry starts bare: give it the bar the tray shows
    if (trayHandle) setTaskbarProgress(mainWindow, trayHandle.state().taskbar);
  }
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
  setTaskbarProgress(mainWindow, state.taskbar);
}

/** Quit (tray, menus): asks first when jobs of ours run, see onBeforeQuit. */
function quitApp(): void {
  app.quit();
}

/** Quit now, cancelling what runs: the tray's "Quit Now" once the user chose to wait. */
function quitNow(): void {
  quitConfirmed = true;
  app.quit();
}

/** The jobs this process runs (a job the service or a CLI runs goes on after we quit). */
function ourActiveJobs(engine: LifeboatCore, settled?: JobSummary): string[] {
  return engine.runner.activeJobIds().filter((id) => !(settled && settled.id === id && FINAL_STATUSES.includes(settled.status)));
}

/**
 * Keeps the machine awake while jobs of ours run (a sleeping machine drops the dump's server
 * connection), and quits once they are done if the user chose "Quit when finished".
 */
function setupJobWatch(engine: LifeboatCore): void {
  powerBlocker = new JobPowerBlocker(powerSaveBlocker);
  powerBlocker.update(ourActiveJobs(engine));
  engine.events.on('jobs/updated', (job) => {
    const active = ourActiveJobs(engine, job);
    const wasBlocking = powerBlocker?.isBlocking();
    const blocking = powerBlocker?.update(active);
    if (blocking !== wasBlocking) shellLog?.write('info', blocking ? 'Keeping the system awake while jobs run' : 'Jobs done: the system may sleep again');
    if (quitWhenIdle && active.length === 0) {
      shellLog?.write('info', 'Jobs finished: quitting as asked');
      quitNow();
    }
  });
}

/** Our own menu: no Reload, developer tools or "Learn More" in a packaged build. */
function setupAppMenu(): void {
  const template = buildAppMenuTemplate(
    { platform: process.platform, isPackaged: app.isPackaged, appName: app.getName() },
    {
      openBackupFile: () => void chooseBackupFile(),
      openLogsFolder: () => void openLogsFolder().catch((error: unknown) => dialog.showErrorBox('Cannot open the logs folder', String(error))),
      checkForUpdates: () => void checkForUpdatesFromMenu(),
    },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function chooseBackupFile(): Promise<void> {
  const options: Electron.OpenDialogOptions = {
    title: 'Open a Lifeboat backup',
    properties: ['openFile'],
    filters: [{ name: 'Lifeboat backup', extensions: ['lifeboat'] }],
  };
  const result = mainWindow && mainWindow.isVisible() ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  const file = result.filePaths[0];
  if (!result.canceled && file) openBackupFile(file);
}

/** Opens <data folder>/logs in the file manager; resolves with its path. */
async function openLogsFolder(): Promise<string> {
  const dir = logsDir(dataDir());
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const failure = await shell.openPath(dir);
  if (failure) throw new Error(`${failure} (${dir})`);
  return dir;
}

async function checkForUpdatesFromMenu(): Promise<void> {
  if (!updates) return;
  const result = await updates.check();
  const options: Electron.MessageBoxOptions = {
    type: result.outcome === 'failed' ? 'warning' : 'info',
    title: 'Check for Updates',
    message: result.outcome === 'available' || result.outcome === 'downloaded' ? 'An update is available' : 'Check for updates',
    detail: result.message,
    buttons: ['OK'],
  };
  if (mainWindow && mainWindow.isVisible()) await dialog.showMessageBox(mainWindow, options);
  else await dialog.showMessageBox(options);
}

/**
 * Updates: from the build's feed (or LIFEBOAT_UPDATE_URL), automatically unless the user turned
 * it off in Settings (kept in the catalog's settings); a build without a feed never checks.
 */
function setupUpdates(engine: LifeboatCore): UpdateService {
  const feed = updateFeedOfThisBuild();
  const service = new UpdateService({
    feed,
    currentVersion: app.getVersion(),
    createUpdater: () => electronUpdaterPort(feed, (level, message) => shellLog?.write(level, message)),
    settings: engine.settings,
    log: (message) => shellLog?.write('info', message),
    audit: (action, details) => engine.audit.record('user', action, null, details),
    onDownloaded: (result) => engine.notifier.notify({ title: 'Lifeboat update ready', body: result.message, level: 'info' }),
  });
  service.start();
  return service;
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
  setupAppMenu();
  updates = setupUpdates(core);
  disposeIpc = setupIpc(core, createShellHandlers({ updates, openLogsFolder }));
  mainWindow = setupMainWindow();
  trayHandle = setupTray(core, {
    showWindow: () => void revealWindow(),
    openJob,
    quit: () => (quitWhenIdle ? quitNow() : quitApp()),
    onStateChange: onTrayState,
  });
  setupJobWatch(core);
  setupScheduler(core);
}

/**
 * Jobs of ours run and the user asked to quit: wait for them and quit, cancel them and quit, or
 * keep running in the background (quit-guard.ts decides what to offer).
 */
async function askBeforeQuit(quitDialog: QuitDialog): Promise<void> {
  if (quitDialogOpen) return;
  quitDialogOpen = true;
  const options: Electron.MessageBoxOptions = {
    type: 'question',
    title: 'Quit Lifeboat?',
    message: quitDialog.message,
    detail: quitDialog.detail,
    buttons: quitDialog.buttons,
    defaultId: quitDialog.defaultId,
    cancelId: quitDialog.cancelId,
    noLink: true,
  };
  let response = quitDialog.cancelId;
  try {
    const parent = mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible() ? mainWindow : null;
    response = (parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options)).response;
  } finally {
    quitDialogOpen = false;
  }
  const choice = quitChoiceOf(quitDialog, response);
  shellLog?.write('info', `Quit with jobs running: ${choice}`);
  switch (choice) {
    case 'cancel-and-quit':
      quitNow();
      break;
    case 'wait':
      quitWhenIdle = true;
      trayHandle?.setQuitPending(true);
      mainWindow?.hide();
      // the jobs may have ended while the dialog was open
      if (core && ourActiveJobs(core).length === 0) quitNow();
      break;
    case 'background':
      mainWindow?.hide();
      break;
    case 'stay':
      break;
  }
}

/**
 * Quitting (tray, Cmd+Q, OS logout): while jobs of ours run, ask first (askBeforeQuit), unless
 * the OS is going down. Then hold the exit until running jobs are cancelled as a 'system' cancel
 * and the catalog is closed, so no job is left `running` and no temp file stays. A job that
 * ignores its abort gets QUIT_GRACE_MS; the next start marks it interrupted anyway.
 */
function onBeforeQuit(event: { preventDefault(): void }): void {
  if (coreClosed || !core) {
    quitting = true;
    return;
  }
  event.preventDefault();
  if (closing) return; // already closing: this quit resumes when it is done
  if (!quitConfirmed) {
    const lease = core.schedulerLease.status().runBy;
    const decision = decideQuit({
      activeJobs: ourActiveJobs(core).map((id) => {
        const job = core?.jobs.get(id);
        return job ? describeJob(job) : 'A job';
      }),
      systemShutdown,
      hasTray: trayHandle !== null,
      serviceRunsSchedules: lease?.kind === 'other' && lease.role === 'service',
    });
    if (decision.kind === 'ask') {
      void askBeforeQuit(decision.dialog);
      return;
    }
  }
  quitting = true;
  shellLog?.write('info', 'Quitting');
  trayHandle?.dispose();
  trayHandle = null;
  updates?.stop();
  powerBlocker?.dispose();
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
  shellLog = setupLog();

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
  // macOS and Linux announce shutdown and logout here (Windows through the window's session-end)
  app.whenReady().then(() => powerMonitor.on('shutdown', () => (systemShutdown = true)), () => undefined);
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
