import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autostartFile, execLine, xdgAutostart } from '../../../src/main/shell/xdg-autostart';
import { makeTempDir } from '../../support/temp-core';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('start at login on Linux (XDG autostart)', () => {
  it('writes the entry with the hidden flag, reads it back, and removes it', () => {
    const configHome = makeTempDir();
    dirs.push(configHome);
    const item = xdgAutostart({ configHome, argv: ['/opt/Lifeboat/lifeboat', '--hidden'] });
    expect(item.getStartAtLogin()).toBe(false);

    item.setStartAtLogin(true);
    const file = path.join(configHome, 'autostart', 'lifeboat.desktop');
    expect(autostartFile(configHome)).toBe(file);
    expect(item.getStartAtLogin()).toBe(true);
    const entry = fs.readFileSync(file, 'utf8');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Lifeboat\n/);
    expect(entry).toContain('Exec="/opt/Lifeboat/lifeboat" "--hidden"\n');

    item.setStartAtLogin(false);
    expect(fs.existsSync(file)).toBe(false);
    expect(item.getStartAtLogin()).toBe(false);
    // turning off what is off is fine
    item.setStartAtLogin(false);
  });

  it('quotes each argument of Exec as the desktop entry spec says', () => {
    expect(execLine(['/home/me/My Apps/Lifeboat.AppImage', '--hidden'])).toBe('"/home/me/My Apps/Lifeboat.AppImage" "--hidden"');
    expect(execLine(['/x/a"b$c`d\\e'])).toBe('"/x/a\\"b\\$c\\`d\\\\e"');
  });
});
