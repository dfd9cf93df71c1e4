// The desktop app at login: an XDG autostart entry, ~/.config/autostart/interceptor.desktop
// (XDG Autostart Specification), started with --hidden (tray only).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../settings.js';
import type { LoginItem } from './login-item.js';
import { desktopExecQuote } from './quoting.js';

export const AUTOSTART_FILE = 'interceptor.desktop';

export function autostartDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'), 'autostart');
}

/** The entry's text: `command` is the program and its arguments, as they would be exec'd. */
export function autostartEntry(options: { command: string[]; icon?: string }): string {
  if (options.command.length === 0) throw new Error('no command to start at login');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.4',
    'Name=Interceptor',
    'Comment=Run P2P apps under owner-set CPU, network, disk and memory caps',
    `Exec=${options.command.map(desktopExecQuote).join(' ')}`,
    `Icon=${options.icon ?? 'interceptor'}`,
    'Terminal=false',
    'Categories=Utility;',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function xdgAutostart(options: { command: string[]; icon?: string; dir?: string }): LoginItem {
  const file = path.join(options.dir ?? autostartDir(), AUTOSTART_FILE);
  const how = `XDG autostart entry ${file}`;
  const describe = async () => {
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    // An entry the owner disabled in the desktop's settings stays but says Hidden=true.
    const enabled = text !== null && !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
    return { enabled, how, problem: null };
  };
  return {
    describe,
    async set(enabled) {
      if (enabled) await writeFileAtomic(file, autostartEntry(options), 0o644);
      else await fs.rm(file, { force: true });
      return describe();
    },
  };
}
