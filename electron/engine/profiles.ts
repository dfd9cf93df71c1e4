// The owner's caps S(P2P, τ), one set per profile (in use, idle, on battery), and the profile
// in force: chosen by hand, else forced by the week schedule (schedule.ts), else automatically
// from idle and power state (power/). Admission control keeps every app's share feasible
// under every profile's caps (limits.ts).
import type { ParsedCommandArgs } from '../common/contract.js';
import * as text from '../common/event-text.js';
import type { OwnerLimits, PowerState, ProfileChoice, ProfileName } from '../common/model.js';
import type { EngineContext } from './context.js';
import type { Enforcement } from './enforcement.js';
import { assertCapsWithinCapacity, assertSharesFit, effectiveLimits } from './limits.js';
import { AutoProfile } from './power/index.js';

/** What the week schedule says now (ScheduleKeeper). */
export interface ScheduleVerdict {
  forced(): ProfileName | null;
  readonly pausing: boolean;
}

export class Profiles {
  private auto: AutoProfile | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly enforcement: Enforcement,
    private readonly schedule: ScheduleVerdict,
  ) {}

  /** The caps in force: the active profile's, with a pause-all (the lease's or the schedule's) applied. */
  limitsNow(): OwnerLimits {
    const { data, clock } = this.ctx;
    const pause = this.schedule.pausing ? { since: 0, until: null } : data.pause;
    return effectiveLimits(data.profiles, data.activeProfile, pause, clock.wallNow());
  }

  /** What the automatic choice saw last; null when this engine has no source of idle and power state. */
  get power(): PowerState | null {
    return this.auto?.lastState ?? null;
  }

  async setOwnerLimits(a: ParsedCommandArgs<'setOwnerLimits'>): Promise<OwnerLimits> {
    const { data } = this.ctx;
    const profile = a.profile ?? data.activeProfile;
    const profiles = structuredClone(data.profiles);
    profiles[profile] = { ...profiles[profile], ...a.limits };
    assertCapsWithinCapacity(a.limits, data.capacity);
    assertSharesFit(data.apps, profiles);
    data.profiles = profiles;
    await this.ctx.save();
    if (profile === data.activeProfile) this.enforcement.applyCaps();
    return { ...profiles[profile] };
  }

  /** The owner's pick: a profile stays until changed; "auto" hands the choice back to idle and power state. */
  async choose(choice: ProfileChoice): Promise<void> {
    const { ctx } = this;
    if (choice !== ctx.data.profileChoice) {
      ctx.data.profileChoice = choice;
      await ctx.save();
      ctx.log.add('info', choice === 'auto' ? 'profile chosen automatically from idle and power state' : `profile "${choice}" chosen by the owner`);
    }
    await this.reconsider();
  }

  /** Puts in force what decides now: the owner's pick, else the schedule's profile, else detection. */
  async reconsider(): Promise<void> {
    const { profileChoice } = this.ctx.data;
    const forced = profileChoice !== 'auto' ? profileChoice : this.schedule.forced();
    if (forced) await this.setProfile(forced);
    else await this.auto?.evaluate();
  }

  /** Puts a profile's caps in force (the owner's choice, or the automatic one). */
  async setProfile(profile: ProfileName): Promise<void> {
    const { ctx } = this;
    if (profile === ctx.data.activeProfile) return;
    ctx.data.activeProfile = profile;
    await ctx.save();
    this.enforcement.applyCaps();
    ctx.log.add('info', text.profileInForceText(profile));
    ctx.stateChanged(); // also when the automatic choice changes it, with no command behind it
  }

  /** Follows idle and power state, when the host gave a source of them. */
  async startAuto(): Promise<void> {
    const { ctx } = this;
    const source = ctx.options.power;
    if (!source) return;
    this.auto = new AutoProfile({
      source,
      pollMs: ctx.options.powerPollMs,
      thresholdSeconds: () => ctx.data.settings.idleThresholdSeconds,
      apply: (profile) => (ctx.data.profileChoice === 'auto' && !this.schedule.forced() && !ctx.shuttingDown ? this.setProfile(profile) : Promise.resolve()),
      onReading: () => ctx.stateChanged(),
      log: (message) => ctx.log.add('warning', message),
      now: () => ctx.clock.wallNow(),
    });
    await this.auto.start();
  }

  stopAuto(): void {
    this.auto?.stop();
  }
}
