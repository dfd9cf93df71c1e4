// Link and disk capacity in the dashboard, as pure functions: a cap as a share of
// the capacity (the paper's S(P2P, τ) as a fraction), the slider's range, a typed
// capacity, and where a capacity came from in words. Which capacity bounds a cap is the
// engine's own rule (electron/common/capacity.ts).
import { PEAK_OBSERVED_METHOD, capacityIsLowerBound as isLowerBound, capacityLimit } from '../../../electron/common/capacity.js';
import type { Capacity } from '../../../electron/common/model.js';
import { MACHINE_MAX } from './constraints.js';
import { formatTime, formatValue, MAX_BYTES, parseValue, type Resource } from './units.js';

export { PEAK_OBSERVED_METHOD, capacityLimit, isLowerBound };

/** The cap slider's upper end: the capacity when it is known, otherwise the usual range. */
export function capSliderMax(resource: Resource, c: Capacity | undefined): number {
  return capacityLimit(c) ?? MACHINE_MAX[resource];
}

/** A cap as a fraction of the capacity, or null when either is missing. */
export function capShare(cap: number | null | undefined, c: Capacity | undefined): number | null {
  if (cap === null || cap === undefined || !c || c.bytesPerSec === null || !(c.bytesPerSec > 0)) return null;
  return cap / c.bytesPerSec;
}

/**
 * "40% of link", or "≤ 40% of link" against a lower bound (the share is at most that).
 * Null when it would mislead: no capacity, or a cap above a lower bound — an idle link's
 * peak of 3 kB/s says nothing of a 1 MB/s cap (it would read "≤ 33333% of link").
 */
export function formatCapShare(resource: Resource, cap: number | null | undefined, c: Capacity | undefined): string | null {
  const share = capShare(cap, c);
  if (share === null) return null;
  if (isLowerBound(c) && share > 1) return null;
  const pct = share * 100;
  const text = pct >= 10 ? pct.toFixed(0) : pct >= 1 ? pct.toFixed(1).replace(/\.0$/, '') : pct.toFixed(2).replace(/\.?0+$/, '') || '0';
  return `${isLowerBound(c) ? '≤ ' : ''}${text}% of ${thing(resource)}`;
}

const thing = (resource: Resource) => (resource === 'disk' ? 'disk' : 'link');

/**
 * What a resource's usage bar measures against: the cap; with no cap, the whole machine
 * for the CPU or a known link or disk capacity; otherwise nothing (null), so an uncapped
 * disk or memory is not drawn as a full bar.
 */
export function usageBarScale(resource: Resource, cap: number | null, total: number, c: Capacity | undefined): number | null {
  const against = cap ?? (resource === 'cpu' ? 1 : capacityLimit(c));
  if (against === null) return null;
  return Math.max(against, total) || 1;
}

/** What the owner typed as a capacity: a positive rate ("12.5MB/s", "100 MB/s"). */
export function parseCapacity(resource: Resource, input: string): { ok: true; value: number } | { ok: false; error: string } {
  const parsed = parseValue(resource, input, Infinity); // past MAX_BYTES, said as that limit
  if (!parsed.ok) return parsed;
  if (!(parsed.value > 0)) return { ok: false, error: 'Type a rate above zero, such as 12.5MB/s.' };
  if (parsed.value > MAX_BYTES) return { ok: false, error: `At most ${formatValue(resource, MAX_BYTES)}.` };
  return parsed;
}

/** A capacity in words: what it is called, its value, where it came from, and what to do when it is not known. */
export interface CapacityWords {
  label: string;
  /** "125 MB/s", "≥ 2.13 kB/s"; null when unknown (the label then ends in "unknown"). */
  value: string | null;
  /** "given by you", "measured: eth0 link speed 1000 Mb/s, 14:05:09", "the most seen on eth0 so far". */
  source: string | null;
  /** The action that makes the caps readable as a share, said once, when the capacity is not known. */
  action: string | null;
}

/** Said once: "Disk capacity unknown" + what to do; never "unknown (unknown)". */
export function capacityWords(resource: Resource, c: Capacity | undefined, now = Date.now()): CapacityWords {
  const what = thing(resource);
  const label = `${what === 'disk' ? 'Disk' : 'Link'} capacity`;
  if (!c || c.bytesPerSec === null || c.source === 'unknown') {
    const action = what === 'disk' ? 'Measure it, or set it, to see the cap as a share of the disk.' : "Set your link's speed to see the cap as a share of it.";
    return { label: `${label} unknown`, value: null, source: null, action };
  }
  if (isLowerBound(c)) {
    const iface = (c.method ?? '').slice(PEAK_OBSERVED_METHOD.length).replace(/^ on /, '').trim();
    return {
      label: 'Link speed',
      value: formatCapacity(resource, c),
      source: `the most seen${iface ? ` on ${iface}` : ''} so far`,
      action: 'The link may be faster: set its speed to see the cap as a share of it.',
    };
  }
  if (c.source === 'owner') return { label, value: formatCapacity(resource, c), source: 'given by you', action: null };
  const when = c.measuredAt !== null ? `, ${formatTime(c.measuredAt, now)}` : '';
  return { label, value: formatCapacity(resource, c), source: `measured: ${c.method ?? 'unknown method'}${when}`, action: null };
}

export function formatCapacity(resource: Resource, c: Capacity | undefined): string {
  return !c || c.bytesPerSec === null ? 'unknown' : `${isLowerBound(c) ? '≥ ' : ''}${formatValue(resource, c.bytesPerSec)}`;
}
