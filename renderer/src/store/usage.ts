// Usage history: the snapshots of the last five minutes (2 Hz → ~600), and the
// latest figures per app by id. Written by the bridge from getHistory and the
// snapshot event.
import type { AppSnapshot, Snapshot } from '../../../electron/common/model.js';
import type { Slice } from './types.js';

export const HISTORY_MS = 5 * 60 * 1000;
const MAX_SNAPSHOTS = 3000; // even at 10 Hz

export interface UsageSlice {
  history: Snapshot[];
  latest: Snapshot | null;
  latestApps: Record<string, AppSnapshot>;
  setHistory(snapshots: Snapshot[]): void;
  addSnapshot(snapshot: Snapshot): void;
}

function trim(history: Snapshot[], now: number): Snapshot[] {
  let start = 0;
  while (start < history.length && history[start]!.t < now - HISTORY_MS) start++;
  if (history.length - start > MAX_SNAPSHOTS) start = history.length - MAX_SNAPSHOTS;
  return start > 0 ? history.slice(start) : history;
}

function byId(snapshot: Snapshot | null): Record<string, AppSnapshot> {
  const out: Record<string, AppSnapshot> = {};
  if (snapshot) for (const app of snapshot.apps) out[app.id] = app;
  return out;
}

export const createUsageSlice: Slice<UsageSlice> = (set) => ({
  history: [],
  latest: null,
  latestApps: {},
  setHistory(snapshots) {
    set((s) => {
      // Keep snapshots that arrived as events while the history was being fetched.
      const sorted = [...snapshots].sort((a, b) => a.t - b.t);
      const lastT = sorted.length ? sorted[sorted.length - 1]!.t : -Infinity;
      const merged = sorted.concat(s.history.filter((x) => x.t > lastT));
      const latest = merged.length ? merged[merged.length - 1]! : null;
      return { history: latest ? trim(merged, latest.t) : [], latest, latestApps: byId(latest) };
    });
  },
  addSnapshot(snapshot) {
    set((s) => {
      if (s.latest && snapshot.t <= s.latest.t) return {}; // duplicate or out of order
      const history = trim([...s.history, snapshot], snapshot.t);
      return { history, latest: snapshot, latestApps: byId(snapshot) };
    });
  },
});
