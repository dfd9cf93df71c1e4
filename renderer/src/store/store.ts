// The one store of the dashboard, built from its slices. Engine data (apps, limits,
// usage, log, connection) is written only by the bridge; components read it through
// selectors that pick small values, so a 2 Hz snapshot re-renders only what changed.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createAppsSlice } from './apps.js';
import { createLimitsSlice } from './limits.js';
import { createUsageSlice } from './usage.js';
import { createLogSlice } from './log.js';
import { createUiSlice } from './ui.js';
import type { Store } from './types.js';

export type { Store };
export type AppStore = StoreApi<Store>;

export function createAppStore(): AppStore {
  return createStore<Store>()((...a) => ({
    ...createAppsSlice(...a),
    ...createLimitsSlice(...a),
    ...createUsageSlice(...a),
    ...createLogSlice(...a),
    ...createUiSlice(...a),
  }));
}
