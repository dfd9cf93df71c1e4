// Apps: the definition and lifecycle state of each app, in the engine's order.
// Written by the bridge from FullState, command results and removals.
import type { AppView } from '../../../electron/common/model.js';
import { keepIfEqual, type Slice } from './types.js';

export interface AppsSlice {
  apps: Record<string, AppView>;
  appIds: string[];
  setApps(views: AppView[]): void;
  upsertApp(view: AppView): void;
  dropApp(id: string): void;
}

export const createAppsSlice: Slice<AppsSlice> = (set) => ({
  apps: {},
  appIds: [],
  setApps(views) {
    set((s) => {
      const apps: Record<string, AppView> = {};
      let changed = views.length !== s.appIds.length;
      for (const view of views) {
        const id = view.definition.id;
        const kept = keepIfEqual(s.apps[id], view);
        apps[id] = kept;
        if (kept !== s.apps[id]) changed = true;
      }
      const ids = views.map((v) => v.definition.id);
      const sameIds = ids.length === s.appIds.length && ids.every((id, i) => id === s.appIds[i]);
      if (!changed && sameIds) return {};
      return { apps, appIds: sameIds ? s.appIds : ids };
    });
  },
  upsertApp(view) {
    set((s) => {
      const id = view.definition.id;
      const kept = keepIfEqual(s.apps[id], view);
      if (kept === s.apps[id]) return {};
      return { apps: { ...s.apps, [id]: kept }, appIds: s.appIds.includes(id) ? s.appIds : [...s.appIds, id] };
    });
  },
  dropApp(id) {
    set((s) => {
      if (!s.apps[id]) return {};
      const apps = { ...s.apps };
      delete apps[id];
      return { apps, appIds: s.appIds.filter((x) => x !== id) };
    });
  },
});
