// Adopting a systemd service: an app entry with the owner's shares (the contract's addApp,
// marked with the unit), then the drop-in that runs the unit's own ExecStart under the helper,
// then systemd told. Releasing: the drop-in removed, systemd told (the unit runs as it was),
// the app entry removed. Both work through any contract surface (the CLI's remote engine, or
// the engine itself for the dashboard).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { AdoptResult, ReleaseResult } from '../../common/adopt.js';
import { CommandError, type InterceptorApi } from '../../common/contract.js';
import type { AppShares } from '../../common/model.js';
import { UnitError } from './exec-line.js';
import { buildDropIn, readDropIn, refusal, type EngineDown } from './drop-in.js';
import { reloadAndRestart, removeDropIn, writeDropIn, type SystemAccess } from './systemd.js';
import { dropInPath, readUnit, type LookupOptions, type UnitInfo } from './unit-file.js';

type Api = Pick<InterceptorApi, 'invoke'>;

export interface AdoptRequest extends LookupOptions {
  unit: string;
  shares: AppShares;
  engineDown: EngineDown;
  name?: string;
  /** The launcher's program and leading arguments (node, Interceptor's bin). */
  launcher: string[];
  stateDir: string;
}

/** A unit's %i / %I for its User= (syncthing@alice.service: User=%i → alice). */
function expandUser(user: string, unit: string): string {
  const instance = /@([^@]+)\.service$/.exec(unit)?.[1] ?? '';
  return user.replace(/%[iI]/g, instance);
}

/** A system unit's helper runs as the unit's user and connects only to an engine of that user (SO_PEERCRED). */
function checkUser(info: UnitInfo): void {
  if (info.scope !== 'system') return;
  const runsAs = info.user ? expandUser(info.user, info.name) : 'root';
  const me = os.userInfo().username;
  if (runsAs !== me && String(os.userInfo().uid) !== runsAs) {
    throw new UnitError(
      `${info.name} runs as ${runsAs}, this engine as ${me}: its helper would connect only to an engine of its own user. ` +
        `Adopt it from an engine run by ${runsAs} (e.g. \`sudo -u ${runsAs} interceptor serve\`, or as root for a unit without User=)`,
    );
  }
}

/** The app's program and arguments as the unit says (for the owner's eyes: systemd starts it, with its specifiers expanded). */
function programOf(info: UnitInfo): { command: string; args: string[] } {
  const { words, argv0 } = info.execStart[0]!;
  return { command: words[0]!, args: argv0 ? words.slice(2) : words.slice(1) };
}

/** The files are in place either way: a systemctl that fails is reported, not a failed adoption or release. */
async function tell(unit: string, access: SystemAccess): Promise<string> {
  try {
    return await reloadAndRestart(unit, access);
  } catch (error) {
    return `${(error as Error).message}; the change applies at the unit's next start`;
  }
}

export async function adoptUnit(api: Api, r: AdoptRequest, access: SystemAccess): Promise<AdoptResult> {
  const info = await readUnit(r.unit, r);
  const file = dropInPath(r.unit, r);
  if (info.ours) throw new CommandError('conflict', `${r.unit} is already adopted (${info.ours}); \`interceptor release ${r.unit}\` first`);
  const why = refusal(info);
  if (why) throw new UnitError(why);
  checkUser(info);
  const state = await api.invoke('getState', {});
  const twin = state.apps.find((a) => a.definition.systemdUnit?.name === r.unit && a.definition.systemdUnit.scope === r.scope);
  if (twin) throw new CommandError('conflict', `${r.unit} is already app ${twin.definition.id}; \`interceptor release ${r.unit}\` first`);
  const app = await api.invoke('addApp', {
    name: (r.name ?? r.unit.replace(/\.service$/, '')).slice(0, 80),
    ...programOf(info),
    autostart: false,
    shares: r.shares,
    systemdUnit: { name: r.unit, scope: r.scope },
  });
  const { text, notes } = buildDropIn(info, { appId: app.definition.id, engineDown: r.engineDown, launcher: r.launcher, stateDir: r.stateDir });
  try {
    await writeDropIn(file, text, access);
  } catch (error) {
    await api.invoke('removeApp', { id: app.definition.id }).catch(() => undefined);
    throw error;
  }
  const systemd = await tell(r.unit, access);
  return { app, dropIn: file, notes, systemd };
}

export async function releaseUnit(api: Api | null, r: LookupOptions & { unit: string }, access: SystemAccess): Promise<ReleaseResult> {
  const info = await readUnit(r.unit, r);
  if (!info.ours) throw new CommandError('notFound', `${r.unit} is not adopted (no ${dropInPath(r.unit, r)})`);
  const adoption = readDropIn(await fs.readFile(info.ours, 'utf8'));
  if (!adoption) throw new UnitError(`${info.ours} was not written by \`interceptor adopt\` (no exec-adopted line): left as it is`);
  await removeDropIn(info.ours, access);
  const systemd = await tell(r.unit, access);
  let appRemoved = false;
  if (api) {
    try {
      await api.invoke('removeApp', { id: adoption.appId });
      appRemoved = true;
    } catch (error) {
      if (error instanceof CommandError && error.code === 'notFound') appRemoved = true;
      else throw error;
    }
  }
  return { dropIn: info.ours, appId: adoption.appId, appRemoved, systemd };
}
