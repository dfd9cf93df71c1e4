// Units of the dashboard: the small subset of electron/common/resources.ts the
// renderer needs at run time (lint forbids runtime imports from electron/). Keep in
// step with resources.ts; the unit tests check both agree.
import type { Resource } from '../../../electron/common/resources.js';

export const RESOURCES = ['cpu', 'netUp', 'netDown', 'disk', 'mem'] as const satisfies readonly Resource[];
export type { Resource };

export const RESOURCE_LABELS: Record<Resource, string> = {
  cpu: 'CPU',
  netUp: 'Upload',
  netDown: 'Download',
  disk: 'Disk',
  mem: 'Memory',
};

export type UnitKind = 'fraction' | 'bytesPerSecond' | 'bytes';
export const RESOURCE_UNITS: Record<Resource, UnitKind> = {
  cpu: 'fraction',
  netUp: 'bytesPerSecond',
  netDown: 'bytesPerSecond',
  disk: 'bytesPerSecond',
  mem: 'bytes',
};

/** Placeholder shown in a value field, as the owner would type it. */
export const UNIT_EXAMPLES: Record<UnitKind, string> = { fraction: '25%', bytesPerSecond: '2MB/s', bytes: '512MB' };

export const MAX_BYTES = 1e15;
const MULTIPLIERS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4,
};

export type Parsed = { ok: true; value: number } | { ok: false; error: string };

/**
 * Parse what the owner typed for resource τ: "25%", "500kB/s", "2 MB/s", "1.5GB". A size
 * or rate is not bounded here: each caller refuses what is past its own limit and says
 * that limit ("At most 1 GB/s"), not the arithmetic one of 1 PB.
 */
export function parseValue(resource: Resource, input: string): Parsed {
  const text = input.trim();
  if (RESOURCE_UNITS[resource] === 'fraction') {
    const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text);
    const value = m ? Number(m[1]) / 100 : NaN;
    if (!m || !(value >= 0 && value <= 1)) return { ok: false, error: 'Type a percentage between 0% and 100%, such as 25%.' };
    return { ok: true, value };
  }
  const rate = RESOURCE_UNITS[resource] === 'bytesPerSecond';
  const bits = rate ? parseBitRate(text) : null;
  if (bits !== null) return bits <= MAX_BYTES ? { ok: true, value: bits } : { ok: false, error: 'Type a rate such as 500kB/s or 2MB/s (below 1 PB/s).' };
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(rate ? text.replace(/\s*(\/s|ps)$/i, '') : text);
  const mult = m ? MULTIPLIERS[m[2]!.toLowerCase()] : undefined;
  const example = rate ? 'a rate such as 500kB/s or 2MB/s' : 'a size such as 512MB or 2GB';
  if (!m || mult === undefined) return { ok: false, error: `Type ${example}.` };
  const value = Math.round(Number(m[1]) * mult);
  if (!Number.isFinite(value)) return { ok: false, error: `Type ${example}.` };
  return { ok: true, value };
}

const BIT_PREFIXES: Record<string, number> = { '': 1, k: 1e3, ki: 1024, m: 1e6, mi: 1024 ** 2, g: 1e9, gi: 1024 ** 3, t: 1e12, ti: 1024 ** 4 };

/** "100Mbit", "100Mbit/s", "512 kbit", "20Mbps" → bytes per second; null when no bit unit is named (as resources.ts parseBitRate). */
function parseBitRate(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?bits?(?:\/s|ps)?$/i.exec(text) ?? /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?)?bps$/.exec(text);
  return m ? Math.round((Number(m[1]) * BIT_PREFIXES[(m[2] ?? '').toLowerCase()]!) / 8) : null;
}

function trim(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, '');
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1e12) return `${trim(bytes / 1e12)} TB`;
  if (abs >= 1e9) return `${trim(bytes / 1e9)} GB`;
  if (abs >= 1e6) return `${trim(bytes / 1e6)} MB`;
  if (abs >= 1e3) return `${trim(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}

/** A value of τ in its natural unit; null is "no cap". */
export function formatValue(resource: Resource, value: number | null | undefined): string {
  if (value === null) return 'no cap';
  if (value === undefined || !Number.isFinite(value)) return '–';
  switch (RESOURCE_UNITS[resource]) {
    case 'fraction':
      return `${trim(Math.max(0, value) * 100)}%`;
    case 'bytesPerSecond':
      return `${formatBytes(Math.max(0, value))}/s`;
    case 'bytes':
      return formatBytes(Math.max(0, value));
  }
}

/**
 * The allocation lag R − S (received since start minus the nominal share) in an owner's
 * words. Negative while calls wait for credit: the app is "owed" that much and catches up;
 * negative without waiting: it needed less, the rest is "unused"; positive: it is "ahead",
 * having used capacity the others left. Memory is a level, not a flow: over or under share.
 */
export function lagWords(resource: Resource, lag: number | undefined, waiting: boolean): { text: string; tone: 'owed' | 'ahead' | 'even' | 'unused' } {
  if (lag === undefined || !Number.isFinite(lag)) return { text: '–', tone: 'even' };
  const amount = formatValue(resource, Math.abs(lag));
  if (/^0(\s|%|$)/.test(amount)) return { text: 'on share', tone: 'even' };
  if (resource === 'mem') return lag > 0 ? { text: `${amount} over share`, tone: 'ahead' } : { text: `${amount} under share`, tone: 'unused' };
  if (lag > 0) return { text: `${amount} ahead`, tone: 'ahead' };
  return waiting ? { text: `owed ${amount}`, tone: 'owed' } : { text: `${amount} unused`, tone: 'unused' };
}

/** What lagWords' words mean, with the paper's term: shown as a tooltip. */
export const LAG_TOOLTIP =
  'Allocation lag (the paper\'s term): what the app received since it started minus its nominal share. Owed: it waited for credit and will catch up. Unused: it needed less than its share. Ahead: it used capacity the other apps left.';

/** Compact value for a chart axis. */
export function formatAxis(resource: Resource, value: number): string {
  return formatValue(resource, value).replace(/\.\d+/, (d) => (d.length > 2 ? d.slice(0, 2) : d));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "14:05:09", with the day in front when it is not today: "Nov 21 14:05:09". */
export function formatTime(t: number, now = Date.now()): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString() ? time : `${MONTHS[d.getMonth()]} ${d.getDate()} ${time}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}
