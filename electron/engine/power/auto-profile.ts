// Follows idle and power state: reads its source at every tick and whenever the
// source says something changed, and hands the chosen profile to `apply` (the
// engine applies it only while the owner's choice is "auto"). Takes timer functions
// so tests drive it.
import type { PowerState, ProfileName } from '../../common/model.js';
import { chooseProfile, powerState, type PowerReading, type PowerSource } from './reading.js';

export interface TimerFns {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface AutoProfileOptions {
  source: PowerSource & { readNamed?(): Promise<{ reading: PowerReading; sources: string[] }> };
  /** settings.idleThresholdSeconds, read at each evaluation (the owner may change it). */
  thresholdSeconds: () => number;
  apply: (profile: ProfileName) => Promise<unknown>;
  /** Called after every reading (the state shows it). */
  onReading?: (state: PowerState) => void;
  pollMs?: number;
  timers?: TimerFns;
  now?: () => number;
  log?: (message: string) => void;
}

export const DEFAULT_POWER_POLL_MS = 10_000;

const realTimers: TimerFns = {
  setInterval: (cb, ms) => {
    const h = setInterval(cb, ms);
    h.unref?.();
    return h;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export class AutoProfile {
  private timer: unknown = null;
  private unwatch: (() => void) | null = null;
  private pending: Promise<void> | null = null;
  private again = false;
  private last: PowerState | null = null;
  private readonly timers: TimerFns;

  constructor(private readonly options: AutoProfileOptions) {
    this.timers = options.timers ?? realTimers;
  }

  /** The last reading (null before the first). */
  get lastState(): PowerState | null {
    return this.last;
  }

  /** Reads the source and applies its profile; calls made meanwhile coalesce into one more. */
  evaluate(): Promise<void> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = (async () => {
      do {
        this.again = false;
        const { reading, sources } = this.options.source.readNamed
          ? await this.options.source.readNamed()
          : { reading: await this.options.source.read(), sources: [this.options.source.name] };
        this.last = powerState(reading, sources, (this.options.now ?? Date.now)());
        this.options.onReading?.(this.last);
        const want = chooseProfile(reading, this.options.thresholdSeconds());
        try {
          await this.options.apply(want);
        } catch (err) {
          this.options.log?.(`profile: cannot switch to ${want}: ${err instanceof Error ? err.message : String(err)}`);
        }
      } while (this.again);
    })().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  start(): Promise<void> {
    if (this.timer === null) {
      const tick = () => void this.evaluate();
      this.timer = this.timers.setInterval(tick, this.options.pollMs ?? DEFAULT_POWER_POLL_MS);
      this.unwatch = this.options.source.watch?.(tick) ?? null;
    }
    return this.evaluate();
  }

  stop(): void {
    if (this.timer !== null) this.timers.clearInterval(this.timer);
    this.timer = null;
    this.unwatch?.();
    this.unwatch = null;
  }
}
