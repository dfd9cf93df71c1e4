// One app's terminal stream: a bounded scrollback for late subscribers, output
// batched into terminalData events, and flow control. The pty is paused (the app
// then blocks in write(2), nothing is buffered here) when the app writes faster
// than maxBytesPerSecond or when a consumer (a WebSocket, the IPC bridge) reports
// that it is backed up; it is resumed when the window rolls over or the consumer drains.
import { realClock, type Clock, type TimerHandle } from '../clock.js';

export interface FlowSource {
  pause(): void;
  resume(): void;
}

export interface TerminalOptions {
  scrollbackChars?: number; // default 256 Ki
  batchMs?: number; // default 16
  maxBytesPerSecond?: number; // default 2 MiB/s
  maxBatchChars?: number; // default 64 Ki: flush early past this
  clock?: Clock; // default: the real one
}

export class TerminalChannel {
  private backlog: string[] = [];
  private backlogChars = 0;
  private batch = '';
  private batchTimer: TimerHandle | null = null;
  private readonly clock: Clock;
  private windowStart: number;
  private windowBytes = 0;
  private rateTimer: TimerHandle | null = null;
  private rateLimited = false;
  private held = false;
  private sourcePaused = false;
  private source: FlowSource | null = null;
  private readonly scrollbackChars: number;
  private readonly batchMs: number;
  private readonly maxBytesPerSecond: number;
  private readonly maxBatchChars: number;
  /** Times the source was paused for rate or backpressure (for tests and diagnostics). */
  pauses = 0;

  constructor(
    private readonly emit: (data: string) => void,
    options: TerminalOptions = {},
  ) {
    this.scrollbackChars = options.scrollbackChars ?? 256 * 1024;
    this.batchMs = options.batchMs ?? 16;
    this.maxBytesPerSecond = options.maxBytesPerSecond ?? 2 * 1024 * 1024;
    this.maxBatchChars = options.maxBatchChars ?? 64 * 1024;
    this.clock = options.clock ?? realClock;
    this.windowStart = this.clock.now();
  }

  attach(source: FlowSource | null): void {
    this.source = source;
    this.sourcePaused = false;
    this.rateLimited = false;
    this.windowStart = this.clock.now();
    this.windowBytes = 0;
    this.applyFlow();
  }

  /** Output from the app (or a line from the engine about it). */
  push(data: string): void {
    if (!data) return;
    this.appendBacklog(data);
    this.batch += data;
    if (this.batch.length >= this.maxBatchChars) this.flush();
    else if (!this.batchTimer) this.batchTimer = this.clock.setTimeout(() => this.flush(), this.batchMs);
    const now = this.clock.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowBytes = 0;
    }
    this.windowBytes += data.length;
    if (this.windowBytes > this.maxBytesPerSecond && !this.rateLimited) {
      this.rateLimited = true;
      this.applyFlow();
      this.rateTimer = this.clock.setTimeout(() => {
        this.rateTimer = null;
        this.rateLimited = false;
        this.windowStart = this.clock.now();
        this.windowBytes = 0;
        this.applyFlow();
      }, Math.max(1, 1000 - (now - this.windowStart)));
    }
  }

  /** A consumer is backed up (true) or drained (false). */
  setHeld(held: boolean): void {
    this.held = held;
    this.applyFlow();
  }

  backlogText(): string {
    if (this.backlog.length > 1) this.backlog = [this.backlog.join('')];
    return this.backlog[0] ?? '';
  }

  flush(): void {
    if (this.batchTimer) {
      this.batchTimer.cancel();
      this.batchTimer = null;
    }
    if (!this.batch) return;
    const data = this.batch;
    this.batch = '';
    this.emit(data);
  }

  dispose(): void {
    this.flush();
    this.rateTimer?.cancel();
    this.rateTimer = null;
    this.source = null;
  }

  private applyFlow(): void {
    const want = this.rateLimited || this.held;
    if (!this.source || want === this.sourcePaused) return;
    this.sourcePaused = want;
    try {
      if (want) {
        this.pauses++;
        this.source.pause();
      } else this.source.resume();
    } catch {
      // the pty may be gone already
    }
  }

  private appendBacklog(data: string): void {
    this.backlog.push(data);
    this.backlogChars += data.length;
    if (this.backlogChars <= this.scrollbackChars) return;
    let text = this.backlog.join('');
    let cut = text.length - this.scrollbackChars;
    const nl = text.indexOf('\n', cut);
    if (nl >= 0 && nl - cut < 4096) cut = nl + 1;
    text = text.slice(cut);
    this.backlog = [text];
    this.backlogChars = text.length;
  }
}
