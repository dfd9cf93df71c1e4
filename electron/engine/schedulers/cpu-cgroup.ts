// CPU scheduler on the kernel's CPU bandwidth control (mechanism side): the alternative to
// cpu.ts's ptrace slices wherever a cgroup can be had (../cgroups/tree.ts).
//
// C2: the parent cgroup's quota is cap × cores per period. The kernel simply does not run the
// apps past it; nothing is interrupted, so no wait returns early and no timer is lost.
// C1: each app's cgroup weight is its policy share (nominal share plus its part of the spare, at
// least minShareOfCap: policyShares), and PNS still decides the split over time: every tick the
// CPU each app used (its helper's usage) is charged to the policy, and the apps level with the
// head of the PNS queue (the least Done, i.e. behind their share since they started) get `boost`
// times their weight, so an app that was blocked catches up, as in the paper's Fig. 4.
// Against the owner's own CPU hogs the parent's weight is the kernel's highest (dual priority,
// the role SCHED_RR plays in the paper), unless the owner turned dual priority off.
// Owner pauses, and a cap of 0 (which no quota can express), stop the app through its helper
// (transparent stops: native/src/stops.c). Removing an app, or disposing, moves its processes
// out of Interceptor's cgroups: never left throttled.
import type { Clock, TimerHandle } from '../clock.js';
import type { HelperSession, HelperUsage } from '../catcher/session.js';
import type { CgroupTree } from '../cgroups/tree.js';
import type { Policy } from '../policies/policy.js';
import { PnsPolicy } from '../policies/pns.js';
import { checkShare, policyShares } from './shares.js';
import { SchedulerEmitter, ignore, type ResourceScheduler, type SchedulerAppStatus } from './types.js';

export interface CgroupCpuSchedulerOptions {
  clock: Clock;
  ncpu: number;
  tree: CgroupTree;
  policy?: Policy;
  /** The PNS allocation unit in ms of one core (default 20, as cpu.ts's slice). */
  sliceMs?: number;
  /** The quota period in ms (default 20; longer when the quota would be under the kernel's 1 ms). */
  periodMs?: number;
  /** How often use is charged and weights are set (default 100 ms). */
  tickMs?: number;
  /** Weight factor of the apps level with the head of the PNS queue (default 8). */
  boost?: number;
  minShareOfCap?: number;
  /** The parent's weight against the owner's processes: the kernel's highest (default true). */
  dualPriority?: boolean;
  limitHitIntervalMs?: number;
}

interface CgroupApp {
  id: string;
  session: HelperSession;
  share: number;
  paused: boolean;
  gone: boolean;
  /** The helper was told to stop the tree (owner pause or cap 0); released: told anything yet. */
  stopped: boolean;
  released: boolean;
  /** Cumulative CPU at the last tick (ns), null before the first usage. */
  lastCpuNs: number | null;
  cpuNs: number | null;
  /** The relative weight last written to its cgroup. */
  relative: number;
  lastLimitHit: number;
  listeners: { usage: (u: HelperUsage) => void; exit: () => void; close: () => void };
}

/** Used less than this fraction of one core over a tick: not asking for the CPU. */
const READY_CORE_FRACTION = 0.01;

export class CgroupCpuScheduler extends SchedulerEmitter implements ResourceScheduler {
  readonly resource = 'cpu' as const;
  readonly policy: Policy;
  private readonly clock: Clock;
  private readonly ncpu: number;
  private readonly tree: CgroupTree;
  readonly sliceMs: number;
  private readonly periodMs: number;
  private readonly tickMs: number;
  private readonly boost: number;
  private readonly minShareOfCap: number;
  private readonly limitHitIntervalMs: number;
  private readonly apps = new Map<string, CgroupApp>();
  private cap: number | null = null;
  private shares = new Map<string, number>();
  private throttled: number;
  private timer: TimerHandle | null = null;
  private disposed = false;

  constructor(options: CgroupCpuSchedulerOptions) {
    super();
    this.clock = options.clock;
    this.ncpu = Math.max(1, Math.floor(options.ncpu));
    this.tree = options.tree;
    this.policy = options.policy ?? new PnsPolicy({ epoch: 20, tieBreak: 'leastUsed' });
    this.sliceMs = options.sliceMs ?? 20;
    this.periodMs = options.periodMs ?? 20;
    this.tickMs = options.tickMs ?? 100;
    this.boost = options.boost ?? 8;
    this.minShareOfCap = options.minShareOfCap ?? 0.02;
    this.limitHitIntervalMs = options.limitHitIntervalMs ?? 1000;
    this.tree.setGroupWeight(options.dualPriority ?? true);
    this.tree.setQuota(null, this.periodMs * 1000);
    this.throttled = this.tree.throttledPeriods();
  }

  /** What enforces, for a person. */
  get detail(): string {
    return this.tree.detail;
  }

  addApp(appId: string, session: HelperSession, share: number): void {
    if (this.disposed) throw new Error('cpu scheduler disposed');
    if (this.apps.has(appId)) throw new Error(`cpu: app ${appId} already added`);
    // Into its cgroup before its first instruction: the helper holds the app at its exec until
    // the first CPU command, so nothing of it ever runs outside.
    const dir = this.tree.createApp(appId);
    try {
      this.tree.join(appId, session.hello.appPid);
    } catch (error) {
      this.tree.releaseApp(appId);
      throw new Error(`cannot move ${appId} into its cgroup ${dir}: ${(error as Error).message}`);
    }
    const app: CgroupApp = {
      id: appId, session, share: checkShare(share), paused: false, gone: session.closed, stopped: false, released: false,
      lastCpuNs: null, cpuNs: null, relative: 0, lastLimitHit: -Infinity,
      listeners: {
        usage: (u) => { app.cpuNs = u.cpuNs; },
        exit: () => this.onGone(appId),
        close: () => this.onGone(appId),
      },
    };
    this.apps.set(appId, app);
    session.on('usage', app.listeners.usage);
    session.on('exit', app.listeners.exit);
    session.on('close', app.listeners.close);
    ignore(session.setCgroup(dir, this.tree.dir));
    this.policy.add(appId, 0);
    this.renormalise();
    this.applyRun(app);
    this.arm();
  }

