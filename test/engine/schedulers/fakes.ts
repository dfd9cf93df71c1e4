// A virtual clock and a fake HelperSession that simulates an app: CPU slices that use
// `cores` cores, and a sender/receiver that moves bytes through the helper's credit rules
// (PROTOCOL.md: in credit mode a call passes while credit > 0, else it is held and the
// helper reports `demand` and a `usage`; grants release held calls in order).
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../../electron/engine/clock.js';
import type {
  CreditResource, HelperEvents, HelperHello, HelperSession, HelperUsage, SliceResult,
} from '../../../electron/engine/catcher/session.js';

interface Timer { at: number; seq: number; cb: () => void; cancelled: boolean }

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, cb: callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Runs every timer due up to now + ms, in order, letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await flush();
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      let next: Timer | undefined;
      for (const x of this.timers) if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.cb();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

type Mode = 'credit' | 'unlimited';

export class FakeSession extends EventEmitter implements HelperSession {
  readonly hello: HelperHello;
  lastUsage: HelperUsage | null = null;
  closed = false;
  /** Every command received, in order. */
  readonly log: string[] = [];
  /** Cores the app uses while it runs (e.g. 1 for a single-threaded spinner, 0.05 for an I/O-bound app). */
  cores = 1;
  /** Threads runnable at the end of each slice (a helper with transparent stops reports it); null = not reported. */
  runnable: number | null = null;
  /** A thread wakes during every stop that ends a slice, and the helper's `wake` reaches the engine
   * with the slice's end, in the same read (as when the engine's event loop was busy). */
  wakesAtSliceEnd = false;
  cpuState: 'stopped' | 'running' | 'free' = 'stopped';
  /** (its events are emitted as the test makes them: nothing to hold back) */
  deliver(): void {}
  private cpuBase = 0;
  /** CPU used so far (ns), including the current free run. */
  get cpuNs(): number {
    return this.cpuBase + (this.freeSince !== null ? (this.clock.now() - this.freeSince) * 1e6 * this.cores : 0);
  }
  memCeiling: number | null = null;
  private slice: { start: number; ms: number; resolve: (r: SliceResult) => void; timer: TimerHandle } | null = null;
  private freeSince: number | null = null;
  readonly mode: Record<CreditResource, Mode> = { netUp: 'unlimited', netDown: 'unlimited', disk: 'unlimited' };
  readonly credit: Record<CreditResource, number> = { netUp: 0, netDown: 0, disk: 0 };
  readonly moved: Record<CreditResource, number> = { netUp: 0, netDown: 0, disk: 0 };
  readonly held: Record<CreditResource, number> = { netUp: 0, netDown: 0, disk: 0 };
  /** Grants arrive at once here: sent and received are the same total. */
  readonly grantsSent: Record<CreditResource, number> = { netUp: 0, netDown: 0, disk: 0 };
  private senders: Partial<Record<CreditResource, { callSize: number; bytesPerMs: number; budget: number }>> = {};
  private appTimer: TimerHandle | null = null;
  private usageTimer: TimerHandle | null = null;

  constructor(private readonly clock: VirtualClock, ncpu = 2, readonly name = 'app') {
    super();
    this.hello = { version: 1, helperPid: 1, appPid: 2, ncpu, features: { seccomp: true, ptraceSeize: true, userNotif: true, rt: false, pidfd: true, notifPath: true, notifSyncWake: true, sockNotif: true }, udpCgroup: null, udpUncounted: null };
    this.scheduleUsage();
  }

