/**
 * The main window, locked down: isolated and sandboxed renderer without Node, a strict CSP,
 * no pop-ups, no navigation away from our own page, no permissions.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, nativeTheme, screen, session, type WebContents } from 'electron';
import { isTrustedSenderUrl, type TrustedOrigins } from '../core/ipc/trusted-sender';
import type { TaskbarState } from '../core/tray-state';
import { devServerUrl, preloadPath, rendererFileUrl, rendererHtmlPath, resourcesDir } from './paths';
import { progressBarCall } from './taskbar';
import { MIN_SIZE, readWindowState, validateWindowState, writeWindowState, type WindowState } from './window-bounds';

/** The same policy as the meta tag in src/renderer/index.html; both apply, so both must allow. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `npm run dev` only: Vite's React refresh needs an inline preamble script and a websocket for
 * hot reload. Never used by `npm start` or a packaged app (no dev server URL there).
 */
export const DEV_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "script-src 'self'",
  "script-src 'self' 'unsafe-inline'",
).replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*");

/** The pages allowed to talk to main and to be navigated to. */
export function trustedOrigins(): TrustedOrigins {
  return { devServerUrl: devServerUrl(app.isPackaged), rendererFileUrl };
}

/**
 * Session-wide hardening, once, before the first window: the CSP as a response header (it also
 * covers pages the dev server serves) and every permission request (camera, notifications from
 * the page, geolocation...) refused — the renderer needs none; main does the notifying.
 */
export function hardenSession(): void {
  const ses = session.defaultSession;
  const policy = devServerUrl(app.isPackaged) ? DEV_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] },
    });
  });
  ses.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/** Keeps a window's contents on our page: no window.open, no navigation, no <webview>. */
function lockNavigation(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const stayHome = (event: { preventDefault(): void }, url: string) => {
    // a file dropped outside the renderer's drop zone would otherwise replace the app with it
    if (!isTrustedSenderUrl(url, trustedOrigins())) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The saved size and position, checked against the displays connected now (primary first). */
export function initialWindowState(stateDir: string): WindowState {
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((d) => d.id !== primary.id);
  return validateWindowState(readWindowState(stateDir), [primary, ...others].map((d) => d.workArea));
}

/** Saves the window's size, position and maximised state as they change (debounced) and on close. */
function rememberWindowState(win: BrowserWindow, stateDir: string): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (win.isDestroyed() || win.isMinimized() || win.isFullScreen()) return;
    writeWindowState(stateDir, { bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event as 'resize', later);
  win.on('close', save);
}

/**
 * Creates the main window where it was last (see window-bounds.ts). It is shown when its first
 * paint is ready, unless `startHidden` (started at login, minimised to the tray).
 */
/**
 * The page refuses to unload while the plan editor holds unsaved changes (its beforeunload);
 * Electron then cancels the close silently, so ask here: discarding lets the window go.
 */
function confirmUnsavedChanges(win: BrowserWindow): void {
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Keep editing', 'Discard changes'],
      defaultId: 0,
      cancelId: 0,
      title: 'Unsaved changes',
      message: 'The plan you are editing has unsaved changes.',
      detail: 'Discard them and close the window?',
    });
    if (choice === 1) event.preventDefault();
  });
}

export function createMainWindow(options: { startHidden: boolean; stateDir: string }): BrowserWindow {
  const state = initialWindowState(options.stateDir);
  const win = new BrowserWindow({
    title: 'Lifeboat',
    ...state.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#1b1d21' : '#ffffff',
    icon: path.join(resourcesDir, 'icon.png'),
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // no developer tools in a packaged build (the app menu offers none either)
      devTools: !app.isPackaged,
    },
  });
  lockNavigation(win.webContents);
  confirmUnsavedChanges(win);
  rememberWindowState(win, options.stateDir);
  // maximize() shows the window on some platforms: only once it is to be seen
  let restoreMaximized = state.maximized;
  win.on('show', () => {
    if (restoreMaximized) win.maximize();
    restoreMaximized = false;
  });
  win.once('ready-to-show', () => {
    if (!options.startHidden) win.show();
  });

  const dev = devServerUrl(app.isPackaged);
  void (dev ? win.loadURL(dev) : win.loadFile(rendererHtmlPath));
  return win;
}

/** Brings a window to the front, restoring it from the tray or the dock. */
export function showWindow(win: BrowserWindow): void {
  if (win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/**
 * The taskbar / dock progress bar: 0..1 while jobs run, busy while they are queued, red on
 * Windows after a failure, removed when nothing needs showing. Driven by the tray state, so the
 * tray and the taskbar always agree.
 */
export function setTaskbarProgress(win: BrowserWindow | null, taskbar: TaskbarState): void {
  if (!win || win.isDestroyed()) return;
  const call = progressBarCall(taskbar, process.platform);
  win.setProgressBar(call.progress, call.mode ? { mode: call.mode } : undefined);
}
