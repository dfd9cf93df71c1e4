// Chart data: snapshots → recharts rows for one resource (pure; unit-tested).
import type { Snapshot } from '../../../electron/common/model.js';
import { HISTORY_MS } from '../store/usage.js';
import type { Resource } from './units.js';

export const MAX_POINTS = 150; // one point per 2 s over five minutes: smooth, and light enough for 20 apps × 5 charts
export const CAP_KEY = '__cap';
/** The apps beyond the busiest ones, summed into one grey band. */
export const OTHER_KEY = '__other';
/** Apps drawn as their own band; more would be unreadable (and slow to draw at 2 Hz). */
export const MAX_SERIES = 8;

export type ChartRow = Record<string, number | null>;

/**
 * Rows for recharts: { t, x, [appId]: recent, __cap } (pure; unit-tested). Snapshots are
 * thinned by time buckets (the last of each bucket is kept), so the kept points do not
 * shift from one update to the next.
 */
export function chartRows(history: readonly Snapshot[], resource: Resource, maxPoints = MAX_POINTS, shown?: ReadonlySet<string>): ChartRow[] {
  const bucketMs = HISTORY_MS / maxPoints;
  const rows: ChartRow[] = [];
  // x: ms before the newest snapshot (≤ 0), so the axis itself never changes.
  const end = history.length ? history[history.length - 1]!.t : 0;
  for (let i = 0; i < history.length; i++) {
    const snap = history[i]!;
    const next = history[i + 1];
    if (next && Math.floor(next.t / bucketMs) === Math.floor(snap.t / bucketMs)) continue;
    const row: ChartRow = { t: snap.t, x: snap.t - end, [CAP_KEY]: snap.limits[resource] };
    let other = 0;
    for (const app of snap.apps) {
      const v = Math.max(0, app.resources[resource].recent);
      if (!shown || shown.has(app.id)) row[app.id] = v;
      else other += v;
    }
    if (shown) row[OTHER_KEY] = other;
    rows.push(row);
  }
  return rows;
}


/** The smallest "nice" number (1, 2, 2.5, 5 × 10ⁿ) at or above v, so an axis does not twitch. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 0;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const n of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (n * magnitude >= v * (1 - 1e-12)) return n * magnitude;
  return 10 * magnitude;
}

/** The `k` apps that used the most of τ over the history (ties: the engine's order). */
export function busiestApps(history: readonly Snapshot[], resource: Resource, appIds: readonly string[], k = MAX_SERIES): string[] {
  if (appIds.length <= k) return [...appIds];
  const used = new Map<string, number>(appIds.map((id) => [id, 0]));
  for (const snap of history) for (const app of snap.apps) if (used.has(app.id)) used.set(app.id, used.get(app.id)! + Math.max(0, app.resources[resource].recent));
  const order = new Map(appIds.map((id, i) => [id, i]));
  return [...appIds].sort((a, b) => used.get(b)! - used.get(a)! || order.get(a)! - order.get(b)!).slice(0, k).sort((a, b) => order.get(a)! - order.get(b)!);
}

/** An axis from 0 to at least `max` in 3–5 round steps (1, 2, 2.5, 5 × 10ⁿ): { top, ticks }. */
export function niceTicks(max: number): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((n) => n * magnitude).find((s) => s >= rough * (1 - 1e-12))!;
  const count = Math.max(1, Math.ceil(max / step - 1e-9));
  const ticks = Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { top: ticks[ticks.length - 1]!, ticks };
}
