// Byte-rate schedulers (mechanism side): one instance per resource — netUp, netDown,
// disk (reads + writes). Shares and the cap are bytes/s.
//
// Mapping to the paper's Eqs. 3–6: the paper caps P2P traffic at
// C_N^P2P(T) = N_B · T · S(P2P, Net) bytes per interval T (Eq. 6; Eq. 5 for the disk).
// Here the owner gives the absolute cap directly (bytes/s), which is exactly
// C^P2P(T) / T = N_B · S(P2P); if the owner states N_B and a fraction instead, the engine
// passes their product. Instead of one counter reset every T (which lets the whole
// interval's budget go at its start), the budget grows continuously: tokens += cap · dt,
// the bucket holds at most `burstTicks` ticks of budget, and grants happen at most every
// `tickMs` (≈ 10 ms) — the interval T is one tick and nothing bursts at its start.
//
// The helper holds calls while the app's credit is ≤ 0 and reports `demand`. PNS decides
// which app with held demand gets the next allocation (a byte chunk: one grant of
// min(tokens, chunk + debt)); consumption is charged from the helper's actual byte counters
// (usage deltas), in units of `chunkBytes`, so PNS orders same-Done apps by bytes.
//
// The scheduler mirrors each helper's credit: the credit its last usage reported, plus the
// grants sent since that the helper had not yet received (PROTOCOL.md `usage`), so debt the
// helper charged on its own (mapped reads, readahead) is seen at once and the mirror cannot
// drift. An app gets a new grant only once its credit is used up, so an app's outstanding credit
// is bounded by one grant and C2 holds to within one call size per app. A call admitted on
// a small positive credit may overshoot (credit goes negative): that debt is paid from the
// global budget before the app gets more.
//
// Cap null: limit mode 'unlimited' (the helper releases held calls at once), nothing is
// granted; the app's bytes are still charged to the policy. Cap set: limit mode 'credit'.
// Paused: 'credit' and no grants.
//
// Ceilings (PNS with upper bounds, policies/ceilings.ts): an app with a ceiling is in 'credit'
// mode even without a cap, and is eligible only while its own bucket (filled at its ceiling)
// holds a grant's worth; grants are charged to it. Skipped, its turn goes to the next app in
// PNS order, so what it leaves goes to the others.
import type { Clock, TimerHandle } from '../clock.js';
import type { CreditResource, HelperSession, HelperUsage } from '../catcher/session.js';
import { CeilingBuckets, rejoin } from '../policies/ceilings.js';
import type { Policy } from '../policies/policy.js';
import { schedulerPolicy } from './policy.js';
import { SchedulerEmitter, ignore, type ResourceScheduler, type SchedulerAppStatus } from './types.js';

export interface ByteSchedulerOptions {
  clock: Clock;
  /** Default: schedulerPolicy(): PNS, epoch SCHEDULER_EPOCH chunks, multiplexed by bytes (tieBreak 'leastUsed'). */
  policy?: Policy;
  /** Pacing tick in ms (default 10). */
  tickMs?: number;
  /** Allocation unit in bytes (default 64 KiB); a grant is never smaller than one tick of budget. */
  chunkBytes?: number;
  /** Bucket capacity in ticks of budget (default 2): the largest possible burst. */
  burstTicks?: number;
  /** Minimum interval between two limitHit events of one app (default 1000 ms). */
  limitHitIntervalMs?: number;
}

interface ByteApp {
  id: string;
  session: HelperSession;
  share: number;
  paused: boolean;
  gone: boolean;
  mode: 'credit' | 'unlimited' | null;
  /** Counter (bytes moved, cumulative) at the last usage. */
  counter: number | null;
  /** Mirror of the helper's credit, as it will be once the grants in flight arrive. */
  credit: number;
  held: number;
  /** A `demand` arrived after the last usage. */
  demand: boolean;
  lastLimitHit: number;
  listeners: {
    usage: (u: HelperUsage) => void;
    demand: (r: CreditResource, bytes: number) => void;
    gone: () => void;
  };
}

