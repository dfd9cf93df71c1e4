// The dashboard's store instance and its React hook.
import { useStore as useZustand } from 'zustand';
import { createAppStore } from './store.js';
import type { Store } from './types.js';

export const appStore = createAppStore();

export function useStore<T>(selector: (s: Store) => T): T {
  return useZustand(appStore, selector);
}
export type { Store };
