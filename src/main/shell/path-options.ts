/**
 * What the OS open dialog is asked for behind each Browse button (the core's PathPicker port):
 * a folder (sources, destination, rebuild folder, restore target) or a .lifeboat file. Imports
 * Electron's types only, so vitest checks it in Node.
 */
import type { OpenDialogOptions } from 'electron';
import type { PathPicker } from '../core/ports';

export type PathPickRequest = Parameters<PathPicker['pick']>[0];

export function openDialogOptions(request: PathPickRequest): OpenDialogOptions {
  const common: OpenDialogOptions = {
    ...(request.title ? { title: request.title } : {}),
    ...(request.defaultPath ? { defaultPath: request.defaultPath } : {}),
  };
  if (request.kind === 'folder') {
    // createDirectory: macOS offers "New Folder" for a destination that does not exist yet
    return { ...common, title: request.title ?? 'Choose a folder', properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'] };
  }
  return {
    ...common,
    title: request.title ?? 'Choose a Lifeboat backup',
    properties: ['openFile', 'dontAddToRecent'],
    filters: [
      { name: 'Lifeboat backup', extensions: ['lifeboat'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
}

/** The first path the dialog returned, or null when it was cancelled. */
export function pickedPath(result: { canceled: boolean; filePaths: string[] }): string | null {
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
