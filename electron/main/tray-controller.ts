// Keeps the tray in step with the engine: rebuilds the model on every state and
// log event, renders only when it changed, and schedules the re-render that a lease
// end or the end of the at-cap look needs when no event arrives. Electron stays in
// the `render` callback main.ts passes.
import type { EventLogEntry, FullState } from '../common/model.js';
import { AtCapTracker, buildTrayModel, nextTrayRefresh, type TrayModel } from './tray-model.js';

export interface TrayControllerOptions {
  render: (model: TrayModel) => void;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => { cancel(): void };
  formatTime?: (ms: number) => string;
  atCapWindowMs?: number;
}

const realTimer = (callback: () => void, ms: number) => {
  const h = setTimeout(callback, ms);
  h.unref?.();
  return { cancel: () => clearTimeout(h) };
};

/** Longest single timer (setTimeout overflows past 2^31-1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TrayController {
  private state: FullState | null = null;
  private readonly tracker: AtCapTracker;
  private last: string | null = null;
  private timer: { cancel(): void } | null = null;
  private readonly now: () => number;
  private readonly setTimer: (callback: () => void, ms: number) => { cancel(): void };

  constructor(private readonly options: TrayControllerOptions) {
    this.tracker = new AtCapTracker(options.atCapWindowMs);
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? realTimer;
  }

  get currentState(): FullState | null {
    return this.state;
  }

  setState(state: FullState): void {
    this.state = state;
    this.update();
  }

  observeLog(entry: EventLogEntry): void {
    if (this.tracker.observe(entry)) this.update();
  }

  /** Builds the model for now; renders it if anything visible changed. Returns it. */
  update(): TrayModel {
    const now = this.now();
    const model = buildTrayModel({
      state: this.state,
      now,
      atCap: this.tracker.isAtCap(now),
      ...(this.options.formatTime ? { formatTime: this.options.formatTime } : {}),
    });
    const key = JSON.stringify(model);
    if (key !== this.last) {
      this.last = key;
      this.options.render(model);
    }
    this.schedule(now);
    return model;
  }

  private schedule(now: number): void {
    this.timer?.cancel();
    this.timer = null;
    const at = nextTrayRefresh(this.state, this.tracker, now);
    if (at === null) return;
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.update();
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
  }

  dispose(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
