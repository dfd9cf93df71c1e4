// Link and disk capacity in the dashboard, as pure functions: a cap as a share of
// the capacity (the paper's S(P2P, τ) as a fraction), the slider's range, a typed
// capacity, and where a capacity came from in words. Mirrors capacityLimit() of
// electron/common/model.ts (the renderer may import only types from there).
import type { Capacity } from '../../../electron/common/model.js';
import { MACHINE_MAX } from './constraints.js';
import { formatTime, formatValue, parseValue, type Resource } from './units.js';

/** Same prefix as PEAK_OBSERVED_METHOD of the model: such a capacity is a lower bound only. */
export const PEAK_OBSERVED_METHOD = 'peak observed';

export function isLowerBound(c: Capacity | undefined): boolean {
  return !!c && c.source === 'measured' && (c.method ?? '').startsWith(PEAK_OBSERVED_METHOD);
}

/** The capacity a cap may not exceed, or null (unknown, or only a lower bound). */
export function capacityLimit(c: Capacity | undefined): number | null {
  if (!c || c.bytesPerSec === null || isLowerBound(c)) return null;
  return c.bytesPerSec;
}

/** The cap slider's upper end: the capacity when it is known, otherwise the usual range. */
export function capSliderMax(resource: Resource, c: Capacity | undefined): number {
  return capacityLimit(c) ?? MACHINE_MAX[resource];
}

/** A cap as a fraction of the capacity, or null when either is missing. */
export function capShare(cap: number | null | undefined, c: Capacity | undefined): number | null {
  if (cap === null || cap === undefined || !c || c.bytesPerSec === null || !(c.bytesPerSec > 0)) return null;
  return cap / c.bytesPerSec;
}

/** "40% of link" / "≤ 40% of link" (a lower bound makes the share an upper estimate). */
export function formatCapShare(resource: Resource, cap: number | null | undefined, c: Capacity | undefined): string | null {
  const share = capShare(cap, c);
  if (share === null) return null;
  const pct = share * 100;
  const text = pct >= 10 ? pct.toFixed(0) : pct >= 1 ? pct.toFixed(1).replace(/\.0$/, '') : pct.toFixed(2).replace(/\.?0+$/, '') || '0';
  return `${isLowerBound(c) ? '≤ ' : ''}${text}% of ${resource === 'disk' ? 'disk' : 'link'}`;
}

/** What the owner typed as a capacity: a positive rate ("12.5MB/s", "100 MB/s"). */
export function parseCapacity(resource: Resource, input: string): { ok: true; value: number } | { ok: false; error: string } {
  const parsed = parseValue(resource, input);
  if (!parsed.ok) return parsed;
  if (!(parsed.value > 0)) return { ok: false, error: 'Type a rate above zero, such as 12.5MB/s.' };
  return parsed;
}

/** Where the capacity came from: "given by you", "measured: eth0 link speed 1000 Mb/s, 14:05:09", "unknown". */
export function describeCapacity(c: Capacity | undefined, now = Date.now()): string {
  if (!c || c.source === 'unknown') return 'unknown';
  if (c.source === 'owner') return 'given by you';
  const when = c.measuredAt !== null ? `, ${formatTime(c.measuredAt, now)}` : '';
  return `measured: ${c.method ?? 'unknown method'}${when}`;
}

export function formatCapacity(resource: Resource, c: Capacity | undefined): string {
  return !c || c.bytesPerSec === null ? 'unknown' : `${isLowerBound(c) ? '≥ ' : ''}${formatValue(resource, c.bytesPerSec)}`;
}
