// Chart data for the longer ranges: a usage history from the engine's database → recharts
// rows like chartRows' (pure; unit-tested), and the x axis of each range.
import { RANGE_MS, type HistoryRange, type UsageHistory } from '../../../electron/common/history.js';
import { CAP_KEY, MAX_SERIES, OTHER_KEY, type ChartRow } from './chart.js';
import type { Resource } from './units.js';

/**
 * Rows { t, x, [appId]: mean, __other, __cap }, x in ms before the range's end, for a chart
 * drawn in steps: every bucket with figures holds for one step (a row at its end repeats it),
 * and where the next bucket has none (the engine was not running) a row of nulls at the same
 * time ends it, so a gap is drawn as one.
 */
export function usageRows(history: UsageHistory, resource: Resource, shown: ReadonlySet<string>): ChartRow[] {
  const rows = new Map<number, ChartRow>();
  const row = (t: number): ChartRow => {
    let r = rows.get(t);
    if (!r) {
      r = { t, x: t - history.to, [OTHER_KEY]: 0, [CAP_KEY]: null };
      for (const id of shown) r[id] = 0;
      rows.set(t, r);
    }
    return r;
  };
  for (const c of history.caps) row(c.t)[CAP_KEY] = c.cap[resource];
  for (const p of history.points) {
    const r = row(p.t);
    if (p.app === null) continue;
    const v = Math.max(0, p.avg[resource]);
    const key = shown.has(p.app) ? p.app : OTHER_KEY;
    r[key] = (r[key] ?? 0) + v;
  }
  const sorted = [...rows.values()].sort((a, b) => (a.t as number) - (b.t as number));
  const out: ChartRow[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    out.push(r);
    const end = (r.t as number) + history.stepMs;
    if (i + 1 < sorted.length && sorted[i + 1]!.t === end) continue;
    out.push({ ...r, t: end, x: end - history.to });
    if (i + 1 < sorted.length) out.push({ ...Object.fromEntries(Object.keys(r).map((k) => [k, null])), t: end, x: end - history.to });
  }
  return out;
}

/** The `k` apps of `appIds` that used the most of τ over the range (ties: the engine's order). */
export function busiestInHistory(history: UsageHistory | null, resource: Resource, appIds: readonly string[], k = MAX_SERIES): string[] {
  if (appIds.length <= k || !history) return appIds.slice(0, k);
  const used = new Map<string, number>(appIds.map((id) => [id, 0]));
  for (const p of history.points) if (p.app !== null && used.has(p.app)) used.set(p.app, used.get(p.app)! + Math.max(0, p.avg[resource]));
  const order = new Map(appIds.map((id, i) => [id, i]));
  return [...appIds].sort((a, b) => used.get(b)! - used.get(a)! || order.get(a)! - order.get(b)!).slice(0, k).sort((a, b) => order.get(a)! - order.get(b)!);
}

const TICK_UNIT: Record<HistoryRange, { ms: number; unit: string }> = {
  '5m': { ms: 60_000, unit: 'min' },
  '1h': { ms: 600_000, unit: 'min' },
  '24h': { ms: 4 * 3_600_000, unit: 'h' },
  '30d': { ms: 5 * 86_400_000, unit: 'd' },
};

/** Domain, ticks and tick labels of a range's x axis (x: ms before now). */
export function rangeAxis(range: HistoryRange): { domain: [number, number]; ticks: number[]; format: (x: number) => string } {
  const total = RANGE_MS[range];
  const { ms, unit } = TICK_UNIT[range];
  const per = unit === 'min' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  const ticks: number[] = [];
  for (let x = -total; x <= 0; x += ms) ticks.push(x);
  return { domain: [-total, 0], ticks, format: (x) => (x === 0 ? 'now' : `−${Math.round(-x / per)} ${unit}`) };
}
