// The usage tiers: one-second rows kept an hour, rolled up into minutes, hours and days that
// are kept for months. Every tier has the same columns (per resource the sum of the seconds'
// figures and their peak, and n, the seconds), so a rollup is one GROUP BY and sums compose.
import { RESOURCES } from '../../common/resources.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface Tier {
  table: string;
  stepMs: number;
  /** Rows older than this go (once rolled up into the next tier). */
  keepMs: number;
}

export const TIERS: readonly Tier[] = [
  { table: 'usage_s', stepMs: 1000, keepMs: HOUR },
  { table: 'usage_m', stepMs: MINUTE, keepMs: 7 * DAY },
  { table: 'usage_h', stepMs: HOUR, keepMs: 180 * DAY },
  { table: 'usage_d', stepMs: DAY, keepMs: 5 * 365 * DAY },
];
export const USAGE_TABLES = TIERS.map((t) => t.table);

/** Events are kept a year. */
export const EVENTS_KEEP_MS = 365 * DAY;

/** Pseudo-apps of the usage tables (app ids are [a-z0-9-], so these cannot clash). */
export const TOTAL_KEY = '*';
export const CAPS_KEY = '#cap';

export const VALUE_COLUMNS = RESOURCES.flatMap((r) => [r, `${r}_max`]);
/** SUM of the sums, MAX of the peaks: a coarser row from finer ones. */
export const ROLLUP_SELECT = RESOURCES.map((r) => `SUM(${r}) AS ${r}, MAX(${r}_max) AS ${r}_max`).join(', ');
