// Per-app ceilings: beside its nominal share S(Pi, τ) (the least it receives while it asks), an
// app may have an upper bound per resource, in the same unit. PNS with upper bounds: an app never
// receives more than its ceiling, and what it leaves goes to the others. Pure (the dashboard
// imports it); the schema is model.ts's AppCeilingsSchema.
import { RESOURCES, formatResourceValue, type Resource } from './resources.js';

/** An app's ceiling per resource (schema: model.ts AppCeilingsSchema); null = none. */
export type Ceilings = Record<Resource, number | null>;

export const NO_CEILINGS: Ceilings = { cpu: null, netUp: null, netDown: null, disk: null, mem: null };

/**
 * A ceiling below the nominal share contradicts it (a guarantee above a bound): the first such
 * resource as an error that names the field, or null.
 */
export function ceilingConflict(shares: Record<Resource, number>, ceilings: Ceilings): string | null {
  for (const r of RESOURCES) {
    const c = ceilings[r];
    if (c !== null && c + 1e-12 < shares[r]) {
      return `ceilings.${r}: ${formatResourceValue(r, c)} is below the nominal share ${formatResourceValue(r, shares[r])}; raise the ceiling or lower the share`;
    }
  }
  return null;
}
