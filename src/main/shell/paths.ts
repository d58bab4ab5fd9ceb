/**
 * Where the shell finds its own files. Everything is located from this bundle's folder
 * (out/main), which holds in development, under `electron-vite preview`, under Playwright and
 * inside app.asar alike, whatever the working directory or the way Electron was launched.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** out/main: the folder of the bundled main process (ESM has no __dirname of its own). */
const mainDir = path.dirname(fileURLToPath(import.meta.url));

/** The app root: the repository in development, the root of app.asar when packaged. */
export const appRoot = path.resolve(mainDir, '../..');

/** The sandboxed preload, bundled as CommonJS by electron-vite. */
export const preloadPath = path.join(mainDir, '../preload/index.cjs');

/** The built renderer page. */
export const rendererHtmlPath = path.join(mainDir, '../renderer/index.html');
export const rendererFileUrl = pathToFileURL(rendererHtmlPath).href;

/** Icons (packed into app.asar by electron-builder's `files`). */
export const resourcesDir = path.join(appRoot, 'resources');

/** The Vite dev server electron-vite starts in `dev`; absent in preview and packaged runs. */
export function devServerUrl(isPackaged: boolean): string | null {
  return !isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null;
}
