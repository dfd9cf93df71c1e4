// Selectors: each returns a primitive or an object kept stable by the slices, so
// components re-render only when what they show changed.
import type { AppView, Capacity } from '../../../electron/common/model.js';
import type { ShareEntry } from '../lib/constraints.js';
import { strictestCap } from '../lib/constraints.js';
import type { Resource } from '../lib/units.js';
import type { Store } from './types.js';

export type FigureField = 'nominal' | 'recent' | 'sinceStart' | 'lag' | 'held';

export const selectApp = (id: string) => (s: Store): AppView | undefined => s.apps[id];

/** One number of one app's latest snapshot (undefined before the first). */
export const selectFigure = (id: string, resource: Resource, field: FigureField) => (s: Store): number | undefined =>
  s.latestApps[id]?.resources[resource][field];

export const selectTotal = (resource: Resource, field: FigureField) => (s: Store): number | undefined =>
  s.latest?.total[resource][field];

/** The state shown for an app: the snapshot's (held/running change at 2 Hz) or the definition's. */
export const selectAppState = (id: string) => (s: Store) => s.latestApps[id]?.state ?? s.apps[id]?.state;

/** The profile whose caps the overview edits. */
export const selectEditProfile = (s: Store) => s.editProfile ?? s.profile;

/** The cap of τ of one profile (undefined before the state arrived). */
export const selectCap = (resource: Resource, profile?: Store['profile']) => (s: Store): number | null | undefined => {
  const p = profile ?? s.editProfile ?? s.profile;
  return s.profiles ? s.profiles[p][resource] : undefined;
};

/** The cap that bounds shares: the strictest over all profiles. */
export const selectShareCap = (resource: Resource) => (s: Store): number | null => (s.profiles ? strictestCap(resource, s.profiles) : null);

/** Apps as entries for the constraint functions (stable while the app views are). */
let lastApps: Store['apps'] | null = null;
let lastEntries: ShareEntry[] = [];
export const selectShareEntries = (s: Store): ShareEntry[] => {
  if (s.apps !== lastApps) {
    lastApps = s.apps;
    lastEntries = s.appIds.flatMap((id) => (s.apps[id] ? [{ id, shares: s.apps[id].definition.shares }] : []));
  }
  return lastEntries;
};

/** The capacity record of a byte-rate resource (undefined for cpu and mem, or before the state). */
export const selectCapacity = (resource: Resource) => (s: Store): Capacity | undefined =>
  resource === 'netUp' || resource === 'netDown' || resource === 'disk' ? s.capacity?.[resource] : undefined;
