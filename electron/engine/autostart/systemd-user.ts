// The headless server at login: a systemd user unit running `interceptor serve`,
// ~/.config/systemd/user/interceptor.service, enabled through `systemctl --user`.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../settings.js';
import type { LoginItem } from './login-item.js';
import { systemdQuote } from './quoting.js';

export const UNIT_NAME = 'interceptor.service';

export function userUnitDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'), 'systemd', 'user');
}

/**
 * KillMode=process: stopping the unit signals `serve` alone, which stops the apps or
 * leaves them running as the owner chose (onQuit); systemd killing the whole group
 * would decide for the owner.
 */
export function userUnit(options: { execStart: string[]; documentation?: string }): string {
  if (options.execStart.length === 0 || !path.isAbsolute(options.execStart[0]!)) throw new Error('ExecStart needs an absolute program path');
  return [
    '[Unit]',
    'Description=Interceptor: P2P apps under owner-set caps (headless dashboard)',
    ...(options.documentation ? [`Documentation=${options.documentation}`] : []),
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${options.execStart.map(systemdQuote).join(' ')}`,
    'KillMode=process',
    'TimeoutStopSec=30',
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

export type Systemctl = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const realSystemctl: Systemctl = (args) =>
  new Promise((resolve) => {
    execFile('systemctl', ['--user', ...args], { timeout: 20_000, env: { ...process.env, SYSTEMD_PAGER: '', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && typeof error.code !== 'number' ? error.message : '')) });
    });
  });

export interface UnitStatus {
  file: string;
  installed: boolean;
  enabled: string | null; // systemctl is-enabled: enabled, disabled, ...; null when systemctl cannot tell
  active: string | null; // systemctl is-active: active, inactive, failed, ...
  problem: string | null;
}

export class SystemdUserService {
  readonly file: string;
  constructor(
    private readonly options: { execStart: string[]; documentation?: string; dir?: string; systemctl?: Systemctl },
  ) {
    this.file = path.join(options.dir ?? userUnitDir(), UNIT_NAME);
  }

  private get systemctl(): Systemctl {
    return this.options.systemctl ?? realSystemctl;
  }

  unitText(): string {
    return userUnit(this.options);
  }

  /** Writes the unit and enables it (with `now`: starts it too). The problem is set when systemctl could not. */
  async install(now: boolean): Promise<UnitStatus> {
    await writeFileAtomic(this.file, this.unitText(), 0o644);
    const steps = [['daemon-reload'], ['enable', ...(now ? ['--now'] : []), UNIT_NAME]];
    for (const args of steps) {
      const r = await this.systemctl(args);
      if (r.code !== 0) return { ...(await this.status()), problem: `systemctl --user ${args.join(' ')}: ${firstLine(r.stderr) || `exit ${r.code}`}` };
    }
    return this.status();
  }

  async uninstall(now: boolean): Promise<UnitStatus> {
    const r = await this.systemctl(['disable', ...(now ? ['--now'] : []), UNIT_NAME]);
    await fs.rm(this.file, { force: true });
    await this.systemctl(['daemon-reload']);
    const s = await this.status();
    const missing = /not (be )?found|does not exist|No such file/i.test(r.stderr);
    return { ...s, problem: r.code !== 0 && !missing ? `systemctl --user disable: ${firstLine(r.stderr) || `exit ${r.code}`}` : null };
  }

  async status(): Promise<UnitStatus> {
    const installed = await fs.access(this.file).then(() => true, () => false);
    const ask = async (verb: string) => {
      const r = await this.systemctl([verb, UNIT_NAME]);
      const word = r.stdout.trim().split('\n')[0] ?? '';
      return /^[a-z-]+$/.test(word) ? { word, problem: null } : { word: null, problem: firstLine(r.stderr) || `exit ${r.code}` };
    };
    const enabled = await ask('is-enabled');
    const active = await ask('is-active');
    return { file: this.file, installed, enabled: enabled.word, active: active.word, problem: enabled.problem ?? active.problem };
  }

  /** For the settings screen: toggling never stops the server the owner is looking at. */
  loginItem(): LoginItem {
    const describe = async () => {
      const s = await this.status();
      return { enabled: s.installed && s.enabled === 'enabled', how: `systemd user unit ${this.file}`, problem: s.problem && s.installed ? `the user's systemd cannot be reached (${s.problem})` : null };
    };
    return {
      describe,
      set: async (enabled) => {
        const s = enabled ? await this.install(false) : await this.uninstall(false);
        const d = await describe();
        return { ...d, problem: s.problem ?? d.problem };
      },
    };
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 300) ?? '';
}
