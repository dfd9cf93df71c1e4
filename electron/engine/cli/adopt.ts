// `interceptor adopt UNIT`, `interceptor adopt --list`, `interceptor release UNIT` and the
// launcher the drop-in runs, `interceptor exec-adopted` (electron/engine/adopt/).
import path from 'node:path';
import { CommandError } from '../../common/contract.js';
import { adoptUnit, releaseUnit } from '../adopt/adopt.js';
import { listCandidates } from '../adopt/candidates.js';
import { ENGINE_DOWN, type EngineDown } from '../adopt/drop-in.js';
import { UnitError } from '../adopt/exec-line.js';
import { execAdopted } from '../adopt/launcher.js';
import type { SystemAccess } from '../adopt/systemd.js';
import { readUnit, type UnitScope } from '../adopt/unit-file.js';
import { defaultStateDir } from '../server/endpoint.js';
import { UsageError, parseCommandLine, str, type Parsed } from './args.js';
import { CONNECT_OPTIONS, SHARE_OPTIONS, connect, out, sharesFromFlags, withRemote } from './remote.js';
import { interceptorCommand } from './service.js';

const SCOPE_OPTIONS = { user: { type: 'boolean' }, system: { type: 'boolean' }, root: { type: 'string' } } as const;
export const ADOPT_OPTIONS = { ...SHARE_OPTIONS, ...CONNECT_OPTIONS, ...SCOPE_OPTIONS, name: { type: 'string' }, 'engine-down': { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' } } as const;
export const RELEASE_OPTIONS = { ...CONNECT_OPTIONS, ...SCOPE_OPTIONS } as const;
const LAUNCHER_OPTIONS = { app: { type: 'string' }, unit: { type: 'string' }, 'engine-down': { type: 'string' }, 'state-dir': { type: 'string' } } as const;

const say = (line: string) => void process.stdout.write(line + '\n');

function unitName(p: Parsed, verb: string): string {
  const word = p.positionals[0];
  if (!word) throw new UsageError(`missing unit: interceptor ${verb} UNIT (e.g. transmission-daemon or syncthing@alice.service)`);
  return word.includes('.') && !word.endsWith('@') ? word : `${word}.service`;
}

/** --user, --system, or the scope where the unit is found (the user's first). */
async function scopeOf(p: Parsed, unit: string): Promise<UnitScope> {
  if (p.values.user && p.values.system) throw new UsageError('--user and --system exclude each other');
  if (p.values.user) return 'user';
  if (p.values.system) return 'system';
  const root = str(p.values.root);
  for (const scope of ['user', 'system'] as const) {
    if (await readUnit(unit, { scope, root }).then(() => true, () => false)) return scope;
  }
  throw new UnitError(`no unit ${unit}, neither the user's nor the system's (\`interceptor adopt --list\` shows the candidates)`);
}

function access(scope: UnitScope, p: Parsed): SystemAccess {
  return { scope, offline: str(p.values.root) !== undefined, interactive: process.stdin.isTTY === true, say: (l) => void process.stderr.write(l + '\n') };
}

export async function adopt(p: Parsed): Promise<number> {
  if (p.values.list) {
    const list = await listCandidates({ root: str(p.values.root) });
    if (p.values.json) out(JSON.stringify(list, null, 2) + '\n');
    else if (list.length === 0) say('No P2P service units found.');
    else for (const c of list) say(`${c.scope.padEnd(6)}  ${c.name.padEnd(36)}  ${c.adopted ? 'adopted' : c.problem ? `cannot: ${c.problem}` : (c.command ?? '')}`);
    return 0;
  }
  const unit = unitName(p, 'adopt');
  const engineDown = (str(p.values['engine-down']) ?? 'run') as EngineDown;
  if (!(ENGINE_DOWN as readonly string[]).includes(engineDown)) throw new UsageError(`--engine-down must be run (start uncapped) or hold (wait for the engine)`);
  const scope = await scopeOf(p, unit);
  const shares = sharesFromFlags(p.values);
  const stateDir = path.resolve(str(p.values['state-dir']) ?? defaultStateDir());
  return withRemote(p.values, async (remote) => {
    const r = await adoptUnit(
      remote,
      { unit, scope, root: str(p.values.root), shares, engineDown, name: str(p.values.name), launcher: interceptorCommand(), stateDir },
      access(scope, p),
    );
    say(`Adopted ${unit} (${scope}) as app ${r.app.definition.id}: wrote ${r.dropIn}.`);
    for (const n of r.notes) say(`  note: ${n}`);
    say(`  ${r.systemd}.`);
    return 0;
  });
}

export async function release(p: Parsed): Promise<number> {
  const unit = unitName(p, 'release');
  const scope = await scopeOf(p, unit);
  // the drop-in goes even when no engine answers; its app entry then stays, and the owner is told
  const remote = await connect(p.values).catch(() => null);
  try {
    const r = await releaseUnit(remote, { unit, scope, root: str(p.values.root) }, access(scope, p));
    say(`Released ${unit}: removed ${r.dropIn}; ${r.systemd}.`);
    if (!r.appRemoved) say(`  No engine answered: remove its app later with \`interceptor apps rm ${r.appId}\`.`);
    return 0;
  } finally {
    await remote?.close();
  }
}

export async function execAdoptedCommand(argv: string[], help: () => number): Promise<number> {
  const p = parseCommandLine(argv, LAUNCHER_OPTIONS, { command: true });
  if (p.help) return help();
  const [command, ...args] = p.command;
  const need = (name: string) => {
    const v = str(p.values[name]);
    if (!v) throw new UsageError(`exec-adopted needs --${name} (it is the ExecStart of an adopted unit's drop-in)`);
    return v;
  };
  const engineDown = need('engine-down');
  if (!(ENGINE_DOWN as readonly string[]).includes(engineDown)) throw new UsageError('--engine-down must be run or hold');
  if (!command) throw new UsageError('missing command: interceptor exec-adopted [options] -- CMD [ARGS...]');
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(need('app'))) throw new CommandError('invalid', `--app "${need('app')}" is not an app id`);
  return execAdopted({ appId: need('app'), unit: need('unit'), engineDown: engineDown as EngineDown, stateDir: path.resolve(need('state-dir')), command, args });
}
