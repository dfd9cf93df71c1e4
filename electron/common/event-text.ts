// The event log's sentences, in the owner's words: resources named as on the dashboard's
// cards (never the internal ids netUp/netDown), apps by the name the owner gave, and a
// limit hit that says who is at the limit — the P2P apps together at the owner's cap, or
// one app at a ceiling of its own. Pure functions, no Node built-ins: the engine writes
// these texts, the tests read them, and the dashboard may import them as they are.
import { capacityIsLowerBound } from './capacity.js';
import type { Capacity } from './model.js';
import { PROFILE_LABELS, type ProfileName } from './profiles.js';
import { formatBytes, formatRate, formatResourceValue, RESOURCE_LABELS, type ByteRateResource, type Resource } from './resources.js';

export { PROFILE_LABELS } from './profiles.js';

/** A resource inside a sentence: "CPU", "upload", "download", "disk", "memory". */
export function resourceWord(resource: Resource): string {
  return resource === 'cpu' ? 'CPU' : RESOURCE_LABELS[resource].toLowerCase();
}

/**
 * Who is at a limit. 'group': the P2P apps together reached the owner's cap (C2) and this
 * app waits because of it — the only kind the schedulers report today. 'app': the app
 * reached a ceiling of its own (per-app ceilings are planned, not yet enforced).
 */
export type LimitScope = 'group' | 'app';

/** What waits for credit at a limit, per resource (null: the app itself waits, or gets nothing more). */
const WAITING_CALLS: Record<Resource, string | null> = { cpu: null, netUp: 'uploads', netDown: 'downloads', disk: 'disk reads and writes', mem: null };

/** "ticker's uploads wait" / "its uploads wait" / "ticker waits for CPU time". */
function waitingText(resource: Resource, subject: string, possessive: string): string {
  const calls = WAITING_CALLS[resource];
  if (calls) return `${possessive} ${calls} wait`;
  return resource === 'mem' ? `${subject} gets no more memory` : `${subject} waits for CPU time`;
}

/** "P2P apps together are at the CPU cap; ticker waits for CPU time" / "ticker is at its own upload ceiling; its uploads wait". */
export function limitHitText(app: string, resource: Resource, scope: LimitScope = 'group'): string {
  if (scope === 'group') return `P2P apps together are at the ${resourceWord(resource)} cap; ${waitingText(resource, app, `${app}'s`)}`;
  return `${app} is at its own ${resourceWord(resource)} ceiling; ${waitingText(resource, 'it', 'its')}`;
}

/** A memory request refused: each app's memory ceiling is its share plus its part of what the cap leaves. */
export function memDeniedText(app: string, bytes: number): string {
  return `${app} was refused ${formatBytes(bytes)} more memory: it is at its memory ceiling (its share plus its part of the memory cap)`;
}

export function appStartedText(app: string, pid: number | null): string {
  return pid === null ? `${app} started` : `${app} started (pid ${pid})`;
}

/** Why a process ended, with the usual meaning of the shell's codes 126 and 127. */
export function exitText(exit: { code: number | null; signal: string | null }): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code === 127) return 'exit code 127: a command it ran was not found';
  if (exit.code === 126) return 'exit code 126: a command it ran could not be executed';
  return `exit code ${exit.code ?? 'unknown'}`;
}

export type EndKind = 'stopped' | 'exited' | 'crashed';

/** "ticker stopped (killed by SIGTERM)", "ticker exited (exit code 0)", "ticker crashed (exit code 127: …)". */
export function appEndedText(app: string, how: EndKind, exit: { code: number | null; signal: string | null }, detail = ''): string {
  const verb = how === 'crashed' ? 'stopped unexpectedly' : how;
  return `${app} ${verb} (${exitText(exit)})${detail ? `: ${detail}` : ''}`;
}

/** Most program names listed in a summary of child processes; the rest are counted. */
const MAX_NAMES = 5;

/**
 * The child processes an app started, as one line: "ticker started 12 child processes at
 * launch: python3 ×10, date, sleep". `when` is "at launch" or "in the last 10 min".
 */
export function childStartsText(app: string, counts: ReadonlyMap<string, number>, when: string): string {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  const names = sorted.slice(0, MAX_NAMES).map(([name, c]) => (c > 1 ? `${name} ×${c}` : name));
  const others = sorted.length - MAX_NAMES;
  if (others > 0) names.push(`${others} other program${others === 1 ? '' : 's'}`);
  return `${app} started ${total} child process${total === 1 ? '' : 'es'} ${when}: ${names.join(', ')}`;
}

/** A capacity as a person reads it: the link or the disk. */
function capacityName(resource: ByteRateResource): string {
  return `${RESOURCE_LABELS[resource]} capacity`;
}

export function capacitySetText(resource: ByteRateResource, bytesPerSec: number): string {
  return `${capacityName(resource)} set to ${formatRate(bytesPerSec)} by you`;
}

/** How a capacity stands, for a sentence: "125 MB/s (eth0 link speed 1000 Mb/s)", "at least 3 kB/s (the most seen…)", "unknown". */
export function capacityNowText(c: Capacity): string {
  if (c.bytesPerSec === null) return 'unknown';
  if (c.source === 'owner') return `${formatRate(c.bytesPerSec)} (given by you)`;
  if (capacityIsLowerBound(c)) return `at least ${formatRate(c.bytesPerSec)} (the most seen so far; the link may be faster)`;
  return `${formatRate(c.bytesPerSec)} (${c.method ?? 'measured'})`;
}

export function capacityForgottenText(resource: ByteRateResource, now: Capacity): string {
  return `${capacityName(resource)} you gave is forgotten; now ${capacityNowText(now)}`;
}

export function capacityMeasuredText(what: 'link' | 'disk', c: Capacity): string {
  return `${what === 'link' ? 'Link' : 'Disk'} capacity measured: ${capacityNowText(c)}`;
}

/** A cap the capacity makes unreachable. */
export function capAboveCapacityText(profile: ProfileName, resource: Resource, cap: number, capacity: number): string {
  const of = resource === 'disk' ? "the disk's capacity" : "the link's capacity";
  return `The "${PROFILE_LABELS[profile]}" ${resourceWord(resource)} cap of ${formatResourceValue(resource, cap)} is above ${of}, ${formatRate(capacity)}: it cannot be reached`;
}

export function profileInForceText(profile: ProfileName): string {
  return `The "${PROFILE_LABELS[profile]}" caps are in force`;
}
