// `interceptor service install|uninstall|status|print`: `interceptor serve` at login,
// as a systemd user unit (like `syncthing`'s and `transmission-daemon`'s units, but
// per user: no root, the owner's own apps and settings).
import { realpathSync } from 'node:fs';
import path from 'node:path';

import { SystemdUserService, UNIT_NAME } from '../autostart/index.js';
import { packageRoot } from '../paths.js';
import { UsageError, parseCommandLine, str } from './args.js';

export const SERVICE_VERBS = ['install', 'uninstall', 'status', 'print'] as const;

/** `interceptor` as a unit file runs it: this Node and this package's bin, by absolute path (systemd has no PATH of ours). */
export function interceptorCommand(): string[] {
  return [realpathSync(process.execPath), path.join(packageRoot(), 'bin', 'interceptor.js')];
}

/** The command the unit runs: this Node and this package's bin, by absolute path (a login has no PATH of ours). */
export function serveCommand(options: { configDir?: string; stateDir?: string } = {}): string[] {
  return [...interceptorCommand(), 'serve', ...(options.configDir ? ['--config-dir', path.resolve(options.configDir)] : []), ...(options.stateDir ? ['--state-dir', path.resolve(options.stateDir)] : [])];
}

export function serviceFor(options: { configDir?: string; stateDir?: string } = {}): SystemdUserService {
  return new SystemdUserService({ execStart: serveCommand(options), documentation: `file://${path.join(packageRoot(), 'README.md')}` });
}

export async function service(argv: string[], help: (verb?: string) => number): Promise<number> {
  const verb = argv[0];
  if (verb === undefined || verb === '-h' || verb === '--help') return help();
  if (!(SERVICE_VERBS as readonly string[]).includes(verb)) throw new UsageError(`unknown service command "${verb}": one of ${SERVICE_VERBS.join(', ')}`);
  const p = parseCommandLine(argv, { 'config-dir': { type: 'string' }, 'state-dir': { type: 'string' }, 'no-start': { type: 'boolean' } }, { positionals: 1 });
  if (p.help) return help(verb);
  const unit = serviceFor({ configDir: str(p.values['config-dir']), stateDir: str(p.values['state-dir']) });
  const say = (line: string) => void process.stdout.write(line + '\n');
  if (verb === 'print') {
    process.stdout.write(unit.unitText());
    return 0;
  }
  if (verb === 'install') {
    const s = await unit.install(p.values['no-start'] !== true);
    say(`Wrote ${s.file}.`);
    if (s.problem) {
      process.stderr.write(
        `interceptor: ${s.problem}\n` +
          `The unit is in place but not enabled: in a desktop session run \`systemctl --user enable --now ${UNIT_NAME}\`; ` +
          `to start it at boot without logging in, also \`loginctl enable-linger $USER\`.\n`,
      );
      return 1;
    }
    say(`Enabled: \`interceptor serve\` starts at login${p.values['no-start'] ? '' : ' and runs now'} (${s.active ?? 'state unknown'}). Open the dashboard with \`interceptor open\`.`);
    return 0;
  }
  if (verb === 'uninstall') {
    const s = await unit.uninstall(p.values['no-start'] !== true);
    say(`Removed ${s.file}.`);
    if (s.problem) {
      process.stderr.write(`interceptor: ${s.problem}\n`);
      return 1;
    }
    return 0;
  }
  const s = await unit.status();
  say(`Unit:    ${s.file} (${s.installed ? 'installed' : 'not installed'})`);
  say(`Enabled: ${s.enabled ?? 'unknown'}`);
  say(`Active:  ${s.active ?? 'unknown'}`);
  if (s.problem) say(`Problem: ${s.problem}`);
  // LSB exit codes, as `systemctl status`: 0 running, 3 not running, 4 unknown.
  return s.active === 'active' ? 0 : s.active === null ? 4 : 3;
}

