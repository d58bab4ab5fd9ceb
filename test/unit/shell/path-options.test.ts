import { describe, expect, it } from 'vitest';
import { openDialogOptions, pickedPath } from '../../../src/main/shell/path-options';

describe('the Browse buttons’ OS dialog', () => {
  it('picks a folder, offering to create one, starting at the typed path', () => {
    const options = openDialogOptions({ kind: 'folder', defaultPath: '/var/backups' });
    expect(options.properties).toEqual(expect.arrayContaining(['openDirectory', 'createDirectory']));
    expect(options.properties).not.toContain('openFile');
    expect(options.defaultPath).toBe('/var/backups');
  });

  it('picks a .lifeboat file', () => {
    const options = openDialogOptions({ kind: 'backup-file', title: 'Open a Lifeboat backup' });
    expect(options.properties).toContain('openFile');
    expect(options.filters?.[0]).toEqual({ name: 'Lifeboat backup', extensions: ['lifeboat'] });
    expect(options.title).toBe('Open a Lifeboat backup');
    expect(options.defaultPath).toBeUndefined();
  });

  it('picks any file for a private key, showing hidden files, starting in ~/.ssh unless a path was typed', () => {
    const options = openDialogOptions({ kind: 'key-file' }, '/home/ada');
    expect(options.properties).toEqual(expect.arrayContaining(['openFile', 'showHiddenFiles']));
    expect(options.properties).not.toContain('openDirectory');
    expect(options.filters).toBeUndefined();
    expect(options.defaultPath).toBe('/home/ada/.ssh');
    expect(openDialogOptions({ kind: 'key-file', defaultPath: '/etc/lifeboat/id_ed25519' }, '/home/ada').defaultPath).toBe('/etc/lifeboat/id_ed25519');
  });

  it('answers null when the dialog was cancelled', () => {
    expect(pickedPath({ canceled: true, filePaths: [] })).toBeNull();
    expect(pickedPath({ canceled: false, filePaths: ['/a', '/b'] })).toBe('/a');
  });
});
