// The owner's week schedule on the engine's clock. Each hour of local time (the engine's zone)
// is "auto" (a manual pick, else idle and power detection, decide), a profile the schedule
// forces, or "paused" (every app paused, as by the pause lease). A manual pick overrides the
// schedule — a forced profile and a pause alike — until the schedule's next change, then the
// schedule decides again; with the schedule off a pick holds until changed, as before.
//
// Slots are wall-clock hours, but timers run on the monotonic clock: a suspend, a clock set by
// hand or by NTP moves one and not the other. So the keeper never sleeps longer than
// `scheduleRecheckMs` (a minute) without looking at the wall clock again, wakes just past each
// change it expects, and says in the log when the two clocks drifted apart.
import * as text from '../common/event-text.js';
import type { ParsedCommandArgs } from '../common/contract.js';
import type { ProfileChoice, ProfileName } from '../common/model.js';
import { isProfileSlot, isTimeZone, nextChange, slotAt, systemTimeZone, SLOT_LABELS, type ProfileReason, type ScheduleSlot, type ScheduleState } from '../common/schedule.js';
import { formatInstant } from '../common/schedule-text.js';
import type { TimerHandle } from './clock.js';
import type { EngineContext } from './context.js';

export const DEFAULT_SCHEDULE_RECHECK_MS = 60_000;
/** The wall clock moved this much more (or less) than the monotonic one: a jump, said in the log. */
const JUMP_MS = 2_000;
/** Wake this long after a change, so the wall clock is past it even if the two clocks disagree a little. */
const PAST_CHANGE_MS = 20;

export class ScheduleKeeper {
  readonly timeZone: string;
  private timer: TimerHandle | null = null;
  private last: { wall: number; mono: number; slot: ScheduleSlot | null } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    /** Puts the schedule's verdict in force: the profile, the apps' pause, the state. */
    private readonly onChange: () => Promise<void>,
  ) {
    const zone = ctx.options.timeZone ?? systemTimeZone();
    // an unknown zone would make every evaluation throw: UTC, said once
    this.timeZone = isTimeZone(zone) ? zone : 'UTC';
    if (this.timeZone !== zone) ctx.log.add('warning', `schedule: unknown time zone "${zone}"; the schedule's hours are UTC`);
  }

  /** The schedule's slot now; null while it is off. */
  slotNow(): ScheduleSlot | null {
    return slotAt(this.ctx.data.schedule, this.ctx.clock.wallNow(), this.timeZone);
  }

  /** The profile the schedule forces now; null when it leaves the choice to a pick or to detection. */
  forced(): ProfileName | null {
    const slot = this.picked ? null : this.slotNow();
    return isProfileSlot(slot) ? slot : null;
  }

  /** The schedule pauses every app now (a manual pick overrides it). */
  get pausing(): boolean {
    return !this.picked && this.slotNow() === 'paused';
  }

  reason(): ProfileReason {
    return this.picked ? 'manual' : this.forced() ? 'schedule' : 'detection';
  }

  view(): ScheduleState {
    const { data, clock } = this.ctx;
    return {
      enabled: data.schedule.enabled,
      slots: [...data.schedule.slots],
      timeZone: this.timeZone,
      reason: this.reason(),
      now: this.slotNow(),
      paused: this.pausing,
      pickUntil: this.picked ? data.profilePickUntil : null,
      next: nextChange(data.schedule, clock.wallNow(), this.timeZone),
    };
  }

  /** At start: a pick that ended meanwhile ends, the slot now is put in force, the timer runs. */
  start(): Promise<void> {
    this.stopped = false;
    return this.check(true);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  /** The owner's new schedule (on/off, slots); a standing pick now holds until its next change. */
  async set(patch: ParsedCommandArgs<'setSchedule'>): Promise<void> {
    const { ctx } = this;
    const before = ctx.data.schedule;
    ctx.data.schedule = { enabled: patch.enabled ?? before.enabled, slots: patch.slots ? [...patch.slots] : before.slots };
    if (this.picked) ctx.data.profilePickUntil = this.changeAfterNow();
    await ctx.save();
    if (before.enabled !== ctx.data.schedule.enabled) ctx.log.add('info', `the week schedule is ${ctx.data.schedule.enabled ? 'on' : 'off'}`);
    else ctx.log.add('info', 'the week schedule was changed');
    await this.check(true);
  }

  /** The owner picked a profile (or auto): with the schedule on, the pick holds until its next change. */
  async notePick(choice: ProfileChoice): Promise<void> {
    const { ctx } = this;
    const until = choice === 'auto' ? null : this.changeAfterNow();
    if (until === ctx.data.profilePickUntil) return;
    ctx.data.profilePickUntil = until;
    await ctx.save();
    if (until !== null) ctx.log.add('info', `the pick holds until the schedule's next change, ${formatInstant(until, this.timeZone)}`);
  }

  private get picked(): boolean {
    return this.ctx.data.profileChoice !== 'auto';
  }

  private changeAfterNow(): number | null {
    return nextChange(this.ctx.data.schedule, this.ctx.clock.wallNow(), this.timeZone)?.at ?? null;
  }

  /** Serialised: a timer, a command and the start never look at the schedule at once. */
  private check(force = false): Promise<void> {
    const run = this.queue.then(() => this.evaluate(force));
    this.queue = run.catch((error: Error) => void this.ctx.log.add('error', `schedule: ${error.message}`));
    return run;
  }

  private async evaluate(force: boolean): Promise<void> {
    const { ctx } = this;
    if (this.stopped || ctx.shuttingDown) return;
    this.timer?.cancel();
    const wall = ctx.clock.wallNow();
    const mono = ctx.clock.now();
    if (this.last) {
      const drift = wall - this.last.wall - (mono - this.last.mono);
      if (Math.abs(drift) > JUMP_MS) {
        ctx.log.add('info', `schedule: the wall clock moved ${drift > 0 ? 'ahead' : 'back'} ${Math.round(Math.abs(drift) / 1000)} s against the engine's own clock (a suspend, or the clock was set); checked again`);
      }
    }
    let changed = force;
    const { profilePickUntil: until, profileChoice } = ctx.data;
    if (profileChoice !== 'auto' && until !== null && wall >= until) {
      ctx.data.profileChoice = 'auto';
      ctx.data.profilePickUntil = null;
      await ctx.save().catch(() => undefined);
      ctx.log.add('info', `the pick of "${text.PROFILE_LABELS[profileChoice]}" ended at the schedule's change; the schedule decides again`);
      changed = true;
    }
    const slot = this.slotNow();
    if (this.last && slot !== this.last.slot) {
      changed = true;
      if (slot !== null) ctx.log.add('info', `schedule: ${SLOT_LABELS[slot]} from ${formatInstant(wall, this.timeZone)}`);
    }
    this.last = { wall, mono, slot };
    if (changed) await this.onChange();
    this.arm(wall);
  }

  private arm(wall: number): void {
    if (this.stopped) return;
    const { data, options } = this.ctx;
    let wait = options.scheduleRecheckMs ?? DEFAULT_SCHEDULE_RECHECK_MS;
    const due = [nextChange(data.schedule, wall, this.timeZone)?.at, this.picked ? data.profilePickUntil : null];
    for (const at of due) if (at !== undefined && at !== null) wait = Math.min(wait, at - wall + PAST_CHANGE_MS);
    this.timer = this.ctx.clock.setTimeout(() => void this.check(), Math.max(wait, PAST_CHANGE_MS), { unref: true });
  }
}
