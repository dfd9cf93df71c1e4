// Transfer quotas: daily or monthly totals of upload, download or both, for one app or for all
// apps together. When a quota is reached the app (or every app) is paused, or slowed to a chosen
// rate (a temporary ceiling, or cap for all), until its period ends. The month starts on the
// owner's reset day. Types, views and the pure period arithmetic (local time); the schemas are
// model.ts's QuotaRuleSchema and QuotaConfigSchema.

export const QUOTA_PERIODS = ['day', 'month'] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];
export const QUOTA_DIRECTIONS = ['up', 'down', 'both'] as const;
export type QuotaDirection = (typeof QUOTA_DIRECTIONS)[number];
export const QUOTA_ACTIONS = ['pause', 'slow'] as const;
export const MAX_QUOTA_RULES = 64;
/** Reset days past the 28th would not exist in every month. */
export const MAX_RESET_DAY = 28;

/** A quota (schema: model.ts QuotaRuleSchema). */
export interface QuotaRule {
  /** The app it counts and stops; null: every app together. */
  appId: string | null;
  period: QuotaPeriod;
  direction: QuotaDirection;
  /** The total allowed in one period, bytes. */
  bytes: number;
  action: (typeof QUOTA_ACTIONS)[number];
  /** bytes/s each way when the action is "slow"; null otherwise. */
  slowTo: number | null;
}

export interface QuotaConfig {
  /** Day of the month the monthly periods start on (local midnight). */
  resetDay: number;
  rules: QuotaRule[];
}

/** One rule now: what its period counted, when the period ends, whether it is reached. */
export interface QuotaStatus {
  rule: QuotaRule;
  used: number;
  /** ms since epoch */
  periodStart: number;
  periodEnd: number;
  reached: boolean;
}

export interface QuotaView {
  resetDay: number;
  rules: QuotaRule[];
  status: QuotaStatus[];
}

/** The period that contains `nowMs`: [start, end) in local time. */
export function quotaPeriod(period: QuotaPeriod, nowMs: number, resetDay: number): { start: number; end: number } {
  const d = new Date(nowMs);
  if (period === 'day') {
    const start = new Date(d.getFullYear(), d.getMonth(), d.getDate());
    return { start: start.getTime(), end: new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime() };
  }
  const month = d.getDate() >= resetDay ? d.getMonth() : d.getMonth() - 1;
  return { start: new Date(d.getFullYear(), month, resetDay).getTime(), end: new Date(d.getFullYear(), month + 1, resetDay).getTime() };
}

/** The bytes a rule counts of an up/down pair. */
export function quotaCounted(direction: QuotaDirection, moved: { up: number; down: number }): number {
  return direction === 'up' ? moved.up : direction === 'down' ? moved.down : moved.up + moved.down;
}

/** "daily upload quota", "monthly upload + download quota" */
export function quotaName(rule: Pick<QuotaRule, 'period' | 'direction'>): string {
  const what = rule.direction === 'up' ? 'upload' : rule.direction === 'down' ? 'download' : 'upload + download';
  return `${rule.period === 'day' ? 'daily' : 'monthly'} ${what} quota`;
}
