// Reading a service unit as systemd would, from its files, without a running systemd:
// the unit file found first on the search path (an instance falls back to its template),
// then its drop-ins in name order (a file of a higher-priority directory masks one of the
// same name below), then the [Service] settings with an empty assignment resetting a list
// ("ExecStart=" in a drop-in discards the lines before it).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SystemdUnitRef } from '../../common/model.js';
import { UnitError, parseExecLine, type ExecLine } from './exec-line.js';

export type UnitScope = SystemdUnitRef['scope'];

/** Interceptor's drop-in; "zz-" so it sorts after the others and its ExecStart= reset comes last. */
export const DROP_IN_NAME = 'zz-interceptor.conf';

export interface LookupOptions {
  scope: UnitScope;
  /** Prefix of every system path (as `systemctl --root`); "" or "/" for the real one. */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

/** The directories systemd searches, highest priority first (systemd.unit(5) "Unit File Load Path"). */
export function unitSearchPath(o: LookupOptions): string[] {
  const env = o.env ?? process.env;
  const root = o.root && o.root !== '/' ? path.resolve(o.root) : '';
  const sys = (p: string) => root + p;
  let defaults: string[];
  if (o.scope === 'system') {
    defaults = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'].map(sys);
  } else {
    const home = env.HOME || os.homedir();
    const abs = (v: string | undefined, fallback: string) => (v && path.isAbsolute(v) ? v : fallback);
    const config = abs(env.XDG_CONFIG_HOME, path.join(home, '.config'));
    const data = abs(env.XDG_DATA_HOME, path.join(home, '.local', 'share'));
    defaults = [
      path.join(config, 'systemd', 'user'),
      sys('/etc/systemd/user'),
      ...(env.XDG_RUNTIME_DIR ? [path.join(env.XDG_RUNTIME_DIR, 'systemd', 'user')] : []),
      sys('/run/systemd/user'),
      path.join(data, 'systemd', 'user'),
      ...['/usr/local/lib/systemd/user', '/usr/lib/systemd/user', '/lib/systemd/user'].map(sys),
    ];
  }
  // systemd's own override: its directories replace the defaults; a trailing ":" keeps them after
  const custom = env.SYSTEMD_UNIT_PATH;
  if (!custom) return defaults;
  const dirs = custom.split(':').filter(Boolean);
  return custom.endsWith(':') ? [...dirs, ...defaults] : dirs;
}

/** Where `interceptor adopt` writes its drop-in: the local configuration directory of the scope. */
export function dropInPath(unit: string, o: LookupOptions): string {
  const first = unitSearchPath({ ...o, env: { ...(o.env ?? process.env), SYSTEMD_UNIT_PATH: undefined } })[0]!;
  const custom = (o.env ?? process.env).SYSTEMD_UNIT_PATH?.split(':').filter(Boolean)[0];
  return path.join(custom ?? first, `${unit}.d`, DROP_IN_NAME);
}

export interface UnitInfo {
  name: string;
  scope: UnitScope;
  /** The unit file, after symlinks. */
  fragment: string;
  /** Drop-ins in the order systemd applies them (Interceptor's own left out). */
  dropIns: string[];
  /** Interceptor's drop-in, if the unit has one. */
  ours: string | null;
  /** [Service] settings of the unit as it is without Interceptor: every assignment, in order. */
  service: Map<string, string[]>;
  execStart: ExecLine[];
  type: string;
  user: string | null;
}

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

export function templateOf(unit: string): string | null {
  const m = /^([^@]+)@[^@]+(\.service)$/.exec(unit);
  return m ? `${m[1]}@${m[2]}` : null;
}

export async function readUnit(name: string, o: LookupOptions): Promise<UnitInfo> {
  if (/^[^@]+@\.service$/.test(name)) throw new UnitError(`${name} is a template: adopt an instance of it, such as ${name.replace('@.', '@NAME.')}`);
  const dirs = unitSearchPath(o);
  const names = [name, templateOf(name)].filter((n): n is string => n !== null);
  let fragment: string | null = null;
  for (const n of names) {
    for (const d of dirs) {
      if (await exists(path.join(d, n))) {
        fragment = path.join(d, n);
        break;
      }
    }
    if (fragment) break;
  }
  const where = o.scope === 'user' ? 'user unit' : 'system unit';
  if (!fragment) throw new UnitError(`no ${where} ${name} (searched ${dirs.join(', ')})`);
  const real = await fs.realpath(fragment).catch(() => fragment!);
  if (real === '/dev/null') throw new UnitError(`${name} is masked (${fragment} → /dev/null)`);

  const byBase = new Map<string, string>();
  for (const d of dirs) {
    for (const n of names) {
      const dir = path.join(d, `${n}.d`);
      const entries = await fs.readdir(dir).catch(() => [] as string[]);
      for (const e of entries) if (e.endsWith('.conf') && !byBase.has(e)) byBase.set(e, path.join(dir, e));
    }
  }
  const sorted = [...byBase.keys()].sort().map((k) => byBase.get(k)!);
  const ours = sorted.find((f) => path.basename(f) === DROP_IN_NAME) ?? null;
  const dropIns = sorted.filter((f) => f !== ours);

  const service = new Map<string, string[]>();
  for (const file of [real, ...dropIns]) {
    for (const [key, value] of serviceAssignments(await fs.readFile(file, 'utf8'))) {
      const list = service.get(key) ?? [];
      // an empty assignment resets a list setting (ExecStart=, Environment=, ...)
      service.set(key, value === '' ? [] : [...list, value]);
    }
  }
  const execStart = (service.get('ExecStart') ?? []).map(parseExecLine);
  const last = (k: string) => service.get(k)?.at(-1) ?? null;
  return { name, scope: o.scope, fragment: real, dropIns, ours, service, execStart, type: last('Type') ?? 'simple', user: last('User') };
}

/** The Key=Value assignments of the [Service] section, continuation lines joined. */
export function serviceAssignments(text: string): [string, string][] {
  const out: [string, string][] = [];
  let section = '';
  let pending = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = pending + rawLine;
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1) + ' ';
      continue;
    }
    pending = '';
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const eq = t.indexOf('=');
    if (section !== 'Service' || eq <= 0) continue;
    out.push([t.slice(0, eq).trim(), t.slice(eq + 1).trim()]);
  }
  return out;
}
