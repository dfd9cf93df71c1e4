// Usage in the database: one-second rows written in batches, rolled up into minutes, hours
// and days (each tier's watermark `upto` says what it holds, in the same transaction as the
// rows, so a kill -9 between two rollups neither loses nor counts twice), old rows dropped,
// and a range read back as buckets of one step across the tiers.
import { RANGE_MS, RANGE_STEP_MS, type CapPoint, type HistoryRange, type UsagePoint } from '../../common/history.js';
import { RESOURCES, type Resource } from '../../common/resources.js';
import type { Db } from './sqlite.js';
import { CAPS_KEY, EVENTS_KEEP_MS, ROLLUP_SELECT, TIERS, TOTAL_KEY, VALUE_COLUMNS } from './schema.js';

/** One second of one app (or of the total, or the caps: null = no cap). */
export interface SecondRow {
  t: number;
  app: string;
  values: Record<Resource, number | null>;
}

/** A finished second is rolled up this long after it ended: its row may still be in the writer's batch. */
const GRACE_MS = 5_000;

/** The finest tier a range is read from. */
const RANGE_TIER: Record<HistoryRange, number> = { '5m': 0, '1h': 0, '24h': 1, '30d': 2 };

type Row = { b: number; app: string; n: number; [column: string]: number | string | null };
const num = (r: Row, column: string): number | null => {
  const v = r[column];
  return typeof v === 'number' ? v : null;
};

export class UsageStore {
  private readonly insert;
  private readonly getUpto;
  private readonly setUpto;

  constructor(
    private readonly db: Db,
    /** Shorter retention, for tests. */
    private readonly keepMs: readonly number[] = TIERS.map((t) => t.keepMs),
  ) {
    const cols = ['t', 'app', 'n', ...VALUE_COLUMNS];
    this.insert = db.prepare(`INSERT OR REPLACE INTO usage_s (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    this.getUpto = db.prepare('SELECT upto FROM rollup WHERE tier = ?');
    this.setUpto = db.prepare('INSERT OR REPLACE INTO rollup (tier, upto) VALUES (?, ?)');
  }

  /** Writes seconds (call inside the caller's transaction). */
  write(rows: Iterable<SecondRow>): void {
    for (const r of rows) this.insert.run(r.t, r.app, 1, ...RESOURCES.flatMap((res) => [r.values[res], r.values[res]]));
  }

  /** What tier `i` (≥ 1) holds: every finer row before this time is in it. */
  upto(i: number): number {
    return (this.getUpto.get(TIERS[i]!.table) as { upto: number } | undefined)?.upto ?? 0;
  }

  /** Rolls every finished bucket up one tier at a time, then drops what is past its retention. One transaction. */
  rollup(now: number): void {
    this.db.transaction(() => {
      let ready = now - GRACE_MS;
      for (let i = 1; i < TIERS.length; i++) {
        const { table, stepMs } = TIERS[i]!;
        const from = this.upto(i);
        const to = Math.floor(ready / stepMs) * stepMs;
        if (to > from) {
          this.db
            .prepare(
              `INSERT OR REPLACE INTO ${table} (t, app, n, ${VALUE_COLUMNS.join(', ')})
               SELECT (t / ${stepMs}) * ${stepMs} AS b, app, SUM(n), ${VALUE_COLUMNS.map((c) => (c.endsWith('_max') ? `MAX(${c})` : `SUM(${c})`)).join(', ')}
               FROM ${TIERS[i - 1]!.table} WHERE t >= ? AND t < ? GROUP BY b, app`,
            )
            .run(from, to);
          this.setUpto.run(table, to);
        }
        ready = Math.max(from, to);
      }
      for (let i = 0; i < TIERS.length; i++) {
        // a row goes only once the next tier holds it
        const limit = Math.min(now - this.keepMs[i]!, i + 1 < TIERS.length ? this.upto(i + 1) : Infinity);
        this.db.prepare(`DELETE FROM ${TIERS[i]!.table} WHERE t < ?`).run(limit);
      }
      this.db.prepare('DELETE FROM events WHERE t < ?').run(now - EVENTS_KEEP_MS);
    })();
  }

  /** Buckets of the range's step over [now - range, now): each tier for the times only it holds. */
  range(range: HistoryRange, appId: string | null, now: number): { stepMs: number; from: number; points: UsagePoint[]; caps: CapPoint[] } {
    const stepMs = RANGE_STEP_MS[range];
    const from = Math.floor((now - RANGE_MS[range]) / stepMs) * stepMs;
    const top = RANGE_TIER[range];
    const parts: string[] = [];
    const params: unknown[] = [];
    const apps = appId === null ? '' : ' AND app IN (?, ?, ?)';
    for (let i = top; i >= 0; i--) {
      // tier i holds [upto(i+1), upto(i)): older times are in a coarser tier, newer ones not yet rolled up
      const lo = i === top ? from : Math.max(from, this.upto(i + 1));
      const hi = i === 0 ? Number.MAX_SAFE_INTEGER : this.upto(i);
      parts.push(`SELECT * FROM ${TIERS[i]!.table} WHERE t >= ? AND t < ?${apps}`);
      params.push(lo, hi, ...(appId === null ? [] : [appId, TOTAL_KEY, CAPS_KEY]));
    }
    const rows = this.db
      .prepare(`SELECT (t / ${stepMs}) * ${stepMs} AS b, app, SUM(n) AS n, ${ROLLUP_SELECT} FROM (${parts.join(' UNION ALL ')}) GROUP BY b, app ORDER BY b, app`)
      .all(...params) as Row[];
    return { stepMs, from, ...pointsOf(rows) };
  }
}

/** Rows → points: a mean over the seconds the engine recorded in the bucket (the total's n), so a stopped app counts 0. */
function pointsOf(rows: Row[]): { points: UsagePoint[]; caps: CapPoint[] } {
  const seconds = new Map<number, number>();
  for (const r of rows) if (r.app === TOTAL_KEY) seconds.set(r.b, r.n);
  const points: UsagePoint[] = [];
  const caps: CapPoint[] = [];
  for (const r of rows) {
    if (r.app === CAPS_KEY) {
      caps.push({ t: r.b, cap: Object.fromEntries(RESOURCES.map((res) => [res, num(r, `${res}_max`)])) as Record<Resource, number | null> });
      continue;
    }
    const n = Math.max(r.n, seconds.get(r.b) ?? 0);
    points.push({
      t: r.b,
      app: r.app === TOTAL_KEY ? null : r.app,
      seconds: r.n,
      avg: Object.fromEntries(RESOURCES.map((res) => [res, (num(r, res) ?? 0) / n])) as Record<Resource, number>,
      max: Object.fromEntries(RESOURCES.map((res) => [res, num(r, `${res}_max`) ?? 0])) as Record<Resource, number>,
    });
  }
  return { points, caps };
}
