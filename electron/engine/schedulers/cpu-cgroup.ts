// CPU scheduler on the kernel's CPU bandwidth control (mechanism side): the alternative to
// cpu.ts's ptrace slices wherever a cgroup can be had (../cgroups/tree.ts).
//
// C2: the parent cgroup's quota is cap × cores per period. The kernel simply does not run the
// apps past it; nothing is interrupted, so no wait returns early and no timer is lost.
// C1: weights alone cannot split a quota on several cores (two apps on two CPUs never meet in
// one run queue: whoever runs takes the quota), so PNS decides each app's own quota every tick.
// Its weight is its policy share (nominal share plus its part of the spare, at least
// minShareOfCap: policyShares), times `boost` when it is level with the head of the PNS queue
// (the least Done: behind its share since it started), so an app that was blocked catches up,
// as in the paper's Fig. 4. Each app may use its guaranteed part of the cap (by its policy share)
// the moment it asks, and of what the others leave unused a part in proportion to its weight, up
// to what it asks (splitBudget): work-conserving within the cap. What it asks is what it used in the last tick
// (its helper's usage) with a margin, or more if its own quota held it back (the kernel's
// throttling count). Cgroup weights put an app that asks for no more than its part ahead of the
// apps using what others leave (applyAllocation).
// Against the owner's own CPU hogs the parent's weight is the kernel's highest (dual priority,
// the role SCHED_RR plays in the paper), unless the owner turned dual priority off.
// Owner pauses, and a cap of 0 (which no quota can express), stop the app through its helper
// (transparent stops: native/src/stops.c). Removing an app, or disposing, moves its processes
// out of Interceptor's cgroups: never left throttled.
import type { Clock, TimerHandle } from '../clock.js';
import type { HelperSession } from '../catcher/session.js';
import type { CgroupTree } from '../cgroups/tree.js';
import type { Policy } from '../policies/policy.js';
import { schedulerPolicy } from './policy.js';
import { rejoin } from '../policies/ceilings.js';
import { checkShare, policyShares, splitBudget, type BudgetClaim } from './shares.js';
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
  /** The helper's usage sample the last tick used (its clock, ms; cumulative CPU, ns). */
  sample: { t: number; cpuNs: number } | null;
  /** Cores it used over the last samples; null until known. */
  rate: number | null;
  /** Its own quota held it back in the last tick (kernel nr_throttled grew). */
  heldBack: boolean;
  throttledPeriods: number;
  /** The relative weight last written to its cgroup, and its quota (µs per period; null = none). */
  relative: number;
  quotaUs: number | null;
  periodUs: number;
  lastLimitHit: number;
  /** Its ceiling in cores (a bound on its own quota, with or without a cap); null = none. */
  ceiling: number | null;
  /** Its processes are in its cgroup: only while a cap or its ceiling bounds it (see place). */
  joined: boolean;
  listeners: { exit: () => void; close: () => void };
}

