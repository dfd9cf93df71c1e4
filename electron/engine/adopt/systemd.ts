// What adopting and releasing ask of the system: writing or removing the drop-in (a system
// unit's, as another user: through sudo, which says so and may ask for a password), and
// systemctl's daemon-reload and restart (for a system unit, systemctl asks polkit itself).
// Without a running systemd the drop-in simply takes effect at the unit's next start.
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../settings.js';
import type { UnitScope } from './unit-file.js';

export interface SystemAccess {
  scope: UnitScope;
  /** Files under another root (`--root`): no privileges, no systemctl. */
  offline: boolean;
  /** Lines for the owner: what is done with which privileges. */
  say: (line: string) => void;
  /** sudo may prompt (a terminal); the engine passes false: sudo -n, which fails instead of asking. */
  interactive: boolean;
}

const asRoot = (a: SystemAccess) => a.scope === 'system' && !a.offline && process.getuid?.() !== 0;

function sudo(args: string[], input: string | null, a: SystemAccess): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sudo', [...(a.interactive ? [] : ['-n']), '--', ...args], { stdio: [input === null ? 'ignore' : 'pipe', 'ignore', 'inherit'] });
    child.once('error', (e) => reject(new Error(`sudo: ${e.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sudo ${args[0]} failed (exit ${code})${a.interactive ? '' : ': run `interceptor adopt` in a terminal, where sudo can ask'}`))));
    if (input !== null) child.stdin!.end(input);
  });
}

export async function writeDropIn(file: string, text: string, a: SystemAccess): Promise<void> {
  if (asRoot(a)) {
    a.say(`Writing ${file} as root through sudo.`);
    await sudo(['install', '-D', '-m', '0644', '/dev/stdin', file], text, a);
    return;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, text, 0o644);
}

export async function removeDropIn(file: string, a: SystemAccess): Promise<void> {
  if (asRoot(a)) {
    a.say(`Removing ${file} as root through sudo.`);
    await sudo(['rm', '-f', file], null, a);
    return;
  }
  await fs.rm(file, { force: true });
  await fs.rmdir(path.dirname(file)).catch(() => undefined); // only if now empty
}

/** Is a systemd manager of this scope running (sd_booted, or the user manager's private socket)? */
export function systemdRunning(scope: UnitScope, env: NodeJS.ProcessEnv = process.env): boolean {
  if (scope === 'system') return existsSync('/run/systemd/system');
  return !!env.XDG_RUNTIME_DIR && existsSync(path.join(env.XDG_RUNTIME_DIR, 'systemd', 'private'));
}

function systemctl(scope: UnitScope, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('systemctl', [...(scope === 'user' ? ['--user'] : []), ...args], { timeout: 120_000, env: { ...process.env, SYSTEMD_PAGER: '', LC_ALL: 'C' } }, (error, _out, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 127) : 0, stderr: String(stderr || error?.message || '') });
    });
  });
}

/**
 * The unit's manager reads its files again and restarts it if it runs (try-restart), so the
 * change applies now. Returns what happened, for the owner.
 */
export async function reloadAndRestart(unit: string, a: SystemAccess): Promise<string> {
  const flag = a.scope === 'user' ? ' --user' : '';
  if (a.offline) return `files under another root: nothing restarted`;
  if (!systemdRunning(a.scope)) return `no systemd manager runs here: the change applies at the unit's next start`;
  if (a.scope === 'system' && process.getuid?.() !== 0) a.say('systemctl asks polkit for the right to reload and restart a system unit.');
  for (const args of [['daemon-reload'], ['try-restart', unit]]) {
    const r = await systemctl(a.scope, args);
    if (r.code !== 0) throw new Error(`systemctl${flag} ${args.join(' ')}: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
  }
  return `systemctl${flag} daemon-reload; try-restart ${unit} (restarted if it was running)`;
}