export interface ByteSchedulerStats {
  cap: number | null;
  tokens: number;
  burst: number;
  granted: number; // total bytes granted while capped
}

export class ByteScheduler extends SchedulerEmitter implements ResourceScheduler {
  readonly resource: CreditResource;
  readonly policy: Policy;
  readonly tickMs: number;
  readonly chunkBytes: number;
  private readonly clock: Clock;
  private readonly burstTicks: number;
  private readonly limitHitIntervalMs: number;
  private readonly apps = new Map<string, ByteApp>();
  private cap: number | null = null;
  private tokens = 0;
  private lastRefill: number;
  private timer: TimerHandle | null = null;
  private disposed = false;
  private grantedTotal = 0;
  private readonly ceilings: CeilingBuckets;

  constructor(resource: CreditResource, options: ByteSchedulerOptions) {
    super();
    this.resource = resource;
    this.clock = options.clock;
    this.policy = options.policy ?? schedulerPolicy();
    this.tickMs = options.tickMs ?? 10;
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.burstTicks = options.burstTicks ?? 2;
    this.limitHitIntervalMs = options.limitHitIntervalMs ?? 1000;
    if (!(this.tickMs > 0) || !(this.chunkBytes > 0) || !(this.burstTicks >= 1)) throw new RangeError('bad byte scheduler options');
    this.lastRefill = this.clock.now();
    this.ceilings = new CeilingBuckets(this.burstTicks * this.tickMs);
  }

  addApp(appId: string, session: HelperSession, share: number, ceiling: number | null = null): void {
    if (this.disposed) throw new Error(`${this.resource} scheduler disposed`);
    if (this.apps.has(appId)) throw new Error(`${this.resource}: app ${appId} already added`);
    const app: ByteApp = {
      id: appId, session, share: checkShare(share), paused: false, gone: session.closed, mode: null,
      counter: null, credit: 0, held: 0, demand: false, lastLimitHit: -Infinity,
      listeners: {
        usage: (u) => this.onUsage(app, u),
        demand: (r) => {
          if (r !== this.resource) return;
          app.demand = true;
          this.update(app);
          this.pump();
        },
        gone: () => this.onGone(app),
      },
    };
    this.apps.set(appId, app);
    session.on('usage', app.listeners.usage);
    session.on('demand', app.listeners.demand);
    session.on('exit', app.listeners.gone);
    session.on('close', app.listeners.gone);
    if (session.lastUsage) app.counter = this.counterOf(session.lastUsage);
    this.policy.add(appId, 0);
    this.ceilings.set(appId, checkCeiling(ceiling), this.clock.now());
    this.renormalise();
    if (!app.gone) this.applyMode(app);
    this.pump();
  }

  removeApp(appId: string): void {
    const app = this.apps.get(appId);
    if (!app) return;
    this.apps.delete(appId);
    this.detach(app);
    this.policy.remove(appId);
    this.ceilings.remove(appId);
    // Release anything held: the app is no longer ours to limit.
    if (!app.gone && !app.session.closed) ignore(app.session.setLimitMode(this.resource, 'unlimited'));
    this.renormalise();
    this.pump();
  }