  removeApp(appId: string): void {
    const app = this.apps.get(appId);
    if (!app) return;
    this.detach(app);
    this.apps.delete(appId);
    this.policy.remove(appId);
    this.tree.releaseApp(appId);
    if (!app.gone && !app.session.closed) ignore(app.session.free());
    this.renormalise();
  }

  setShare(appId: string, share: number): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.share = checkShare(share);
    this.renormalise();
  }

  setCap(cap: number | null): void {
    if (cap !== null && (!Number.isFinite(cap) || cap < 0 || cap > 1)) throw new RangeError(`cpu cap must be in [0, 1] or null, got ${cap}`);
    this.cap = cap;
    if (cap === null || cap === 0) {
      this.tree.setQuota(null, this.periodMs * 1000);
    } else {
      // the kernel's least quota is 1 ms: a longer period for small caps
      const budgetPerMs = cap * this.ncpu;
      const periodMs = Math.max(this.periodMs, 1 / budgetPerMs);
      this.tree.setQuota(budgetPerMs * periodMs * 1000, periodMs * 1000);
    }
    this.renormalise();
    for (const app of this.apps.values()) this.applyRun(app);
  }

  setPaused(appId: string, paused: boolean): void {
    const app = this.apps.get(appId);
    if (!app || app.paused === paused) return;
    app.paused = paused;
    if (paused) this.policy.blocked(appId);
    this.applyRun(app);
  }

  appStatus(appId: string): SchedulerAppStatus | null {
    const app = this.apps.get(appId);
    const st = this.policy.status(appId);
    if (!app || !st) return null;
    // A throttled task just waits for the next period: no app waits long for the CPU here.
    return { share: app.share, allocations: st.received, done: st.done, rem: st.rem, waiting: false, waitingMs: 0, paused: app.paused, ceiling: null };
  }

  /** Mechanism state, for tests and diagnostics. */
  weights(): Record<string, number> {
    return Object.fromEntries([...this.apps.values()].map((a) => [a.id, a.relative]));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.timer?.cancel();
    this.timer = null;
    for (const app of this.apps.values()) {
      this.detach(app);
      if (!app.gone && !app.paused && !app.session.closed) ignore(app.session.free());
    }
    this.apps.clear();
    this.tree.dispose();
    this.removeAllListeners();
  }

  // ---- internals ----

  /** Runs free in its cgroup unless paused by the owner or the cap is 0. */
  private applyRun(app: CgroupApp): void {
    if (app.gone) return;
    const stop = app.paused || this.cap === 0;
    if (app.released && stop === app.stopped) return;
    app.released = true;
    app.stopped = stop;
    ignore(stop ? app.session.stop() : app.session.free());
    if (!stop && this.cap !== null) this.policy.ready(app.id);
  }

  private renormalise(): void {
    const nominal = new Map([...this.apps.values()].map((a) => [a.id, a.share]));
    this.shares = policyShares(nominal, this.cap, this.minShareOfCap);
    for (const [id, share] of this.shares) this.policy.setShare(id, share);
    this.applyWeights();
  }

  private arm(): void {
    if (this.timer || this.disposed || this.apps.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.tick();
      this.arm();
    }, this.tickMs);
  }

  /** Charges what each app used to the policy, then sets the weights PNS asks for. */
  private tick(): void {
    const ready: CgroupApp[] = [];
    for (const app of this.apps.values()) {
      if (app.gone || app.cpuNs === null) continue;
      const used = app.lastCpuNs === null ? 0 : Math.max(0, app.cpuNs - app.lastCpuNs);
      app.lastCpuNs = app.cpuNs;
      if (used > 0) this.policy.consumed(app.id, used / (this.sliceMs * 1e6));
      if (app.stopped || used < READY_CORE_FRACTION * this.tickMs * 1e6) this.policy.blocked(app.id);
      else {
        this.policy.ready(app.id);
        ready.push(app);
      }
    }
    const throttled = this.tree.throttledPeriods();
    if (throttled > this.throttled && this.cap !== null) for (const app of ready) this.limitHit(app);
    this.throttled = throttled;
    this.applyWeights();
  }

  private applyWeights(): void {
    const level = new Set(this.policy.order().filter((e) => e.concurrentWithHead).map((e) => e.id));
    for (const app of this.apps.values()) {
      if (app.gone) continue;
      const relative = (this.shares.get(app.id) ?? 0) * (level.has(app.id) ? this.boost : 1);
      if (Math.abs(relative - app.relative) < 1e-9) continue;
      try {
        this.tree.setWeight(app.id, relative);
        app.relative = relative;
      } catch {
        // its cgroup is gone (the app exited): onGone follows
      }
    }
  }

  private onGone(appId: string): void {
    const app = this.apps.get(appId);
    if (!app || app.gone) return;
    app.gone = true;
    this.policy.blocked(appId);
    this.tree.releaseApp(appId);
  }

  private detach(app: CgroupApp): void {
    app.session.off('usage', app.listeners.usage);
    app.session.off('exit', app.listeners.exit);
    app.session.off('close', app.listeners.close);
  }

  private limitHit(app: CgroupApp): void {
    const now = this.clock.now();
    if (now - app.lastLimitHit < this.limitHitIntervalMs) return;
    app.lastLimitHit = now;
    this.emit('limitHit', app.id, 'cpu');
  }
}
