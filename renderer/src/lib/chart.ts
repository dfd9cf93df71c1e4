// Chart data: snapshots → recharts rows for one resource (pure; unit-tested).
import type { Snapshot } from '../../../electron/common/model.js';
import { HISTORY_MS } from '../store/usage.js';
import type { Resource } from './units.js';

export const MAX_POINTS = 300; // one point per second over five minutes
export const CAP_KEY = '__cap';

export type ChartRow = Record<string, number | null>;

/**
 * Rows for recharts: { t, [appId]: recent, __cap } (pure; unit-tested). Snapshots are
 * thinned by time buckets (the last of each bucket is kept), so the kept points do not
 * shift from one update to the next.
 */
export function chartRows(history: readonly Snapshot[], resource: Resource, maxPoints = MAX_POINTS): ChartRow[] {
  const bucketMs = HISTORY_MS / maxPoints;
  const rows: ChartRow[] = [];
  for (let i = 0; i < history.length; i++) {
    const snap = history[i]!;
    const next = history[i + 1];
    if (next && Math.floor(next.t / bucketMs) === Math.floor(snap.t / bucketMs)) continue;
    const row: ChartRow = { t: snap.t, [CAP_KEY]: snap.limits[resource] };
    for (const app of snap.apps) row[app.id] = Math.max(0, app.resources[resource].recent);
    rows.push(row);
  }
  return rows;
}

