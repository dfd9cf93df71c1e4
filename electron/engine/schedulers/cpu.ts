// CPU scheduler (mechanism side). Units: shares and the cap are fractions of the whole
// machine (all cores).
//
// Allocation = one slice of `sliceMs` wall time given to one app's whole process tree
// (session.runSlice); the helper stops the tree at the end and reports the CPU the tree
// really used (all threads, all cores). The policy is charged cpuNs / sliceMs: measured,
// fractional, so a multi-threaded app pays for what it used and an app that blocked early
// pays only for what it ran.
//
// C2 — the paper's T_susp (Eq. 2) generalised to many cores and threads: a token bucket
// of CPU time. Tokens accrue at cap × ncpu CPU-ms per wall ms; the bucket holds at most
// one slice × ncpu (no burst after an idle period). A dispatch reserves the app's
// expected use (its last measured cores × slice) and only happens while tokens > 0; when
// the slice ends the reservation is replaced by the measured CPU. The bucket may go
// negative; then nobody is dispatched until it refills. Exact in the long run because it
// charges measurements, not intentions. With a single core and a single-threaded app,
// this is T_susp = (1 − S)/S · TSD.
//
// C1 — PNS on several cores: the budget, not the cores, is scarce. Up to ncpu apps run at
// once, but only apps level with the head of the PNS queue (same Done); otherwise two apps
// on two cores would split the budget equally whatever their shares. Work conservation:
// when the bucket is full (the level apps cannot use the budget) the next apps run too.
//
// No app starves: the policy's shares are the nominal shares plus an equal part of what they
// leave of the cap, and at least `minShareOfCap` of the cap each, so an app with share 0 (which
// "gets what the others leave") is still a PNS client with a Done of its own: an I/O-bound app
// that uses little stays behind in Done and goes first whenever it wakes.
//
// Blocking: the helper reports how many threads were still runnable when a slice ended
// (transparent stops: sleeping threads are never stopped, see native/src/stops.c); none means
// the app is blocked: it is reported blocked() to the policy until the helper says a thread
// woke (`wake`), or `idleRetryMs` passed. A helper that does not report it is judged by the CPU
// it used: less than `blockedCpuFraction` (0.25) of one core means blocked, retried after
// `blockedRetryMs`. Its lower Done lets it catch up later (bounded if the policy says so).
//
// Ceilings (PNS with upper bounds, policies/ceilings.ts): a bucket per app filled at its ceiling
// (ceiling × ncpu CPU-ms per ms), charged like the global one; an app whose bucket is empty is
// out of the PNS queue (blocked) until it refills, and rejoins level with the others: it is owed
// nothing for what its ceiling kept from it. Without an owner's cap the apps without a ceiling
// run free and those with one are dispatched in slices whenever their bucket allows (at the dual
// priority, bounded by their ceiling), so one app's ceiling changes nothing for the others.
//
// Cap null: apps without a ceiling run free (session.free()). Removing an app,
// setting the cap to null or disposing the scheduler never leaves an app stopped, except
// an app paused by the owner (paused = stopped, never dispatched) on dispose.
import type { Clock, TimerHandle } from '../clock.js';
import type { HelperSession } from '../catcher/session.js';
import { CeilingBuckets, rejoin } from '../policies/ceilings.js';
import type { Policy } from '../policies/policy.js';
import { schedulerPolicy } from './policy.js';
import { checkShare, policyShares } from './shares.js';
import { SchedulerEmitter, ignore, type ResourceScheduler, type SchedulerAppStatus } from './types.js';

export interface CpuSchedulerOptions {
  clock: Clock;
  /** Cores of the machine (the cap is a fraction of all of them). */
  ncpu: number;
  /**
   * Default: schedulerPolicy() (PNS, epoch SCHEDULER_EPOCH, tieBreak 'leastUsed'): CPU allocations are charged as
   * measured (a 2-thread slice costs 2, a slice that blocked early costs less), so apps
   * with the same Done are multiplexed by CPU used, not by number of slices.
   */
  policy?: Policy;
  /** Allocation length in wall ms (default 20). */
  sliceMs?: number;
  /**
   * A slice that used less than this fraction of one core means "blocked" (default 0.25).
   * Not 0.5: without the dual priority (--rt) a CPU-bound app dispatched while owner
   * threads compete under CFS may get only half a core, and must not be taken as blocked.
   */
  blockedCpuFraction?: number;
  /** How long a blocked app waits before it is offered the CPU again (default 2 slices). */
  blockedRetryMs?: number;
  /** The same when the helper reports runnable threads and wakes (default 1000 ms: a safety net). */
  idleRetryMs?: number;
  /** The least part of the cap each app's policy share is (default 0.02), whatever its nominal share. */
  minShareOfCap?: number;
  /** Minimum interval between two limitHit events of one app (default 1000 ms). */
  limitHitIntervalMs?: number;
  /** Bucket capacity in CPU-ms (default sliceMs × ncpu). */
  bucketMs?: number;
}

