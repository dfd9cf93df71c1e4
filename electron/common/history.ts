// The long history's vocabulary, shared by the engine, the CLI and the dashboard (pure: no
// zod, no I/O): the chart ranges, the shape of a usage history, the database's status, and
// the one CSV printer behind both `interceptor history --csv` and the dashboard's download.
import { RESOURCES, type Resource } from './resources.js';

/** What an entry of the event log is about. */
export const EVENT_KINDS = ['limitHit', 'held', 'memDenied', 'crash', 'exit', 'start', 'info', 'warning', 'error', 'quota'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The ranges a chart or an export covers. */
export const HISTORY_RANGES = ['5m', '1h', '24h', '30d'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];

export const RANGE_MS: Record<HistoryRange, number> = { '5m': 300_000, '1h': 3_600_000, '24h': 86_400_000, '30d': 30 * 86_400_000 };
/** One point per step: ~300 points a range, light enough for a chart of 20 apps. */
export const RANGE_STEP_MS: Record<HistoryRange, number> = { '5m': 1_000, '1h': 10_000, '24h': 300_000, '30d': 7_200_000 };
export const RANGE_LABELS: Record<HistoryRange, string> = { '5m': '5 min', '1h': '1 hour', '24h': '24 hours', '30d': '30 days' };

export function isHistoryRange(v: unknown): v is HistoryRange {
  return typeof v === 'string' && (HISTORY_RANGES as readonly string[]).includes(v);
}

/** One bucket of one app (or of all apps: app null). Units as RESOURCE_UNITS. */
export interface UsagePoint {
  /** Start of the bucket, ms since the epoch. */
  t: number;
  app: string | null;
  /** Seconds recorded of it in the bucket. */
  seconds: number;
  /** Mean over the seconds the engine recorded in the bucket (an app not running counts 0). */
  avg: Record<Resource, number>;
  /** Highest one-second figure in the bucket. */
  max: Record<Resource, number>;
}

/** The owner's caps over the range: the highest in force in each bucket; null = none. */
export interface CapPoint {
  t: number;
  cap: Record<Resource, number | null>;
}

export interface UsageHistory {
  range: HistoryRange;
  stepMs: number;
  /** [from, to): from is a multiple of stepMs. */
  from: number;
  to: number;
  /** Only this app's points (and the totals), or every app's. */
  appId: string | null;
  points: UsagePoint[];
  caps: CapPoint[];
  /** The database behind it; false: only what this run of the engine kept in memory. */
  persistent: boolean;
}

/** The history database as the owner should know it (FullState.history). */
export interface HistoryStatus {
  /** The database file; null when there is none. */
  file: string | null;
  /** History and events are being written to it. */
  ok: boolean;
  /** What went wrong, for a person; null when nothing did. */
  problem: string | null;
  /** Where an unusable database was kept aside (renamed, never deleted); null if none was. */
  keptAside: string | null;
}

const CSV_UNITS: Record<Resource, string> = { cpu: 'cpu_fraction', netUp: 'up_Bps', netDown: 'down_Bps', disk: 'disk_Bps', mem: 'mem_bytes' };

/** The CSV's header: time, app, then each resource's mean and peak in its unit. */
export const CSV_HEADER = ['time', 'app', ...RESOURCES.flatMap((r) => [CSV_UNITS[r], `${CSV_UNITS[r]}_max`])].join(',');

/** A usage history as CSV (RFC 4180, UTC ISO times, "all" for the totals), newest last. */
export function usageCsv(history: UsageHistory): string {
  const lines = [CSV_HEADER];
  for (const p of history.points) {
    const values = RESOURCES.flatMap((r) => [num(p.avg[r]), num(p.max[r])]);
    lines.push([new Date(p.t).toISOString(), csvField(p.app ?? 'all'), ...values].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

const num = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(10))) : '');

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The file name of an export: interceptor-usage-24h-2026-12-01.csv. */
export function csvFileName(range: HistoryRange, appId: string | null, at: number): string {
  return `interceptor-usage-${range}${appId ? `-${appId}` : ''}-${new Date(at).toISOString().slice(0, 10)}.csv`;
}
