// Chooses the active owner profile from power and idle state: on battery → "battery";
// else idle (system idle time ≥ threshold, or the screen is locked) → "idle"; else
// "inUse". Takes a powerMonitor-like object and timer functions so tests drive it.
import type { ProfileName } from '../common/model.js';

export interface PowerMonitorLike {
  isOnBatteryPower(): boolean;
  getSystemIdleTime(): number; // seconds
  on(event: PowerEvent, listener: () => void): unknown;
  removeListener(event: PowerEvent, listener: () => void): unknown;
}

export const POWER_EVENTS = ['on-battery', 'on-ac', 'lock-screen', 'unlock-screen', 'suspend', 'resume', 'user-did-become-active', 'user-did-resign-active'] as const;
export type PowerEvent = (typeof POWER_EVENTS)[number];

export interface PowerObservation {
  onBattery: boolean;
  idleSeconds: number;
  locked: boolean;
  thresholdSeconds: number;
}

/** The rule, in one place. */
export function chooseProfile(o: PowerObservation): ProfileName {
  if (o.onBattery) return 'battery';
  if (o.locked || o.idleSeconds >= o.thresholdSeconds) return 'idle';
  return 'inUse';
}

export interface TimerFns {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ProfileSwitcherOptions {
  powerMonitor: PowerMonitorLike;
  /** settings.idleThresholdSeconds, read on each evaluation (the owner may change it). */
  getThresholdSeconds: () => number;
  /** Applies a profile (engine.invoke('setProfile', ...)). */
  apply: (profile: ProfileName) => Promise<unknown>;
  pollMs?: number;
  timers?: TimerFns;
  log?: (message: string) => void;
}

const realTimers: TimerFns = {
  setInterval: (cb, ms) => {
    const h = setInterval(cb, ms);
    h.unref?.();
    return h;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export class ProfileSwitcher {
  private locked = false;
  private applied: ProfileName | null = null;
  private pending: Promise<void> | null = null;
  private again = false;
  private timer: unknown = null;
  private readonly listeners: Array<[PowerEvent, () => void]> = [];
  private readonly timers: TimerFns;
  private readonly log: (message: string) => void;

  constructor(private readonly options: ProfileSwitcherOptions) {
    this.timers = options.timers ?? realTimers;
    this.log = options.log ?? (() => {});
  }

  /** The profile last applied successfully (null before the first). */
  get current(): ProfileName | null {
    return this.applied;
  }

  observe(): PowerObservation {
    const pm = this.options.powerMonitor;
    let onBattery = false;
    let idleSeconds = 0;
    try {
      onBattery = pm.isOnBatteryPower();
    } catch {
      /* unknown: assume AC */
    }
    try {
      idleSeconds = pm.getSystemIdleTime();
    } catch {
      /* unknown: assume in use */
    }
    return { onBattery, idleSeconds, locked: this.locked, thresholdSeconds: this.options.getThresholdSeconds() };
  }

  /** Re-evaluates and applies the profile if it changed. Resolves when applied (or failed). */
  evaluate(): Promise<void> {
    if (this.pending) {
      this.again = true; // coalesce: one more evaluation after the one in flight
      return this.pending;
    }
    this.pending = (async () => {
      do {
        this.again = false;
        const want = chooseProfile(this.observe());
        if (want === this.applied) continue;
        try {
          await this.options.apply(want);
          this.log(`profile: ${this.applied ?? '(none)'} → ${want}`);
          this.applied = want;
        } catch (err) {
          // Not recorded as applied: the next tick retries.
          this.log(`profile: cannot switch to ${want}: ${err instanceof Error ? err.message : String(err)}`);
        }
      } while (this.again);
    })().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  start(): Promise<void> {
    if (this.timer !== null) return this.evaluate();
    const pm = this.options.powerMonitor;
    const on = (event: PowerEvent, fn: () => void) => {
      pm.on(event, fn);
      this.listeners.push([event, fn]);
    };
    const reevaluate = () => void this.evaluate();
    on('on-battery', reevaluate);
    on('on-ac', reevaluate);
    on('resume', reevaluate);
    on('user-did-become-active', reevaluate);
    on('user-did-resign-active', reevaluate);
    on('lock-screen', () => {
      this.locked = true;
      void this.evaluate();
    });
    on('unlock-screen', () => {
      this.locked = false;
      void this.evaluate();
    });
    this.timer = this.timers.setInterval(reevaluate, this.options.pollMs ?? 15_000);
    return this.evaluate();
  }

  stop(): void {
    if (this.timer !== null) this.timers.clearInterval(this.timer);
    this.timer = null;
    const pm = this.options.powerMonitor;
    for (const [event, fn] of this.listeners.splice(0)) pm.removeListener(event, fn);
  }
}