  setShare(appId: string, share: number): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.share = checkShare(share);
    this.renormalise();
    this.pump();
  }

  setCeiling(appId: string, ceiling: number | null): void {
    const app = this.apps.get(appId);
    if (!app) return;
    this.ceilings.set(appId, checkCeiling(ceiling), this.clock.now());
    rejoin(this.policy, appId);
    if (!app.gone) this.applyMode(app);
    this.update(app);
    this.pump();
  }

  setCap(cap: number | null): void {
    if (cap !== null && (!Number.isFinite(cap) || cap < 0)) throw new RangeError(`${this.resource} cap must be ≥ 0 bytes/s or null, got ${cap}`);
    this.refill();
    const was = this.cap;
    this.cap = cap;
    if (cap === null || was === null) {
      this.tokens = 0; // no burst when a cap appears
      this.lastRefill = this.clock.now();
    }
    this.tokens = Math.min(this.tokens, this.burst());
    this.renormalise();
    for (const app of this.apps.values()) if (!app.gone) this.applyMode(app);
    this.pump();
  }

  setPaused(appId: string, paused: boolean): void {
    const app = this.apps.get(appId);
    if (!app || app.paused === paused) return;
    app.paused = paused;
    if (!app.gone) this.applyMode(app);
    this.update(app);
    this.pump();
  }

  appStatus(appId: string): SchedulerAppStatus | null {
    const app = this.apps.get(appId);
    const st = this.policy.status(appId);
    if (!app || !st) return null;
    return {
      share: app.share, allocations: st.received, done: st.done, rem: st.rem,
      waiting: app.held > 0 || app.demand, paused: app.paused, ceiling: bytesPerSec(this.ceilings.rate(appId)),
    };
  }

  stats(): ByteSchedulerStats {
    this.refill();
    return { cap: this.cap, tokens: this.tokens, burst: this.burst(), granted: this.grantedTotal };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.timer?.cancel();
    this.timer = null;
    for (const app of this.apps.values()) {
      this.detach(app);
      if (!app.gone && !app.session.closed && !app.paused) ignore(app.session.setLimitMode(this.resource, 'unlimited'));
    }
    this.apps.clear();
    this.removeAllListeners();
  }

  // ---- internals ----

  private counterOf(u: HelperUsage): number {
    switch (this.resource) {
      case 'netUp':
        return u.netUp;
      case 'netDown':
        return u.netDown;
      case 'disk':
        return u.diskRead + u.diskWrite;
    }
  }

  private heldOf(u: HelperUsage): number {
    switch (this.resource) {
      case 'netUp':
        return u.heldNetUp;
      case 'netDown':
        return u.heldNetDown;
      case 'disk':
        return u.heldDisk;
    }
  }

  private burst(): number {
    return this.cap === null ? 0 : (this.cap * this.burstTicks * this.tickMs) / 1000;
  }

  /** Smallest grant worth sending: one chunk, or one tick of budget if that is smaller (0 without a cap). */
  private minGrant(): number {
    return this.cap === null ? 0 : Math.max(1, Math.min(this.chunkBytes, (this.cap * this.tickMs) / 1000));
  }

  /** The same for the app's own ceiling (0 without one). */
  private minAppGrant(app: ByteApp): number {
    const rate = this.ceilings.rate(app.id);
    return rate === null ? 0 : Math.max(1, Math.min(this.chunkBytes, rate * this.tickMs));
  }

  /** Bounded by a cap or a ceiling: the app's calls wait for credit. */
  private bounded(app: ByteApp): boolean {
    return this.cap !== null || this.ceilings.has(app.id);
  }

  private renormalise(): void {
    let sum = 0;
    for (const a of this.apps.values()) sum += a.share;
    const base = Math.max(this.cap ?? 0, sum);
    for (const a of this.apps.values()) this.policy.setShare(a.id, base > 0 ? a.share / base : 0);
  }

  private applyMode(app: ByteApp): void {
    const mode = !this.bounded(app) && !app.paused ? 'unlimited' : 'credit';
    if (app.mode === mode) return;
    // The helper's credit does not change while unlimited: its last report still holds.
    if (mode === 'credit') app.credit = app.session.lastUsage ? this.mirror(app, app.session.lastUsage) : 0;
    app.mode = mode;
    ignore(app.session.setLimitMode(this.resource, mode));
  }

  private onUsage(app: ByteApp, u: HelperUsage): void {
    const c = this.counterOf(u);
    if (app.counter !== null && c > app.counter) this.policy.consumed(app.id, (c - app.counter) / this.chunkBytes);
    app.counter = c;
    app.held = this.heldOf(u);
    app.demand = false;
    app.credit = this.mirror(app, u);
    this.update(app);
    this.pump();
  }

  /** The helper's credit in `u`, plus the grants sent that it had not yet received. */
  private mirror(app: ByteApp, u: HelperUsage): number {
    return u.credit[this.resource] + Math.max(0, app.session.grantsSent[this.resource] - u.granted[this.resource]);
  }

  /** Does the app want an allocation (whatever its ceiling)? */
  private wants(app: ByteApp): boolean {
    return !app.gone && !app.paused && app.mode === 'credit' && this.bounded(app) && (app.held > 0 || app.demand) && app.credit <= 0;
  }

  /** Does the app want an allocation now, within its ceiling? Tell the policy. */
  private eligible(app: ByteApp): boolean {
    return this.wants(app) && this.ceilings.available(app.id, this.clock.now()) >= this.minAppGrant(app);
  }

  private update(app: ByteApp): void {
    if (this.apps.get(app.id) !== app) return;
    if (this.eligible(app)) this.policy.ready(app.id);
    else this.policy.blocked(app.id);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.cap !== null && now > this.lastRefill) {
      this.tokens = Math.min(this.burst(), this.tokens + ((now - this.lastRefill) * this.cap) / 1000);
    }
    this.lastRefill = now;
  }

  private pump(): void {
    if (this.disposed || (this.cap === null && this.ceilings.size === 0)) return;
    this.refill();
    const now = this.clock.now();
    for (const a of this.apps.values()) this.update(a); // ceilings refill with time
    const minGrant = this.minGrant();
    const tokens = () => (this.cap === null ? Infinity : this.tokens);
    const served = new Set<string>();
    for (;;) {
      const id = this.policy.next(served);
      if (id === null) break;
      const app = this.apps.get(id);
      served.add(id);
      if (!app || !this.eligible(app)) continue;
      if (tokens() < minGrant) {
        this.limitHit(app);
        continue;
      }
      // One allocation: a chunk (at least one tick of budget), plus any overshoot debt; within the app's ceiling.
      const chunk = Math.max(this.chunkBytes, ((this.cap ?? 0) * this.tickMs) / 1000);
      const grant = Math.floor(Math.min(tokens(), chunk - app.credit, this.ceilings.available(id, now)));
      if (grant <= 0) continue;
      if (this.cap !== null) this.tokens -= grant;
      this.ceilings.charge(id, grant, now);
      this.grantedTotal += grant;
      app.credit += grant;
      ignore(app.session.grant(this.resource, grant));
      this.update(app);
    }
    // Keep pacing while someone waits for budget, or for its ceiling.
    let needMs = Infinity;
    for (const a of this.apps.values()) {
      if (!this.wants(a)) continue;
      const forCeiling = this.ceilings.waitMs(a.id, this.minAppGrant(a), now);
      const forCap = this.cap === null ? 0 : this.cap > 0 ? ((minGrant - this.tokens) * 1000) / this.cap : Infinity;
      needMs = Math.min(needMs, Math.max(forCeiling, forCap));
    }
    if (Number.isFinite(needMs) && !this.timer) {
      const inMs = Math.max(this.tickMs / 4, Math.min(this.tickMs, needMs));
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.pump();
      }, inMs);
    }
  }

  private onGone(app: ByteApp): void {
    if (app.gone) return;
    app.gone = true;
    this.update(app);
  }

  private detach(app: ByteApp): void {
    app.session.off('usage', app.listeners.usage);
    app.session.off('demand', app.listeners.demand);
    app.session.off('exit', app.listeners.gone);
    app.session.off('close', app.listeners.gone);
  }

  private limitHit(app: ByteApp): void {
    const now = this.clock.now();
    if (now - app.lastLimitHit < this.limitHitIntervalMs) return;
    app.lastLimitHit = now;
    this.emit('limitHit', app.id, this.resource);
  }
}

function checkCeiling(ceiling: number | null): number | null {
  if (ceiling !== null && (!Number.isFinite(ceiling) || ceiling < 0)) throw new RangeError(`ceiling must be ≥ 0 bytes/s or null, got ${ceiling}`);
  return ceiling === null ? null : ceiling / 1000; // bytes per ms
}

function bytesPerSec(perMs: number | null): number | null {
  return perMs === null ? null : perMs * 1000;
}

function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0) throw new RangeError(`share must be a finite number ≥ 0, got ${share}`);
  return share;
}