interface CpuApp {
  id: string;
  session: HelperSession;
  share: number;
  paused: boolean;
  gone: boolean;
  /** A slice is in flight (the helper has not reported its end yet). */
  inFlight: boolean;
  /** Bumped whenever an in-flight slice must no longer lead to a re-dispatch decision. */
  gen: number;
  /** CPU-ms reserved for the in-flight slice. */
  reserved: number;
  /** Last measured cores used during a slice (cpu / wall), the dispatch estimate. */
  cores: number;
  blockedTimer: TimerHandle | null;
  /** Blocked on I/O by our detection (policy told blocked()). */
  ioBlocked: boolean;
  /** The helper said a thread woke while the slice was in flight: the stop that ends a slice sends
   * its `wake` before the slice's end is handled here (one read carries both), so the slice's end
   * must not leave the app blocked. */
  wokeInFlight: boolean;
  /** When it last became ready or was last dispatched (for `waitingMs`). */
  lastServedOrReady: number;
  lastLimitHit: number;
  /** Its ceiling's bucket is empty: out of the PNS queue until it refills. */
  atCeiling: boolean;
  listeners: { exit: () => void; close: () => void; wake: () => void };
}

export interface CpuSchedulerStats {
  cap: number | null;
  tokensMs: number;
  bucketMs: number;
  inFlight: number;
  /** Total CPU charged to all apps while capped (ns). */
  chargedNs: number;
  slices: number;
}

export class CpuScheduler extends SchedulerEmitter implements ResourceScheduler {
  readonly resource = 'cpu' as const;
  readonly ncpu: number;
  readonly sliceMs: number;
  readonly policy: Policy;
  private readonly clock: Clock;
  private readonly blockedCpuFraction: number;
  private readonly blockedRetryMs: number;
  private readonly idleRetryMs: number;
  private readonly minShareOfCap: number;
  private readonly limitHitIntervalMs: number;
  private readonly bucketMs: number;
  private readonly apps = new Map<string, CpuApp>();
  private cap: number | null = null;
  private readonly ceilings: CeilingBuckets;
  private tokens = 0; // CPU-ms
  private lastRefill: number;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private disposed = false;
  private chargedNs = 0;
  private slices = 0;

  constructor(options: CpuSchedulerOptions) {
    super();
    this.clock = options.clock;
    this.ncpu = Math.max(1, Math.floor(options.ncpu));
    this.policy = options.policy ?? schedulerPolicy();
    this.sliceMs = options.sliceMs ?? 20;
    if (!(this.sliceMs > 0)) throw new RangeError('sliceMs must be > 0');
    this.blockedCpuFraction = options.blockedCpuFraction ?? 0.25;
    this.blockedRetryMs = options.blockedRetryMs ?? 2 * this.sliceMs;
    this.idleRetryMs = options.idleRetryMs ?? 1000;
    this.minShareOfCap = options.minShareOfCap ?? 0.02;
    if (!(this.minShareOfCap >= 0 && this.minShareOfCap <= 1)) throw new RangeError('minShareOfCap must be in [0, 1]');
    this.limitHitIntervalMs = options.limitHitIntervalMs ?? 1000;
    this.bucketMs = options.bucketMs ?? this.sliceMs * this.ncpu;
    this.lastRefill = this.clock.now();
    this.ceilings = new CeilingBuckets(this.sliceMs);
  }

  addApp(appId: string, session: HelperSession, share: number, ceiling: number | null = null): void {
    if (this.disposed) throw new Error('cpu scheduler disposed');
    if (this.apps.has(appId)) throw new Error(`cpu: app ${appId} already added`);
    const app: CpuApp = {
      id: appId, session, share: checkShare(share), paused: false, gone: session.closed, inFlight: false, gen: 0, reserved: 0,
      cores: 1, blockedTimer: null, ioBlocked: false, wokeInFlight: false, lastServedOrReady: this.clock.now(), lastLimitHit: -Infinity, atCeiling: false,
      listeners: { exit: () => this.onGone(appId), close: () => this.onGone(appId), wake: () => this.onWake(appId) },
    };
    this.apps.set(appId, app);
    session.on('exit', app.listeners.exit);
    session.on('close', app.listeners.close);
    session.on('wake', app.listeners.wake);
    this.policy.add(appId, 0);
    this.ceilings.set(appId, this.ceilingRate(ceiling), this.clock.now());
    this.renormalise();
    if (app.gone) return;
    if (this.cap === null && this.ceilings.has(appId)) {
      this.pump(); // held stopped by its helper until its first slice
    } else if (this.cap === null) {
      ignore(session.free());
    } else {
      this.makeReady(app);
      this.pump();
    }
  }

