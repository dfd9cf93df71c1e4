// Slider scales: positions 0..steps(τ) of an <input type="range"> ⇄ values of τ.
// Each position is a value of a fixed grid, so moving one notch always changes the
// value and a value read back from the engine lands on a stable position:
// CPU is linear in 0.5 % steps; byte rates and sizes are logarithmic on the nice
// numbers 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9 × 10ⁿ (position 0 is exactly 0),
// so 500 kB/s, 2 MB/s and 512 MB… are one keypress apart from their neighbours.
import { RESOURCE_UNITS, type Resource } from './units.js';
import { MACHINE_MAX } from './constraints.js';

/** Lowest non-zero value of a logarithmic scale. */
export const LOG_LOW: Record<Resource, number> = { cpu: 0, netUp: 1e4, netDown: 1e4, disk: 1e5, mem: 1e7 };
const NICE = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9];

const grids = new Map<Resource, number[]>();

export function grid(resource: Resource): readonly number[] {
  let values = grids.get(resource);
  if (values) return values;
  const high = MACHINE_MAX[resource];
  values = [0];
  if (RESOURCE_UNITS[resource] === 'fraction') {
    for (let i = 1; i <= 200; i++) values.push(i / 200);
  } else {
    for (let decade = LOG_LOW[resource]; decade <= high; decade *= 10) {
      for (const n of NICE) {
        const v = Math.round(n * decade);
        if (v <= high) values.push(v);
      }
    }
    if (values[values.length - 1] !== high) values.push(high);
  }
  grids.set(resource, values);
  return values;
}

export function steps(resource: Resource): number {
  return grid(resource).length - 1;
}

export function positionToValue(resource: Resource, position: number): number {
  const g = grid(resource);
  const p = Math.max(0, Math.min(g.length - 1, Math.round(position)));
  return g[p]!;
}

/** Nearest grid position (by ratio on logarithmic scales); values past the ends pin to them. */
export function valueToPosition(resource: Resource, value: number): number {
  const g = grid(resource);
  if (!(value > 0)) return 0;
  let lo = 0;
  let hi = g.length - 1;
  if (value >= g[hi]!) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (g[mid]! <= value) lo = mid;
    else hi = mid;
  }
  const a = g[lo]!;
  const b = g[hi]!;
  if (a === 0) return value < b / 2 ? 0 : hi;
  const linear = RESOURCE_UNITS[resource] === 'fraction';
  const closerToA = linear ? value - a <= b - value : value / a <= b / value;
  return closerToA ? lo : hi;
}

/** Largest position whose value does not exceed `max` (the reachable end of the track). */
export function maxPosition(resource: Resource, max: number): number {
  const g = grid(resource);
  let p = 0;
  while (p + 1 < g.length && g[p + 1]! <= max * (1 + 1e-9)) p++;
  return p;
}
