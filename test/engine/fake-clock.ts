// An EngineClock the test moves by hand: time passing (both clocks move, timers fire in
// order), the wall clock set or a suspend (only the wall clock moves; on Linux the monotonic
// clock and the timers on it stand still during a suspend).
import type { EngineClock, TimerHandle } from '../../electron/engine/clock.js';

interface Timer { at: number; seq: number; cb: () => void; cancelled: boolean }

export class ManualClock implements EngineClock {
  private mono = 1_000;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(private wall: number) {}

  now(): number {
    return this.mono;
  }

  wallNow(): number {
    return this.wall;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.mono + Math.max(0, ms), seq: this.seq++, cb, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** The wall clock is set to `wall` (by hand, by NTP, or by a suspend): nothing fires. */
  setWall(wall: number): void {
    this.wall = wall;
  }

  private pending(): Timer[] {
    return (this.timers = this.timers.filter((t) => !t.cancelled));
  }

  /**
   * `ms` pass: every timer due fires in order, both clocks moving to its time. The engine's
   * timers re-arm themselves, some after a file write: after each, wait (in real time, up to
   * 2 s) until as many timers are pending as before it fired.
   */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    for (;;) {
      const due = this.pending().filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      const count = this.pending().length;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.wall += due.at - this.mono;
      this.mono = due.at;
      due.cb();
      const deadline = Date.now() + 2_000;
      while (this.pending().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    }
    this.wall += end - this.mono;
    this.mono = end;
    await new Promise((r) => setImmediate(r));
  }
}