  removeApp(appId: string): void {
    const app = this.apps.get(appId);
    if (!app) return;
    this.apps.delete(appId);
    app.gen++;
    app.blockedTimer?.cancel();
    app.session.off('exit', app.listeners.exit);
    app.session.off('close', app.listeners.close);
    app.session.off('wake', app.listeners.wake);
    this.policy.remove(appId);
    // Never leave an app stopped behind us.
    if (!app.gone && !app.session.closed) ignore(app.session.free());
    this.ceilings.remove(appId);
    this.renormalise();
    this.pump();
  }

  setCeiling(appId: string, ceiling: number | null): void {
    const app = this.apps.get(appId);
    if (!app) return;
    this.ceilings.set(appId, this.ceilingRate(ceiling), this.clock.now());
    if (app.atCeiling) {
      app.atCeiling = false;
      if (!app.ioBlocked && !app.paused && !app.gone) this.makeReady(app);
    }
    rejoin(this.policy, appId);
    if (this.cap === null && !app.gone && !app.paused) {
      // uncapped: a ceiling puts the app in slices, none lets it run free
      app.gen++;
      ignore(ceiling === null ? app.session.free() : app.session.stop());
    }
    this.pump();
  }

  setShare(appId: string, share: number): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.share = checkShare(share);
    this.renormalise();
    this.pump();
  }

  setCap(cap: number | null): void {
    if (cap !== null && (!Number.isFinite(cap) || cap < 0 || cap > 1)) throw new RangeError(`cpu cap must be in [0, 1] or null, got ${cap}`);
    const was = this.cap;
    this.refill();
    this.cap = cap;
    this.renormalise();
    if (cap === null) {
      this.cancelTimer();
      this.tokens = 0;
      for (const app of this.apps.values()) {
        app.gen++; // an in-flight slice ends; the app must stay free (or in slices of its ceiling)
        if (!app.gone && !app.paused) ignore(this.ceilings.has(app.id) ? app.session.stop() : app.session.free());
      }
      this.pump();
      return;
    }
    this.tokens = Math.min(this.tokens, this.bucketMs);
    if (was === null) {
      this.tokens = 0; // no initial burst
      this.lastRefill = this.clock.now();
      for (const app of this.apps.values()) {
        if (app.gone || app.paused) continue;
        ignore(app.session.stop());
        if (!app.ioBlocked) this.makeReady(app);
      }
    }
    this.pump();
  }

  setPaused(appId: string, paused: boolean): void {
    const app = this.apps.get(appId);
    if (!app || app.paused === paused) return;
    app.paused = paused;
    if (paused) {
      app.gen++;
      app.blockedTimer?.cancel();
      app.blockedTimer = null;
      app.ioBlocked = false;
      this.policy.blocked(appId);
      if (!app.gone) ignore(app.session.stop());
      this.pump();
      return;
    }
    if (app.gone) return;
    if (this.cap === null && !this.ceilings.has(appId)) {
      ignore(app.session.free());
    } else {
      this.makeReady(app);
      this.pump();
    }
  }

  appStatus(appId: string): SchedulerAppStatus | null {
    const app = this.apps.get(appId);
    const st = this.policy.status(appId);
    if (!app || !st) return null;
    const waiting = st.ready && !app.inFlight && !app.paused && !app.gone && this.cap !== null;
    return {
      share: app.share, allocations: st.received, done: st.done, rem: st.rem,
      waiting, waitingMs: waiting ? this.clock.now() - app.lastServedOrReady : 0, paused: app.paused, ceiling: this.ceilingOf(appId),
    };
  }

  /** Mechanism state, for tests and diagnostics. */
  stats(): CpuSchedulerStats {
    this.refill();
    let inFlight = 0;
    for (const a of this.apps.values()) if (a.inFlight) inFlight++;
    return { cap: this.cap, tokensMs: this.tokens, bucketMs: this.bucketMs, inFlight, chargedNs: this.chargedNs, slices: this.slices };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelTimer();
    for (const app of this.apps.values()) {
      app.gen++;
      app.blockedTimer?.cancel();
      app.session.off('exit', app.listeners.exit);
      app.session.off('close', app.listeners.close);
    app.session.off('wake', app.listeners.wake);
      if (!app.gone && !app.paused && !app.session.closed) ignore(app.session.free());
    }
    this.apps.clear();
    this.removeAllListeners();
  }

  // ---- internals ----

  /** The policy's shares (see policyShares): nominal shares, the spare and a floor, normalised to the cap. */
  private renormalise(): void {
    const nominal = new Map([...this.apps.values()].map((a) => [a.id, a.share]));
    for (const [id, share] of policyShares(nominal, this.cap, this.minShareOfCap)) this.policy.setShare(id, share);
  }

  /** CPU-ms per ms of a ceiling (a fraction of the machine). */
  private ceilingRate(ceiling: number | null): number | null {
    if (ceiling !== null && (!Number.isFinite(ceiling) || ceiling < 0 || ceiling > 1)) throw new RangeError(`cpu ceiling must be in [0, 1] or null, got ${ceiling}`);
    return ceiling === null ? null : ceiling * this.ncpu;
  }

  private ceilingOf(appId: string): number | null {
    const rate = this.ceilings.rate(appId);
    return rate === null ? null : rate / this.ncpu;
  }

  /** Apps whose ceiling's bucket emptied leave the PNS queue; refilled, they rejoin it level with the others. */
  private checkCeilings(now: number): void {
    for (const app of this.apps.values()) {
      if (!this.ceilings.has(app.id)) continue;
      const at = this.ceilings.available(app.id, now) <= 0;
      if (at === app.atCeiling) continue;
      app.atCeiling = at;
      if (at) {
        this.policy.blocked(app.id);
      } else {
        rejoin(this.policy, app.id);
        if (!app.ioBlocked && !app.paused && !app.gone) this.makeReady(app);
      }
    }
  }

  /** The policy learns that the app asks for the CPU. */
  private makeReady(app: CpuApp): void {
    if (app.atCeiling) return; // it asks again when its ceiling refills (checkCeilings)
    if (!this.policy.status(app.id)?.ready) app.lastServedOrReady = this.clock.now();
    this.policy.ready(app.id);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.cap !== null && now > this.lastRefill) {
      this.tokens = Math.min(this.bucketMs, this.tokens + (now - this.lastRefill) * this.cap * this.ncpu);
    }
    this.lastRefill = now;
  }

  private pump(): void {
    if (this.disposed) return;
    if (this.cap === null) {
      this.pumpCeiled();
      return;
    }
    this.refill();
    const now = this.clock.now();
    this.checkCeilings(now);
    let inFlight = 0;
    for (const a of this.apps.values()) if (a.inFlight) inFlight++;
    let waitingForTokens = false;
    let waitingForLevel = false;
    for (const entry of this.policy.order()) {
      const app = this.apps.get(entry.id);
      if (!app || app.inFlight || app.paused || app.gone || app.atCeiling) continue;
      if (inFlight >= this.ncpu) break;
      const full = this.tokens >= this.bucketMs - 1e-9; // the budget would overflow: work conservation
      if (!entry.concurrentWithHead && !full) {
        waitingForLevel = true;
        continue;
      }
      if (this.tokens <= 0) {
        waitingForTokens = true;
        this.limitHit(app);
        continue;
      }
      this.dispatch(app);
      inFlight++;
    }
    // Wake up when the bucket allows the next dispatch (tokens > 0), or when it is full
    // (work conservation for apps not level with the head).
    const rate = this.cap * this.ncpu; // CPU-ms per ms
    let wakeIn = Infinity;
    if (rate > 0 && inFlight < this.ncpu) {
      if (waitingForTokens) wakeIn = Math.max(0, -this.tokens) / rate + 0.05;
      if (waitingForLevel) wakeIn = Math.min(wakeIn, Math.max(0, this.bucketMs - this.tokens) / rate + 0.05);
    }
    for (const app of this.apps.values()) {
      if (app.atCeiling && !app.paused && !app.gone) wakeIn = Math.min(wakeIn, this.ceilings.waitMs(app.id, 1e-6, now) + 0.05);
    }
    this.armTimer(wakeIn);
  }

  /** No cap: each app with a ceiling runs a slice whenever its bucket allows; the others run free. */
  private pumpCeiled(): void {
    const now = this.clock.now();
    let wakeIn = Infinity;
    for (const app of this.apps.values()) {
      if (!this.ceilings.has(app.id) || app.inFlight || app.paused || app.gone) continue;
      const wait = this.ceilings.waitMs(app.id, 1e-6, now);
      if (wait <= 0) this.dispatch(app);
      else wakeIn = Math.min(wakeIn, wait + 0.05);
    }
    this.armTimer(wakeIn);
  }

  private dispatch(app: CpuApp): void {
    const gen = app.gen;
    app.inFlight = true;
    app.wokeInFlight = false;
    app.lastServedOrReady = this.clock.now();
    app.reserved = this.sliceMs * Math.min(this.ncpu, Math.max(0.05, app.cores));
    this.tokens -= app.reserved;
    this.ceilings.charge(app.id, app.reserved, this.clock.now());
    app.session.runSlice(this.sliceMs).then(
      (r) => this.sliceEnded(app, gen, r.cpuNs, r.wallNs, r.ended, r.runnable),
      () => this.sliceEnded(app, gen, 0, 0, 'exit', null),
    );
  }

  private sliceEnded(app: CpuApp, gen: number, cpuNs: number, wallNs: number, ended: 'timer' | 'stop' | 'exit', runnable: number | null): void {
    app.inFlight = false;
    app.lastServedOrReady = this.clock.now();
    if (this.disposed) return;
    this.refill();
    // Charge the measurement (even for a slice cut short by pause or cap removal: it ran).
    const cpu = Math.max(0, Number.isFinite(cpuNs) ? cpuNs : 0);
    this.tokens += app.reserved - cpu / 1e6;
    this.ceilings.charge(app.id, cpu / 1e6 - app.reserved, this.clock.now());
    app.reserved = 0;
    this.chargedNs += cpu;
    this.slices++;
    const stillHere = this.apps.get(app.id) === app;
    if (stillHere) this.policy.consumed(app.id, cpu / (this.sliceMs * 1e6));
    if (wallNs > 0) app.cores = cpu / wallNs;
    if (ended === 'exit') {
      this.onGone(app.id);
      return;
    }
    if (!stillHere || gen !== app.gen || this.cap === null) {
      this.pump();
      return;
    }
    const ranMs = wallNs > 0 ? Math.min(wallNs / 1e6, this.sliceMs) : this.sliceMs;
    // Asleep at the end of its slice (or, from a helper that cannot say, used much less than
    // one core): blocked on I/O or sleeping. Let others run; it is offered the CPU again when
    // it wakes. Its Done stays where it is, so it catches up later.
    const blocked = runnable !== null ? runnable === 0 : cpu / 1e6 < this.blockedCpuFraction * ranMs;
    if (ended === 'timer' && blocked && !app.wokeInFlight) {
      app.ioBlocked = true;
      app.cores = Math.max(app.cores, 0.05);
      this.policy.blocked(app.id);
      app.blockedTimer?.cancel();
      app.blockedTimer = this.clock.setTimeout(() => {
        app.blockedTimer = null;
        this.onWake(app.id);
      }, runnable !== null ? this.idleRetryMs : this.blockedRetryMs);
    }
    this.pump();
  }

  /** A blocked app wants the CPU again (the helper's `wake`, or the retry timer). */
  private onWake(appId: string): void {
    const app = this.apps.get(appId);
    if (app?.inFlight) app.wokeInFlight = true;
    if (!app || !app.ioBlocked || app.paused || app.gone) return;
    app.ioBlocked = false;
    app.blockedTimer?.cancel();
    app.blockedTimer = null;
    if (this.cap !== null) this.makeReady(app);
    this.pump();
  }

  private onGone(appId: string): void {
    const app = this.apps.get(appId);
    if (!app || app.gone) return;
    app.gone = true;
    app.blockedTimer?.cancel();
    this.policy.blocked(appId);
    this.pump();
  }

  private limitHit(app: CpuApp): void {
    const now = this.clock.now();
    if (now - app.lastLimitHit < this.limitHitIntervalMs) return;
    app.lastLimitHit = now;
    this.emit('limitHit', app.id, 'cpu');
  }

  private armTimer(inMs: number): void {
    if (!Number.isFinite(inMs)) {
      this.cancelTimer();
      return;
    }
    const at = this.clock.now() + inMs;
    if (this.timer && Math.abs(at - this.timerAt) < 0.01) return;
    this.cancelTimer();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, inMs);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
  }
}
