// The bounds of an app's ceiling slider, as a pure function: never below the app's nominal share
// (the engine refuses a ceiling under it), never above the owner's loosest cap (a ceiling past
// every cap bounds nothing), the machine's maximum where some profile has no cap.
import type { OwnerLimits, ProfileName } from '../../../electron/common/model.js';
import { MACHINE_MAX } from './constraints.js';
import type { Resource } from './units.js';

export function ceilingBounds(resource: Resource, share: number, profiles: Partial<Record<ProfileName, OwnerLimits>> | null): { min: number; max: number } {
  let loosest: number | null = 0;
  for (const limits of Object.values(profiles ?? {})) {
    const cap = limits?.[resource];
    if (cap === null || cap === undefined) loosest = null;
    else if (loosest !== null) loosest = Math.max(loosest, cap);
  }
  const max = loosest === null || !profiles ? MACHINE_MAX[resource] : loosest;
  return { min: share, max: Math.max(share, max) };
}
