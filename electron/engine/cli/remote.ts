// The commands that talk to a running `interceptor serve` over the same typed contract
// as the dashboard: status, pause, resume, apps, caps, profile. The server is found
// through the state dir (its port and its token file); the token never goes on a
// command line (others can read those): --token-file or INTERCEPTOR_TOKEN instead.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CommandError, MAX_PAUSE_MS } from '../../common/contract.js';
import { AppIdSchema, PROFILE_CHOICES, PROFILE_NAMES, type AppShares, type OwnerLimits, type ProfileChoice, type ProfileName } from '../../common/model.js';
import { isNoCapWord, parseBytes, parseFraction, parseRate, type Resource } from '../../common/resources.js';
import { connectRemote, type RemoteEngine } from '../server/client.js';
import { DEFAULT_PORT, TOKEN_PATTERN, defaultStateDir, endpointOrigin, readEndpoint, readToken } from '../server/endpoint.js';
import { CEILING_OPTIONS, appSetPatch, readCeilings } from './ceilings.js';
import { UsageError, parseCommandLine, parseDuration, str, type OptionSpec, type Parsed } from './args.js';
import { formatAppsTable, formatLimits, formatPower, formatProfile, formatStatus } from './format.js';

export const CONNECT_OPTIONS: OptionSpec = { url: { type: 'string' }, 'token-file': { type: 'string' }, 'state-dir': { type: 'string' }, token: { type: 'string' } };
export const out = (text: string): void => void process.stdout.write(text);

/** Connects as the options say; the caller closes. */
export async function connect(values: Parsed['values']): Promise<RemoteEngine> {
  if (values.token !== undefined) {
    throw new UsageError('--token would show the token to every user of this machine (ps); use --token-file FILE or the INTERCEPTOR_TOKEN variable');
  }
  const stateDir = path.resolve(str(values['state-dir']) ?? defaultStateDir());
  let origin: string;
  const url = str(values.url);
  if (url) {
    try {
      origin = new URL(url).origin;
    } catch {
      throw new UsageError(`--url "${url}" is not a URL`);
    }
  } else {
    const endpoint = await readEndpoint(stateDir);
    origin = endpointOrigin(endpoint ?? { host: '127.0.0.1', port: DEFAULT_PORT });
  }
  let token = process.env.INTERCEPTOR_TOKEN?.trim() || undefined;
  const tokenFile = str(values['token-file']);
  if (tokenFile) token = (await fs.readFile(tokenFile, 'utf8').catch(() => Promise.reject(new CommandError('unavailable', `cannot read ${tokenFile}`)))).trim();
  token ??= await readToken(stateDir);
  if (!TOKEN_PATTERN.test(token)) throw new CommandError('invalid', 'the token given is not one (32-256 characters of A-Z a-z 0-9 _ -)');
  try {
    return await connectRemote(origin, token);
  } catch (error) {
    if (error instanceof CommandError && error.code === 'unavailable') {
      throw new CommandError('unavailable', `${error.message}: is the server running? Start it with \`interceptor serve\`, or at login with \`interceptor service install\``);
    }
    throw error;
  }
}

export async function withRemote<T>(values: Parsed['values'], fn: (remote: RemoteEngine) => Promise<T>): Promise<T> {
  const remote = await connect(values);
  try {
    return await fn(remote);
  } finally {
    await remote.close();
  }
}

export async function status(p: Parsed): Promise<number> {
  return withRemote(p.values, async (remote) => {
    const state = await remote.invoke('getState', {});
    const history = await remote.invoke('getHistory', { seconds: 5 });
    const snapshot = history[history.length - 1] ?? null;
    out(p.values.json ? JSON.stringify({ state, snapshot }, null, 2) + '\n' : formatStatus(state, snapshot));
    return 0;
  });
}

export async function pause(p: Parsed): Promise<number> {
  const forText = str(p.values.for);
  const durationMs = forText === undefined ? null : parseDuration(forText, { ms: MAX_PAUSE_MS, says: 'a pause lasts at most 30 days' });
  return withRemote(p.values, async (remote) => {
    const state = await remote.invoke('pauseAll', { durationMs });
    out(`All apps paused ${state.pause?.until ? `until ${new Date(state.pause.until).toLocaleString()}` : 'until resumed'}.\n`);
    return 0;
  });
}

export async function resume(p: Parsed): Promise<number> {
  return withRemote(p.values, async (remote) => {
    await remote.invoke('resumeAll', {});
    out('All apps resumed.\n');
    return 0;
  });
}

