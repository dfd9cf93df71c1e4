// The slider constraints, as pure functions: an app's nominal share can never be
// moved past what the owner's cap leaves once every other app has its share, and a
// cap can never be lowered below the shares already promised. The engine enforces
// the same rule (error "sharesExceedCap"); this keeps the UI from offering it.
import type { AppShares, OwnerLimits, ProfileName } from '../../../electron/common/model.js';
import { RESOURCE_UNITS, type Resource } from './units.js';

/** What a slider offers when there is no cap: the whole machine for the CPU, a large value otherwise. */
export const MACHINE_MAX: Record<Resource, number> = {
  cpu: 1,
  netUp: 1e9, // 1 GB/s
  netDown: 1e9,
  disk: 2e9, // 2 GB/s
  mem: 64e9, // 64 GB
};

/** Below this everything is noise: float sums of fractions must not block a slider by 1e-17. */
const EPSILON: Record<Resource, number> = { cpu: 1e-9, netUp: 0.5, netDown: 0.5, disk: 0.5, mem: 0.5 };

export interface ShareEntry {
  id: string;
  shares: AppShares;
}

/** The strictest cap of τ over every profile (shares must fit under each); null = no cap anywhere. */
export function strictestCap(resource: Resource, profiles: Partial<Record<ProfileName, OwnerLimits>>): number | null {
  let cap: number | null = null;
  for (const limits of Object.values(profiles)) {
    const value = limits?.[resource];
    if (value !== null && value !== undefined && (cap === null || value < cap)) cap = value;
  }
  return cap;
}

export function sumShares(resource: Resource, apps: readonly ShareEntry[], exceptId?: string): number {
  let sum = 0;
  for (const app of apps) if (app.id !== exceptId) sum += app.shares[resource];
  return sum;
}

/**
 * Largest nominal share app `appId` may take for τ: cap − Σ other apps' shares,
 * never below 0, never above the machine (cpu ≤ 1). With no cap: the machine maximum.
 * For a new app pass an id that is not in `apps`.
 */
export function maxShare(resource: Resource, cap: number | null, apps: readonly ShareEntry[], appId: string): number {
  const ceiling = cap === null ? MACHINE_MAX[resource] : Math.min(cap, RESOURCE_UNITS[resource] === 'fraction' ? 1 : Infinity);
  const left = ceiling - sumShares(resource, apps, appId);
  if (left <= EPSILON[resource]) return 0;
  return RESOURCE_UNITS[resource] === 'fraction' ? left : Math.floor(left);
}

/** Clamp a wanted share into [0, maxShare]. */
export function clampShare(resource: Resource, wanted: number, cap: number | null, apps: readonly ShareEntry[], appId: string): number {
  if (!Number.isFinite(wanted) || wanted < 0) return 0;
  return Math.min(wanted, maxShare(resource, cap, apps, appId));
}

/** Smallest cap the owner may set for τ: the shares already promised (C1 must stay satisfiable). */
export function minCap(resource: Resource, apps: readonly ShareEntry[]): number {
  return sumShares(resource, apps);
}

/** Clamp a wanted cap into [Σ shares, machine]; null (no cap) is always allowed. */
export function clampCap(resource: Resource, wanted: number | null, apps: readonly ShareEntry[]): number | null {
  if (wanted === null) return null;
  const low = minCap(resource, apps);
  const high = RESOURCE_UNITS[resource] === 'fraction' ? 1 : Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(wanted)) return high;
  return Math.min(high, Math.max(low, wanted));
}

/** Why a typed share is refused, or null if it fits. Messages name the numbers involved. */
export function checkShare(resource: Resource, wanted: number, cap: number | null, apps: readonly ShareEntry[], appId: string): string | null {
  const max = maxShare(resource, cap, apps, appId);
  if (wanted <= max + EPSILON[resource]) return null;
  return cap === null ? 'above what this machine offers' : 'above what the cap leaves';
}
