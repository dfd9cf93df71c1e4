// Units in the dashboard: what the owner types is read by the engine's own parser
// (electron/common/resources.ts), so a value reads and prints the same in every surface;
// here only what the dashboard says about it — a refusal in its words, the allocation lag,
// chart axes, times and durations.
import { formatResourceValue, readResourceValue, type Resource } from '../../../electron/common/resources.js';

export { MAX_BYTES, RESOURCE_LABELS, RESOURCE_UNITS, RESOURCES, UNIT_EXAMPLES, type Resource } from '../../../electron/common/resources.js';

export type Parsed = { ok: true; value: number } | { ok: false; error: string };

/**
 * What the owner typed for resource τ: "25%", "500kB/s", "2 MB/s", "1.5GB". `limit`: sizes
 * and rates above it are refused as unreadable (default 1 PB, as the engine); a field with a
 * lower limit of its own passes Infinity and says that limit itself ("At most 1 GB/s").
 */
export function parseValue(resource: Resource, input: string, limit?: number): Parsed {
  const read = readResourceValue(resource, input, limit);
  return read.ok ? read : { ok: false, error: `Type ${read.expected}.` };
}

/** A value of τ in its natural unit; null is "no cap", a missing one "–". */
export function formatValue(resource: Resource, value: number | null | undefined): string {
  return formatResourceValue(resource, value);
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
