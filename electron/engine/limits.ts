// Admission control of nominal shares against the owner's caps (C1 must stay
// feasible under C2): the sum of the apps' shares S(Pi, τ) may never exceed a cap
// S(P2P, τ) of any profile, since any profile can become active at any moment.
import { CommandError } from '../common/contract.js';
import {
  CAPACITY_RESOURCES,
  PROFILE_NAMES,
  capacityLimit,
  type AppDefinition,
  type Capacities,
  type AppShares,
  type OwnerLimits,
  type PauseLease,
  type ProfileName,
} from '../common/model.js';
import { RESOURCES, formatResourceValue, type Resource } from '../common/resources.js';

export type Profiles = Record<ProfileName, OwnerLimits>;

/** Sum of the apps' nominal shares per resource. */
export function sumShares(apps: readonly { shares: AppShares }[]): AppShares {
  const total: AppShares = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 };
  for (const app of apps) for (const r of RESOURCES) total[r] += app.shares[r];
  return total;
}

const EPSILON = 1e-9;

/** First violation of Σ S(Pi, τ) ≤ S(P2P, τ), or null. */
export function findShareViolation(
  apps: readonly { shares: AppShares }[],
  profiles: Profiles,
): { resource: Resource; profile: ProfileName; sum: number; cap: number } | null {
  const total = sumShares(apps);
  for (const r of RESOURCES) {
    if (r === 'cpu' && total.cpu > 1 + EPSILON) return { resource: r, profile: 'inUse', sum: total.cpu, cap: 1 };
    for (const profile of PROFILE_NAMES) {
      const cap = profiles[profile][r];
      if (cap !== null && total[r] > cap * (1 + EPSILON) + EPSILON) return { resource: r, profile, sum: total[r], cap };
    }
  }
  return null;
}

/** Throws CommandError('sharesExceedCap') with a message a person can act on. */
export function assertSharesFit(apps: readonly { shares: AppShares }[], profiles: Profiles): void {
  const v = findShareViolation(apps, profiles);
  if (!v) return;
  const where = v.resource === 'cpu' && v.cap === 1 && profiles[v.profile].cpu !== 1 ? 'the whole machine' : `the "${v.profile}" cap`;
  throw new CommandError(
    'sharesExceedCap',
    `nominal ${v.resource} shares would sum to ${formatResourceValue(v.resource, v.sum)}, past ${where} of ${formatResourceValue(v.resource, v.cap)}; lower a share or raise the cap`,
  );
}

/**
 * A cap above a known capacity cannot be reached and is refused (CommandError
 * 'capExceedsCapacity'). A peak observed is only a lower bound of the link, so it
 * does not refuse anything.
 */
export function assertCapsWithinCapacity(limits: Partial<OwnerLimits>, capacity: Capacities): void {
  for (const r of CAPACITY_RESOURCES) {
    const cap = limits[r];
    const limit = capacityLimit(capacity[r]);
    if (cap === undefined || cap === null || limit === null || cap <= limit * (1 + EPSILON)) continue;
    const c = capacity[r];
    const what = r === 'disk' ? 'the disk' : 'the link';
    const how = c.source === 'owner' ? 'as given by the owner' : `measured: ${c.method ?? 'unknown method'}`;
    throw new CommandError(
      'capExceedsCapacity',
      `a ${r} cap of ${formatResourceValue(r, cap)} is above the capacity of ${what}, ${formatResourceValue(r, limit)} (${how}); lower the cap or set the capacity`,
    );
  }
}

/** Caps of any profile above a (new) capacity: for a warning, they cannot be reached. */
export function capsAboveCapacity(profiles: Profiles, capacity: Capacities): Array<{ profile: ProfileName; resource: Resource; cap: number; capacity: number }> {
  const out: Array<{ profile: ProfileName; resource: Resource; cap: number; capacity: number }> = [];
  for (const r of CAPACITY_RESOURCES) {
    const limit = capacityLimit(capacity[r]);
    if (limit === null) continue;
    for (const profile of PROFILE_NAMES) {
      const cap = profiles[profile][r];
      if (cap !== null && cap > limit * (1 + EPSILON)) out.push({ profile, resource: r, cap, capacity: limit });
    }
  }
  return out;
}

export function pauseActive(pause: PauseLease | null, nowMs: number): boolean {
  return pause !== null && (pause.until === null || pause.until > nowMs);
}

/** The caps in force: the active profile's, with a pause-all lease applied (nothing but memory). */
export function effectiveLimits(profiles: Profiles, profile: ProfileName, pause: PauseLease | null, nowMs: number): OwnerLimits {
  const base = { ...profiles[profile] };
  if (pauseActive(pause, nowMs)) return { ...base, cpu: 0, netUp: 0, netDown: 0, disk: 0 };
  return base;
}

/** A short, unique app id from its name ("Transmission daemon" → "transmission-daemon"). */
export function makeAppId(name: string, taken: ReadonlySet<string>): string {
  let base = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  if (!base) base = 'app';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base}-${i}`;
    if (!taken.has(id)) return id;
  }
}

export function findApp(apps: readonly AppDefinition[], id: string): AppDefinition {
  const app = apps.find((a) => a.id === id);
  if (!app) throw new CommandError('notFound', `no app with id "${id}"`);
  return app;
}
