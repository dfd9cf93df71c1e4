// Interceptor's drop-in for an adopted unit: "ExecStart=" (dropping the unit's line), then the
// unit's own line run through `interceptor exec-adopted`, which connects it to the engine.
// The drop-in holds no secret: the launcher reads the engine's token from its 0600 file at
// start. Settings of the unit that would stop the launcher or the helper are relaxed, each
// with a comment, and the owner is told.
import { ENGINE_DOWN, type EngineDown } from '../../common/adopt.js';
import { systemdQuote } from '../autostart/quoting.js';
import { UnitError, parseExecLine, splitWords } from './exec-line.js';
import type { UnitInfo } from './unit-file.js';

export { ENGINE_DOWN, type EngineDown };
export const LAUNCHER_VERB = 'exec-adopted';

export interface DropInOptions {
  appId: string;
  engineDown: EngineDown;
  /** The launcher's program and leading arguments: node and Interceptor's bin. */
  launcher: string[];
  /** The engine's state dir (server.json and the token file). */
  stateDir: string;
}

const yes = (v: string | null) => v !== null && /^(1|yes|true|on)$/i.test(v);

/** Why a unit cannot be adopted as it is (null: it can). */
export function refusal(unit: UnitInfo): string | null {
  const n = unit.execStart.length;
  if (n === 0) return `${unit.name} has no ExecStart (nothing to run under the helper)`;
  if (unit.type === 'forking' || unit.type === 'oneshot') {
    return `${unit.name} is Type=${unit.type}: adopt wraps a daemon that stays in the foreground (Type=simple, exec or notify)`;
  }
  if (n > 1) return `${unit.name} has ${n} ExecStart lines; adopt wraps exactly one`;
  if (yes(unit.service.get('DynamicUser')?.at(-1) ?? null)) return `${unit.name} uses DynamicUser=: its helper could not reach an engine of a known user`;
  return null;
}

export function buildDropIn(unit: UnitInfo, o: DropInOptions): { text: string; notes: string[] } {
  const why = refusal(unit);
  if (why) throw new UnitError(why);
  const line = unit.execStart[0]!;
  const notes: string[] = [];
  const last = (k: string) => unit.service.get(k)?.at(-1) ?? null;
  const extra: string[] = [];
  const relax = (setting: string, because: string) => {
    extra.push(`# ${because}`, setting);
    notes.push(`${setting}: ${because}`);
  };
  if ((unit.service.get('SystemCallFilter') ?? []).length > 0) relax('SystemCallFilter=', 'the helper needs ptrace and seccomp, which the unit\'s system-call filter may forbid');
  if (yes(last('MemoryDenyWriteExecute'))) relax('MemoryDenyWriteExecute=no', 'the launcher is Node.js, whose JIT needs writable-executable memory');
  if (yes(last('PrivateTmp'))) relax('PrivateTmp=no', "the engine's control socket may lie in /tmp");
  const home = last('ProtectHome');
  if (home !== null && (yes(home) || home === 'tmpfs')) relax('ProtectHome=read-only', "the launcher reads the engine's token and reaches its socket under the home or /run/user");
  if ((unit.service.get('RestrictAddressFamilies') ?? []).length > 0) relax('RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', 'the launcher talks to the engine on 127.0.0.1 and the helper over a Unix socket');
  if (/^notify/.test(unit.type) && last('NotifyAccess') !== 'all') {
    relax('NotifyAccess=all', "the daemon's readiness notice now comes from a child of the launcher, not the main process");
  }
  if (o.engineDown === 'hold' && unit.type !== 'simple' && unit.type !== 'exec') {
    relax('TimeoutStartSec=infinity', 'held until the engine runs, the start must not time out');
  }
  if (yes(last('PrivateNetwork')) || (unit.service.get('IPAddressDeny') ?? []).length > 0) {
    notes.push(`${unit.name} has its own network (PrivateNetwork= or IPAddressDeny=): the launcher cannot reach the engine there, so the service always starts as if the engine were down (${o.engineDown})`);
  }
  let command = line.raw;
  if (line.argv0) {
    // "@": the second word was argv[0]; the helper runs the program under its own name
    command = [line.words[0]!, ...line.words.slice(2)].map(quoteKeepingSpecifiers).join(' ');
    notes.push(`${unit.name}'s ExecStart sets argv[0] ("@"): under the helper the program keeps its own name`);
  }
  const prefixes = line.prefixes.replace('@', '');
  const launcher = [...o.launcher, LAUNCHER_VERB, '--app', o.appId, '--unit', unit.name, '--engine-down', o.engineDown, '--state-dir', o.stateDir, '--'];
  const text = [
    `# Written by \`interceptor adopt\`: ${unit.name} runs under Interceptor's caps as app ${o.appId}.`,
    `# \`interceptor release ${unit.name}\` removes this file. No secret here: the launcher reads the`,
    `# engine's token from ${o.stateDir}/token (mode 0600) when the service starts.`,
    `# While no engine answers the service ${o.engineDown === 'run' ? 'starts uncapped' : 'waits for the engine, then starts capped'} (--engine-down ${o.engineDown}).`,
    `# The unit's own line (${unit.fragment}${unit.dropIns.length ? ` and its drop-ins` : ''}):`,
    `#   ExecStart=${line.prefixes}${line.raw}`,
    '[Service]',
    'ExecStart=',
    `ExecStart=${prefixes}${launcher.map(systemdQuote).join(' ')} ${command}`,
    ...extra,
    '',
  ].join('\n');
  return { text, notes };
}

/** Quotes a word for an Exec line but leaves % and $ alone: they were the unit's own specifiers and variables. */
function quoteKeepingSpecifiers(word: string): string {
  return /^[^\s"'\\]+$/.test(word) ? word : `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface Adoption {
  appId: string;
  engineDown: EngineDown;
}

/** The app id and mode from Interceptor's drop-in text; null if it is not one of ours. */
export function readDropIn(text: string): Adoption | null {
  const lines = text.split('\n').filter((l) => l.startsWith('ExecStart=') && l.length > 'ExecStart='.length);
  const line = lines.at(-1);
  if (!line) return null;
  const words = splitWords(parseExecLine(line.slice('ExecStart='.length)).raw);
  const verb = words.indexOf(LAUNCHER_VERB);
  if (verb < 0) return null;
  const opt = (name: string) => {
    const i = words.indexOf(name, verb);
    return i > 0 ? (words[i + 1] ?? null) : null;
  };
  const appId = opt('--app');
  const mode = opt('--engine-down');
  if (!appId || !(ENGINE_DOWN as readonly string[]).includes(mode ?? '')) return null;
  return { appId, engineDown: mode as EngineDown };
}