// ───────────────────────────── apps ─────────────────────────────

export const APP_VERBS = ['list', 'add', 'set', 'rm', 'start', 'stop', 'pause', 'resume'] as const;
export const SHARE_OPTIONS: OptionSpec = { cpu: { type: 'string' }, up: { type: 'string' }, down: { type: 'string' }, disk: { type: 'string' }, mem: { type: 'string' } };
const FLAG_OF: Record<Resource, string> = { cpu: 'cpu', netUp: 'up', netDown: 'down', disk: 'disk', mem: 'mem' };
const PARSE: Record<Resource, (text: string) => number> = { cpu: parseFraction, netUp: parseRate, netDown: parseRate, disk: parseRate, mem: parseBytes };

export const APP_ADD_OPTIONS: OptionSpec = { ...SHARE_OPTIONS, ...CEILING_OPTIONS, name: { type: 'string' }, cwd: { type: 'string' }, env: { type: 'string', multiple: true }, autostart: { type: 'boolean' } };

function appId(p: Parsed, verb: string): string {
  const id = p.positionals[1];
  if (!id) throw new UsageError(`missing app id: interceptor apps ${verb} ID (see \`interceptor apps list\`)`);
  if (!AppIdSchema.safeParse(id).success) throw new UsageError(`"${id}" is not an app id (see \`interceptor apps list\`)`);
  return id;
}

export async function apps(argv: string[], help: (verb?: string) => number): Promise<number> {
  const verb = argv[0];
  if (verb === undefined || verb === '-h' || verb === '--help') return help();
  if (!(APP_VERBS as readonly string[]).includes(verb)) throw new UsageError(`unknown apps command "${verb}": one of ${APP_VERBS.join(', ')}`);
  if (verb === 'add') {
    const p = parseCommandLine(argv.slice(1), { ...APP_ADD_OPTIONS, ...CONNECT_OPTIONS }, { command: true });
    if (p.help) return help('add');
    return appsAdd(p);
  }
  const spec = verb === 'list' ? { ...CONNECT_OPTIONS, json: { type: 'boolean' as const } } : verb === 'set' ? { ...CONNECT_OPTIONS, ...SHARE_OPTIONS, ...CEILING_OPTIONS } : CONNECT_OPTIONS;
  const p = parseCommandLine(argv, spec, { positionals: verb === 'list' ? 1 : 2 });
  if (p.help) return help(verb);
  if (verb === 'list') {
    return withRemote(p.values, async (remote) => {
      const state = await remote.invoke('getState', {});
      out(p.values.json ? JSON.stringify(state.apps, null, 2) + '\n' : formatAppsTable(state.apps));
      return 0;
    });
  }
  const id = appId(p, verb);
  return withRemote(p.values, async (remote) => {
    if (verb === 'set') {
      const current = (await remote.invoke('getState', {})).apps.find((a) => a.definition.id === id);
      const view = await remote.invoke('updateApp', { id, patch: appSetPatch(p.values, current?.definition.shares ?? { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 }) });
      out(`${id}: shares ${formatLimits(view.definition.shares)}; ceilings ${formatLimits(view.definition.ceilings)}\n`);
      return 0;
    }
    if (verb === 'rm') {
      await remote.invoke('removeApp', { id });
      out(`Removed ${id}.\n`);
      return 0;
    }
    const command = ({ start: 'startApp', stop: 'stopApp', pause: 'pauseApp', resume: 'resumeApp' } as const)[verb as 'start' | 'stop' | 'pause' | 'resume'];
    const view = await remote.invoke(command, { id });
    out(`${id}: ${view.state}\n`);
    return 0;
  });
}

/** An app's nominal shares from --cpu --up --down --disk --mem (0 where not given). */
export function sharesFromFlags(values: Parsed['values']): AppShares {
  const shares: AppShares = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 };
  for (const r of Object.keys(FLAG_OF) as Resource[]) {
    const text = str(values[FLAG_OF[r]]);
    if (text !== undefined) shares[r] = PARSE[r](text);
  }
  return shares;
}

