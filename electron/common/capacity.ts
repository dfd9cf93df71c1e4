// The capacity of a byte-rate resource — the link's speed for netUp and netDown, the disk's
// sequential throughput for disk — and which capacity bounds a cap. Pure (the dashboard
// imports it as it is); the schema of a Capacity is in ./model.ts.
import type { Capacities, Capacity } from './model.js';

export const CAPACITY_SOURCES = ['owner', 'measured', 'unknown'] as const;
export type CapacitySource = (typeof CAPACITY_SOURCES)[number];
/** `method` of a network capacity that is only the highest rate seen: a lower bound, not a limit. */
export const PEAK_OBSERVED_METHOD = 'peak observed';
export const MAX_CAPACITY_METHOD = 200;

export const UNKNOWN_CAPACITY: Capacity = { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null };
export function unknownCapacities(): Capacities {
  return { netUp: { ...UNKNOWN_CAPACITY }, netDown: { ...UNKNOWN_CAPACITY }, disk: { ...UNKNOWN_CAPACITY } };
}

/** A peak observed is a lower bound of the capacity: caps above it are allowed. */
export function capacityIsLowerBound(c: Capacity | undefined): boolean {
  return !!c && c.source === 'measured' && (c.method ?? '').startsWith(PEAK_OBSERVED_METHOD);
}

/** The capacity a cap may not exceed, or null when there is none known (unknown, or only a lower bound). */
export function capacityLimit(c: Capacity | undefined): number | null {
  if (!c || c.bytesPerSec === null || capacityIsLowerBound(c)) return null;
  return c.bytesPerSec;
}
