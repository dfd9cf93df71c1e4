import type { StateCreator } from 'zustand/vanilla';
import type { AppsSlice } from './apps.js';
import type { LimitsSlice } from './limits.js';
import type { UsageSlice } from './usage.js';
import type { LogSlice } from './log.js';
import type { UiSlice } from './ui.js';

export type Store = AppsSlice & LimitsSlice & UsageSlice & LogSlice & UiSlice;
export type Slice<T> = StateCreator<Store, [], [], T>;

/** Keep the old object when the new one has the same content, so selectors see no change. */
export function keepIfEqual<T>(old: T | undefined, next: T): T {
  if (old === undefined) return next;
  return JSON.stringify(old) === JSON.stringify(next) ? old : next;
}
