/**
 * What the OS open dialog is asked for behind each Browse button (the core's PathPicker port):
 * a folder (sources, destination, rebuild folder, restore target), a .lifeboat file, or any file
 * (an SFTP destination's private key). Imports Electron's types only, so vitest checks it in Node.
 */
import os from 'node:os';
import path from 'node:path';
import type { OpenDialogOptions } from 'electron';
import type { PathPicker } from '../core/ports';

export type PathPickRequest = Parameters<PathPicker['pick']>[0];

/** `home`: the user's home folder, where a key file is looked for first (~/.ssh). */
export function openDialogOptions(request: PathPickRequest, home: string = os.homedir()): OpenDialogOptions {
  const common: OpenDialogOptions = {
    ...(request.title ? { title: request.title } : {}),
    ...(request.defaultPath ? { defaultPath: request.defaultPath } : {}),
  };
  if (request.kind === 'key-file') {
    // keys live in ~/.ssh, a hidden folder, and have no extension to filter on
    return {
      ...common,
      title: request.title ?? 'Choose a private key file',
      defaultPath: request.defaultPath ?? path.join(home, '.ssh'),
      properties: ['openFile', 'showHiddenFiles', 'dontAddToRecent'],
    };
  }
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