async function appsAdd(p: Parsed): Promise<number> {
  const [command, ...args] = p.command;
  if (!command) throw new UsageError('missing command: interceptor apps add [options] -- CMD [ARGS...]');
  const shares = sharesFromFlags(p.values);
  const env: Record<string, string> = {};
  for (const pair of (p.values.env as string[] | undefined) ?? []) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`--env "${pair}": expected NAME=VALUE`);
    env[pair.slice(0, i)] = pair.slice(i + 1);
  }
  const cwd = str(p.values.cwd);
  return withRemote(p.values, async (remote) => {
    const view = await remote.invoke('addApp', {
      name: str(p.values.name) ?? path.basename(command).slice(0, 80),
      command,
      args,
      ...(cwd !== undefined ? { cwd: path.resolve(cwd) } : {}),
      env,
      autostart: p.values.autostart === true,
      shares,
      ceilings: { cpu: null, netUp: null, netDown: null, disk: null, mem: null, ...readCeilings(p.values) },
    });
    out(`${view.definition.id}\n`); // the id alone, for scripts: id=$(interceptor apps add ...)
    return 0;
  });
}

// ───────────────────────────── caps, profile ─────────────────────────────

/** "inUse", "in-use", "in_use" → inUse. */
export function parseProfileWord(word: string, allowAuto: true): ProfileChoice;
export function parseProfileWord(word: string, allowAuto: false): ProfileName;
export function parseProfileWord(word: string, allowAuto: boolean): ProfileChoice {
  const norm = word.replace(/[-_](\w)/g, (_, c: string) => c.toUpperCase());
  const names: readonly string[] = allowAuto ? PROFILE_CHOICES : PROFILE_NAMES;
  const hit = names.find((n) => n.toLowerCase() === norm.toLowerCase());
  if (!hit) throw new UsageError(`unknown profile "${word}": one of ${names.map((n) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', ')}`);
  return hit as ProfileChoice;
}

export async function caps(argv: string[], help: (verb?: string) => number): Promise<number> {
  const verb = argv[0];
  if (verb === undefined || verb === '-h' || verb === '--help') return help();
  if (verb !== 'set' && verb !== 'show') throw new UsageError(`unknown caps command "${verb}": set or show`);
  const p = parseCommandLine(argv, { ...SHARE_OPTIONS, ...CONNECT_OPTIONS, profile: { type: 'string' } }, { positionals: 1 });
  if (p.help) return help(verb);
  const profileWord = str(p.values.profile);
  const profile = profileWord === undefined ? undefined : parseProfileWord(profileWord, false);
  const limits: Partial<OwnerLimits> = {};
  for (const r of Object.keys(FLAG_OF) as Resource[]) {
    const text = str(p.values[FLAG_OF[r]]);
    if (text === undefined) continue;
    if (verb === 'show') throw new UsageError(`caps show takes no --${FLAG_OF[r]}`);
    limits[r] = isNoCapWord(text) ? null : PARSE[r](text);
  }
  if (verb === 'set' && Object.keys(limits).length === 0) throw new UsageError('caps set: give at least one of --cpu --up --down --disk --mem (a value, or "none")');
  return withRemote(p.values, async (remote) => {
    const state = await remote.invoke('getState', {});
    const which = profile ?? state.profile;
    const result = verb === 'set' ? await remote.invoke('setOwnerLimits', { profile: which, limits }) : state.profiles[which];
    out(`Caps of the ${which} profile: ${formatLimits(result)}\n`);
    return 0;
  });
}

export async function profile(argv: string[], help: (verb?: string) => number): Promise<number> {
  const p = parseCommandLine(argv, { ...CONNECT_OPTIONS, json: { type: 'boolean' } }, { positionals: 2 });
  const verb = p.positionals[0] ?? 'show';
  if (p.help) return help(verb);
  if (verb !== 'set' && verb !== 'show') throw new UsageError(`unknown profile command "${verb}": set or show`);
  if (verb === 'show' && p.positionals.length > 1) throw new UsageError(`unexpected argument "${p.positionals[1]}"`);
  let choice: ProfileChoice | null = null;
  if (verb === 'set') {
    const word = p.positionals[1];
    if (!word) throw new UsageError('missing profile: interceptor profile set auto|in-use|idle|battery');
    choice = parseProfileWord(word, true);
  }
  return withRemote(p.values, async (remote) => {
    const state = choice ? await remote.invoke('setProfile', { profile: choice }) : await remote.invoke('getState', {});
    if (p.values.json) out(JSON.stringify({ profile: state.profile, profileChoice: state.profileChoice, power: state.power }, null, 2) + '\n');
    else out([formatProfile(state), formatPower(state)].filter(Boolean).join('\n') + '\n');
    return 0;
  });
}