/** Used less than this fraction of one core over a tick: not asking for the CPU. */
const READY_CORE_FRACTION = 0.01;
/** What an app is expected to ask next: what it used, plus this part of it and this much more (cores). */
const DEMAND_MARGIN = 0.25;
const DEMAND_FLOOR = 0.02;
/** Cgroup weights (relative, see kernelWeight): an app within its part of the cap comes first. */
const LENDER_WEIGHT = 1000;
/** How far past its part an app within its part may burst until the next tick. */
const LENDER_BURST = 4;
/** The quota period of an app using more than its part (µs; longer when its quota would be under 1 ms). */
const BORROWER_PERIOD_US = 10_000;
/** The kernel's bounds on a quota and its period (µs). */
const MIN_QUOTA_US = 1000;
const MAX_QUOTA_PERIOD_US = 1_000_000;
const BORROWER_SCALE = 0.1;

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
  private readonly dualPriority: boolean;
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
    this.policy = options.policy ?? schedulerPolicy();
    this.sliceMs = options.sliceMs ?? 20;
    this.periodMs = options.periodMs ?? 20;
    this.tickMs = options.tickMs ?? 100;
    this.boost = options.boost ?? 8;
    this.minShareOfCap = options.minShareOfCap ?? 0.02;
    this.limitHitIntervalMs = options.limitHitIntervalMs ?? 1000;
    this.dualPriority = options.dualPriority ?? true;
    this.tree.setGroupWeight(false);
    this.tree.setQuota(null, this.periodMs * 1000);
    this.throttled = this.tree.throttledPeriods();
  }

  /** What enforces, for a person. */
  get detail(): string {
    return this.tree.detail;
  }

  addApp(appId: string, session: HelperSession, share: number, ceiling: number | null = null): void {
    if (this.disposed) throw new Error('cpu scheduler disposed');
    if (this.apps.has(appId)) throw new Error(`cpu: app ${appId} already added`);
    // Bounded, into its cgroup before its first instruction: the helper holds the app at its exec
    // until the first CPU command, so nothing of it ever runs outside.
    const dir = this.tree.createApp(appId);
    const joined = this.cap !== null || ceiling !== null;
    try {
      if (joined) this.tree.join(appId, session.hello.appPid);
    } catch (error) {
      this.tree.releaseApp(appId);
      throw new Error(`cannot move ${appId} into its cgroup ${dir}: ${(error as Error).message}`);
    }
    const app: CgroupApp = {
      id: appId, session, share: checkShare(share), paused: false, gone: session.closed, stopped: false, released: false,
      sample: null, rate: null, heldBack: false, throttledPeriods: 0, relative: 0, quotaUs: null, periodUs: 0, lastLimitHit: -Infinity,
      ceiling: this.ceilingCores(ceiling), joined, listeners: { exit: () => this.onGone(appId), close: () => this.onGone(appId) },
    };
    this.apps.set(appId, app);
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

  /** PNS with an upper bound: the app's own quota never exceeds its ceiling; what it leaves goes to the others (splitBudget). */
  setCeiling(appId: string, ceiling: number | null): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.ceiling = this.ceilingCores(ceiling);
    this.place(app);
    rejoin(this.policy, appId);
    this.applyRun(app);
    this.applyAllocation();
  }

  private ceilingCores(ceiling: number | null): number | null {
    if (ceiling !== null && (!Number.isFinite(ceiling) || ceiling < 0 || ceiling > 1)) throw new RangeError(`cpu ceiling must be in [0, 1] or null, got ${ceiling}`);
    return ceiling === null ? null : ceiling * this.ncpu;
  }

  setCap(cap: number | null): void {
    if (cap !== null && (!Number.isFinite(cap) || cap < 0 || cap > 1)) throw new RangeError(`cpu cap must be in [0, 1] or null, got ${cap}`);
    this.cap = cap;
    // cgroup v1 refuses a parent quota below a child's: the apps' quotas go first
    for (const app of this.apps.values()) {
      if (app.gone || app.quotaUs === null) continue;
      try {
        this.tree.setAppQuota(app.id, null, this.period() * 1000);
      } catch {
        // its cgroup is gone (the app exited)
      }
      app.quotaUs = null;
    }
    if (cap === null || cap === 0) this.tree.setQuota(null, this.periodMs * 1000);
    else this.tree.setQuota(cap * this.ncpu * this.period() * 1000, this.period() * 1000);
    // above the owner's processes only while the quota bounds it: uncapped, the apps compete fairly
    this.tree.setGroupWeight(this.dualPriority && cap !== null);
    for (const app of this.apps.values()) this.place(app);
    this.renormalise();
    for (const app of this.apps.values()) this.applyRun(app);
    this.applyAllocation();
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
    const ceiling = app.ceiling === null ? null : app.ceiling / this.ncpu;
    return { share: app.share, allocations: st.received, done: st.done, rem: st.rem, waiting: false, waitingMs: 0, paused: app.paused, ceiling };
  }

  /** Mechanism state, for tests and diagnostics: each app's weight and quota (µs per period). */
  weights(): Record<string, number> {
    return Object.fromEntries([...this.apps.values()].map((a) => [a.id, a.relative]));
  }

  /** Each app's quota as cores (quota / period); null = none. */
  quotas(): Record<string, number | null> {
    return Object.fromEntries([...this.apps.values()].map((a) => [a.id, a.quotaUs === null ? null : a.quotaUs / a.periodUs]));
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

  /**
   * An app's processes are in its cgroup only while a cap or its ceiling bounds it. Unbounded they
   * stay where they were, competing as natively: in a cgroup, all its threads together weigh as
   * much as one thread of the owner's (a two-thread app beside one busy owner thread got 1.1 cores
   * of 2 there, 1.3 natively).
   */
  private place(app: CgroupApp): void {
    const bounded = this.cap !== null || app.ceiling !== null;
    if (app.gone || bounded === app.joined) return;
    try {
      if (bounded) this.tree.joinTree(app.id, app.session.hello.helperPid, app.session.hello.appPid);
      else this.tree.leaveApp(app.id, app.session.hello.udpCgroup);
      app.joined = bounded;
    } catch (error) {
      // its cgroup is gone (the app exited): onGone follows; else the cap does not hold on it: say so
      if (!app.gone && !app.session.closed && this.apps.has(app.id)) {
        const what = bounded ? 'into its cgroup: its CPU cap is not enforced' : 'out of its cgroup';
        this.emit('warning', app.id, `cannot move ${app.id} ${what} (${(error as Error).message})`);
      }
    }
  }

  /** Runs free in its cgroup unless paused by the owner, or the cap or its ceiling is 0 (no quota can say 0). */
  private applyRun(app: CgroupApp): void {
    if (app.gone) return;
    const stop = app.paused || this.cap === 0 || app.ceiling === 0;
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
    this.applyAllocation();
  }

  /** The quota period (ms): longer for small caps, so a quota is never under the kernel's 1 ms. */
  private period(): number {
    const budgetPerMs = (this.cap ?? 1) * this.ncpu;
    return budgetPerMs > 0 ? Math.max(this.periodMs, 1 / budgetPerMs) : this.periodMs;
  }

  private arm(): void {
    if (this.timer || this.disposed || this.apps.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.tick();
      this.arm();
    }, this.tickMs);
  }

  /** Charges what each app used to the policy, then sets the weights and quotas PNS asks for. */
  private tick(): void {
    const ready: CgroupApp[] = [];
    for (const app of this.apps.values()) {
      if (app.gone) continue;
      this.measure(app);
      if (!app.stopped && (app.heldBack || (app.rate ?? 0) >= READY_CORE_FRACTION)) {
        this.policy.ready(app.id);
        ready.push(app);
      } else {
        this.policy.blocked(app.id);
      }
    }
    const throttled = this.tree.throttledPeriods();
    if (this.cap !== null && (throttled > this.throttled || ready.some((a) => a.heldBack))) for (const app of ready) this.limitHit(app);
    this.throttled = throttled;
    this.applyAllocation();
  }

  /** What the app used since the last tick (from its helper's usage samples), charged to the policy. */
  private measure(app: CgroupApp): void {
    const u = app.session.lastUsage;
    if (u && (!app.sample || u.t > app.sample.t)) {
      if (app.sample) {
        const used = Math.max(0, u.cpuNs - app.sample.cpuNs);
        app.rate = used / ((u.t - app.sample.t) * 1e6);
        if (used > 0) this.policy.consumed(app.id, used / (this.sliceMs * 1e6));
      }
      app.sample = { t: u.t, cpuNs: u.cpuNs };
    }
    const throttled = this.tree.appThrottledPeriods(app.id);
    app.heldBack = throttled > app.throttledPeriods;
    app.throttledPeriods = throttled;
  }

  /** Its weight among the apps that want more than their part: the policy share, boosted while level with the head of the PNS queue. */
  private weightOf(app: CgroupApp, level: ReadonlySet<string>): number {
    return (this.shares.get(app.id) ?? 0) * (level.has(app.id) ? this.boost : 1);
  }

  /**
   * Each running app's quota (its part of the cap: splitBudget) and cgroup weight. The quotas
   * lend what an app leaves of its part to the others, so together they can exceed the parent's
   * quota; when the lender wants its part back within a period, the weights decide who gets the
   * parent's rest: an app within its part comes first (LENDER_WEIGHT, far above any other), so
   * its part is there the moment it asks, give or take one period.
   */
  private applyAllocation(): void {
    const running = [...this.apps.values()].filter((a) => !a.gone && !a.stopped);
    const level = new Set(this.policy.order().filter((e) => e.concurrentWithHead).map((e) => e.id));
    const periodUs = this.period() * 1000;
    const capped = this.cap !== null && this.cap > 0;
    const budget = capped ? this.cap! * this.ncpu : 0;
    const claims = new Map<string, BudgetClaim>();
    let shareSum = 0;
    for (const app of running) {
      const asked = app.heldBack || app.rate === null ? Infinity : app.rate * (1 + DEMAND_MARGIN) + DEMAND_FLOOR;
      const demand = Math.min(asked, app.ceiling ?? Infinity); // past its ceiling it asks nothing: the others get it
      const share = this.shares.get(app.id) ?? 0;
      claims.set(app.id, { share, weight: this.weightOf(app, level), demand });
      shareSum += share;
    }
    const allocation = capped ? splitBudget(budget, claims) : new Map<string, number>();
    const guarantee = (id: string) => (shareSum > 0 ? (budget * claims.get(id)!.share) / shareSum : 0);
    const isLender = (id: string) => capped && claims.get(id)!.demand <= guarantee(id);
    const anyLender = running.some((a) => isLender(a.id));
    for (const app of running) {
      const claim = claims.get(app.id)!;
      const lender = isLender(app.id);
      // a lender may burst past its part for a moment (a bursty client starting a process, say),
      // ahead of the borrowers; if it keeps using more it is a borrower at the next tick
      const part = Math.min(budget, Math.max(allocation.get(app.id) ?? 0, lender ? LENDER_BURST * guarantee(app.id) : 0));
      const cores = app.ceiling === null ? part : capped ? Math.min(part, app.ceiling) : app.ceiling;
      // Beside lenders, a borrower's quota comes in shorter periods, so it uses the parent's
      // quota evenly and leaves some of every parent period to them (in long ones it would take
      // its all at the start of each, and a lender waking later would wait for the next)
      // (and never a quota under the kernel's 1 ms: a longer period for a small part)
      const base = anyLender && !lender ? Math.min(periodUs, BORROWER_PERIOD_US) : periodUs;
      const ownPeriodUs = cores > 0 ? Math.min(MAX_QUOTA_PERIOD_US, Math.max(base, Math.ceil(MIN_QUOTA_US / cores))) : periodUs;
      // (never above the parent's: cgroup v1 would refuse it)
      const quota = capped || app.ceiling !== null ? Math.floor(cores * ownPeriodUs + 1e-6) : null;
      const relative = lender ? LENDER_WEIGHT : claim.weight * BORROWER_SCALE;
      try {
        if (quota !== app.quotaUs || ownPeriodUs !== app.periodUs) this.tree.setAppQuota(app.id, quota, ownPeriodUs);
        app.quotaUs = quota;
        app.periodUs = ownPeriodUs;
        if (Math.abs(relative - app.relative) > 1e-9) this.tree.setWeight(app.id, relative);
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
