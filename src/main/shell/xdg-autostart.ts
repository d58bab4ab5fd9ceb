/**
 * Start at login on Linux desktops: an XDG autostart entry (~/.config/autostart/*.desktop),
 * which GNOME, KDE, Xfce and the others start at login. Electron's login item settings cover
 * only Windows and macOS. No electron import here, so that it is tested under plain Node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DesktopIntegration } from '../core/ports';

export interface XdgAutostartOptions {
  /** the command line that starts Lifeboat at login, executable first */
  argv: string[];
  /** $XDG_CONFIG_HOME, or ~/.config when unset */
  configHome?: string;
}

export function autostartFile(configHome?: string): string {
  return path.join(configHome || process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'autostart', 'lifeboat.desktop');
}

/** `Exec=` quoting of the desktop entry spec: each argument in double quotes, with \ " ` $ escaped. */
export function execLine(argv: readonly string[]): string {
  return argv.map((arg) => `"${arg.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`).join(' ');
}

/** The login item as an autostart entry: present means on. */
export function xdgAutostart(options: XdgAutostartOptions): DesktopIntegration {
  const file = autostartFile(options.configHome);
  return {
    getStartAtLogin: () => fs.existsSync(file),
    setStartAtLogin(on) {
      if (!on) {
        fs.rmSync(file, { force: true });
        return;
      }
      const entry = [
        '[Desktop Entry]',
        'Type=Application',
        'Name=Lifeboat',
        'Comment=Scheduled backups of PostgreSQL databases and folders',
        `Exec=${execLine(options.argv)}`,
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, entry, { mode: 0o644 });
    },
  };
}
