// The transfer counted towards quotas: per period (the day, the month from the reset day) the
// bytes each app and all apps together moved up and down. Pure: time and bytes are given; the
// counters start again when a period ends. Kept as JSON in the engine's config dir (keeper.ts).
import { z } from 'zod';
import { MAX_BYTES } from '../../common/resources.js';
import { QUOTA_PERIODS, quotaCounted, quotaPeriod, type QuotaConfig, type QuotaPeriod, type QuotaStatus } from '../../common/quotas.js';

const MovedSchema = z.object({ up: z.number().finite().min(0).max(Number.MAX_SAFE_INTEGER), down: z.number().finite().min(0).max(Number.MAX_SAFE_INTEGER) }).strict();
export type Moved = z.infer<typeof MovedSchema>;

const PeriodCountersSchema = z
  .object({
    start: z.number().int(),
    end: z.number().int(),
    all: MovedSchema,
    apps: z.record(z.string().max(64), MovedSchema),
  })
  .strict();
type PeriodCounters = z.infer<typeof PeriodCountersSchema>;

export const LedgerFileSchema = z.object({ version: z.literal(1), day: PeriodCountersSchema.nullable(), month: PeriodCountersSchema.nullable() }).strict();
export type LedgerFile = z.infer<typeof LedgerFileSchema>;

const zero = (): Moved => ({ up: 0, down: 0 });

export class QuotaLedger {
  private periods: Record<QuotaPeriod, PeriodCounters | null>;

  constructor(file: LedgerFile | null = null) {
    this.periods = { day: file?.day ?? null, month: file?.month ?? null };
  }

  /** `appId` moved these bytes (since the last call) at wall time `nowMs`. */
  add(appId: string, moved: Moved, nowMs: number, resetDay: number): void {
    if (!(moved.up >= 0 && moved.down >= 0) || moved.up + moved.down === 0) return;
    for (const p of QUOTA_PERIODS) {
      const c = this.current(p, nowMs, resetDay);
      const app = (c.apps[appId] ??= zero());
      app.up = Math.min(MAX_BYTES, app.up + moved.up);
      app.down = Math.min(MAX_BYTES, app.down + moved.down);
      c.all.up = Math.min(MAX_BYTES, c.all.up + moved.up);
      c.all.down = Math.min(MAX_BYTES, c.all.down + moved.down);
    }
  }

  /** What the app (null: all apps) moved in the period containing `nowMs`. */
  moved(period: QuotaPeriod, appId: string | null, nowMs: number, resetDay: number): Moved {
    const c = this.current(period, nowMs, resetDay);
    return { ...(appId === null ? c.all : (c.apps[appId] ?? zero())) };
  }

  /** Every rule of `config` at `nowMs`. */
  status(config: QuotaConfig, nowMs: number): QuotaStatus[] {
    return config.rules.map((rule) => {
      const c = this.current(rule.period, nowMs, config.resetDay);
      const used = quotaCounted(rule.direction, this.moved(rule.period, rule.appId, nowMs, config.resetDay));
      return { rule, used, periodStart: c.start, periodEnd: c.end, reached: used >= rule.bytes };
    });
  }

  toJSON(): LedgerFile {
    return { version: 1, day: this.periods.day, month: this.periods.month };
  }

  /** The period's counters, new ones when the period (or the reset day) changed. */
  private current(period: QuotaPeriod, nowMs: number, resetDay: number): PeriodCounters {
    const { start, end } = quotaPeriod(period, nowMs, resetDay);
    const c = this.periods[period];
    if (c && c.start === start && c.end === end) return c;
    return (this.periods[period] = { start, end, all: zero(), apps: {} });
  }
}
