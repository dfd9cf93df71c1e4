// The owner's pause of all P2P apps: a lease that expires by itself and survives a restart
// (it is kept in the settings). While it holds, every app is paused and the caps in force are
// zero for all but memory (limits.ts effectiveLimits).
import type { TimerHandle } from './clock.js';
import type { EngineContext } from './context.js';
import { pauseActive } from './limits.js';

/** Longest delay a timer takes (Node's); a longer lease is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class PauseLease {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly ctx: EngineContext,
    /** Hands the pause (begun or ended) to every app. */
    private readonly applyToApps: () => void,
  ) {}

  /** A pause of all apps is in force now. */
  get active(): boolean {
    return pauseActive(this.ctx.data.pause, this.ctx.clock.wallNow());
  }

  /** At start: a lease kept from before has expired meanwhile, or goes on. */
  async restore(): Promise<void> {
    const { ctx } = this;
    if (ctx.data.pause && !this.active) {
      ctx.data.pause = null;
      await ctx.save();
    }
    if (ctx.data.pause) {
      ctx.log.add('info', describePause('all apps paused', ctx.data.pause.until));
      this.arm();
    }
  }

  /** durationMs null: until the owner resumes. */
  async pause(durationMs: number | null): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.wallNow();
    ctx.data.pause = { since: now, until: durationMs === null ? null : now + durationMs };
    await ctx.save();
    this.applyToApps();
    this.arm();
    ctx.log.add('info', describePause('all apps paused', ctx.data.pause.until));
  }

  /** Ends the pause (by the owner, or because it expired). */
  async resume(why: string): Promise<void> {
    const { ctx } = this;
    if (!ctx.data.pause) return;
    ctx.data.pause = null;
    this.cancel();
    await ctx.save().catch(() => undefined);
    this.applyToApps();
    ctx.log.add('info', `pause of all apps ended: ${why}`);
    ctx.stateChanged(); // also when it expired, with no command behind it
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(): void {
    this.cancel();
    const until = this.ctx.data.pause?.until;
    if (until === null || until === undefined) return;
    const wait = until - this.ctx.clock.wallNow();
    if (wait <= 0) {
      void this.resume('the pause expired');
      return;
    }
    this.timer = this.ctx.clock.setTimeout(() => this.arm(), Math.min(wait, MAX_TIMER_MS), { unref: true });
  }
}

function describePause(what: string, until: number | null): string {
  return until === null ? `${what} until resumed` : `${what} until ${new Date(until).toISOString()}`;
}