  override on<E extends keyof HelperEvents>(event: E, listener: HelperEvents[E]): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }

  override off<E extends keyof HelperEvents>(event: E, listener: HelperEvents[E]): this {
    return super.off(event, listener as (...a: unknown[]) => void);
  }

  // ---- CPU ----
  runSlice(ms: number): Promise<SliceResult> {
    this.log.push(`run ${ms}`);
    if (this.closed) return Promise.reject(new Error('closed'));
    if (this.slice) return Promise.reject(new Error('slice already running'));
    this.accrueFree();
    this.cpuState = 'running';
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => this.endSlice('timer'), ms);
      this.slice = { start: this.clock.now(), ms, resolve, timer };
    });
  }

  stop(): Promise<void> {
    this.log.push('stop');
    this.accrueFree();
    this.endSlice('stop');
    this.cpuState = 'stopped';
    return Promise.resolve();
  }

  free(): Promise<void> {
    this.log.push('free');
    this.endSlice('stop');
    this.cpuState = 'free';
    this.freeSince = this.clock.now();
    return Promise.resolve();
  }

  private accrueFree(): void {
    if (this.freeSince !== null) {
      this.cpuBase += (this.clock.now() - this.freeSince) * 1e6 * this.cores;
      this.freeSince = null;
    }
  }

  private endSlice(ended: 'timer' | 'stop'): void {
    const s = this.slice;
    if (!s) return;
    this.slice = null;
    s.timer.cancel();
    const wallMs = this.clock.now() - s.start;
    const cpuNs = wallMs * 1e6 * this.cores;
    this.cpuBase += cpuNs;
    if (this.cpuState === 'running') this.cpuState = 'stopped';
    s.resolve({ cpuNs, wallNs: wallMs * 1e6, ended, runnable: this.runnable });
    // (emitted before the slice's promise callbacks run, as the real session does for one chunk)
    if (ended === 'timer' && this.wakesAtSliceEnd) this.emit('wake');
  }

  /** The app starts using `cores` from now on (what it used so far stays as it was). */
  setCores(cores: number): void {
    if (this.freeSince !== null) {
      this.accrueFree();
      this.freeSince = this.clock.now();
    }
    this.cores = cores;
  }

  /** A thread of the stopped app woke up (the helper's `wake`). */
  wake(): void {
    this.emit('wake');
  }

  /** The app exits. */
  exit(): void {
    if (this.closed) return;
    this.endSlice('stop');
    this.closed = true;
    this.appTimer?.cancel();
    this.usageTimer?.cancel();
    this.emit('exit', { code: 0, signal: null });
    this.emit('close');
  }

  // ---- bytes ----
  grant(resource: CreditResource, bytes: number): Promise<void> {
    this.log.push(`grant ${resource} ${bytes}`);
    this.credit[resource] += bytes;
    this.grantsSent[resource] += bytes;
    this.releaseHeld(resource);
    return Promise.resolve();
  }

  setLimitMode(resource: CreditResource, mode: Mode): Promise<void> {
    this.log.push(`limit ${resource} ${mode}`);
    this.mode[resource] = mode;
    if (mode === 'unlimited') this.releaseHeld(resource);
    return Promise.resolve();
  }

  setMemCeiling(bytes: number | null): Promise<void> {
    this.log.push(`mem ${bytes}`);
    this.memCeiling = bytes;
    return Promise.resolve();
  }

  setUsagePeriod(): Promise<void> {
    return Promise.resolve();
  }

  setOnEngineLoss(): Promise<void> {
    return Promise.resolve();
  }

  setCgroup(app: string, parent: string): Promise<void> {
    this.log.push(`cgroup ${app} ${parent}`);
    return Promise.resolve();
  }

  requestUsage(): Promise<void> {
    this.sendUsage();
    return Promise.resolve();
  }

  signal(): Promise<void> {
    return Promise.resolve();
  }

  terminate(): Promise<void> {
    this.exit();
    return Promise.resolve();
  }

  /**
   * The app moves bytes on `resource` as fast as it can up to `bytesPerMs`, in calls of
   * `callSize`, until `total` bytes (Infinity = forever).
   */
  startTransfer(resource: CreditResource, callSize: number, bytesPerMs: number, total = Infinity): void {
    this.senders[resource] = { callSize, bytesPerMs, budget: total };
    if (!this.appTimer) this.appTick();
  }

  stopTransfer(resource: CreditResource): void {
    delete this.senders[resource];
  }

  /** Bytes the helper charges on its own, without a call (readahead, reads through a mapping). */
  charge(resource: CreditResource, bytes: number): void {
    this.pass(resource, bytes);
  }

  /** Simulate the helper denying memory. */
  deny(bytes: number, syscall = 'mmap'): void {
    this.emit('denied', { resource: 'mem', syscall, bytes, pid: 2 });
  }

  private appTick(): void {
    this.appTimer = null;
    if (this.closed) return;
    for (const r of Object.keys(this.senders) as CreditResource[]) {
      const s = this.senders[r]!;
      if (this.held[r] > 0) continue; // the thread is blocked in its held call
      let room = s.bytesPerMs;
      while (room > 0 && s.budget > 0 && this.held[r] === 0) {
        const size = Math.min(s.callSize, s.budget);
        if (this.mode[r] === 'credit' && this.credit[r] <= 0) {
          this.held[r] = size;
          this.emit('demand', r, size);
          this.sendUsage();
          break;
        }
        this.pass(r, size);
        s.budget -= size;
        room -= size;
      }
    }
    if (Object.keys(this.senders).length > 0) this.appTimer = this.clock.setTimeout(() => this.appTick(), 1);
  }

  private pass(r: CreditResource, size: number): void {
    this.moved[r] += size;
    if (this.mode[r] === 'credit') this.credit[r] -= size;
  }

  private releaseHeld(r: CreditResource): void {
    if (this.held[r] > 0 && (this.mode[r] === 'unlimited' || this.credit[r] > 0)) {
      const size = this.held[r];
      this.held[r] = 0;
      this.pass(r, size);
      const s = this.senders[r];
      if (s) s.budget -= size;
    }
  }

  private scheduleUsage(): void {
    this.usageTimer = this.clock.setTimeout(() => {
      this.sendUsage();
      this.scheduleUsage();
    }, 100);
  }

  sendUsage(): void {
    if (this.closed) return;
    const u: HelperUsage = {
      t: this.clock.now(), cpuNs: this.cpuNs, netUp: this.moved.netUp, netDown: this.moved.netDown, diskRead: this.moved.disk, diskWrite: 0,
      memBytes: 0, heldNetUp: this.held.netUp, heldNetDown: this.held.netDown, heldDisk: this.held.disk,
      heldCalls: (this.held.netUp > 0 ? 1 : 0) + (this.held.netDown > 0 ? 1 : 0) + (this.held.disk > 0 ? 1 : 0),
      threads: 1, processes: 1, cpuState: this.cpuState,
      credit: { ...this.credit }, granted: { ...this.grantsSent },
    };
    this.lastUsage = u;
    this.emit('usage', u);
  }

  /** Stop the periodic timers (end of a test). */
  close(): void {
    this.appTimer?.cancel();
    this.usageTimer?.cancel();
    this.closed = true;
  }
}
