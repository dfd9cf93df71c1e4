// Memory scheduler: the paper's memory broker (section 3.2), as per-app ceilings that
// the helper enforces (ENOMEM on brk/mmap/mremap/mprotect beyond the ceiling). Units: bytes.
//
// ceiling_i = S(Pi, mem) + an equal part of the unreserved remainder (cap − Σ shares), so
// Σ ceilings = cap: C2 holds for every allocation the helper admits, and C1 (each app can
// reach its nominal share) holds too. If the owner's shares exceed the cap (Σ S > cap),
// the shares are scaled down to fit. The remainder is split equally rather than by shares
// so that an app with a zero share can still run.
// Memory is not preemptible: an app that already uses more than a new, lower ceiling keeps
// what it has; the ceiling only stops it from growing (its next allocations are denied)
// until it frees memory. So after a cap decrease Σ usage may exceed the cap for a while.
// An app's own ceiling (the owner's per-app bound) bounds its part; what it leaves goes to the
// others. Cap null: no ceiling but the app's own. Pause does not change memory (it is not time-shared).
import type { HelperSession } from '../catcher/session.js';
import { SchedulerEmitter, ignore, type ResourceScheduler, type SchedulerAppStatus } from './types.js';

export interface MemorySchedulerOptions {
  /** Ceilings are rounded down to this many bytes (default 4096, a page). */
  granularity?: number;
}

interface MemApp {
  id: string;
  session: HelperSession;
  share: number;
  paused: boolean;
  /** The owner's ceiling of this app (bytes; null = none): it bounds the broker's. */
  bound: number | null;
  ceiling: number | null; // last sent
  gone: boolean;
  denied: number;
  listeners: {
    denied: (info: { resource: 'mem'; syscall: string; bytes: number; pid: number }) => void;
    gone: () => void;
  };
}

export class MemoryScheduler extends SchedulerEmitter implements ResourceScheduler {
  readonly resource = 'mem' as const;
  private readonly granularity: number;
  private readonly apps = new Map<string, MemApp>();
  private cap: number | null = null;
  private disposed = false;

  constructor(options: MemorySchedulerOptions = {}) {
    super();
    this.granularity = Math.max(1, Math.floor(options.granularity ?? 4096));
  }

  addApp(appId: string, session: HelperSession, share: number, bound: number | null = null): void {
    if (this.disposed) throw new Error('memory scheduler disposed');
    if (this.apps.has(appId)) throw new Error(`mem: app ${appId} already added`);
    const app: MemApp = {
      id: appId, session, share: checkShare(share), paused: false, bound: checkBound(bound), ceiling: null, gone: session.closed, denied: 0,
      listeners: {
        denied: (info) => {
          app.denied++;
          this.emit('memDenied', appId, info.bytes, info.syscall);
        },
        gone: () => {
          app.gone = true;
        },
      },
    };
    this.apps.set(appId, app);
    session.on('denied', app.listeners.denied);
    session.on('exit', app.listeners.gone);
    session.on('close', app.listeners.gone);
    this.apply();
  }

  removeApp(appId: string): void {
    const app = this.apps.get(appId);
    if (!app) return;
    this.apps.delete(appId);
    this.detach(app);
    if (!app.gone && !app.session.closed && app.ceiling !== null) ignore(app.session.setMemCeiling(null));
    this.apply();
  }

  setShare(appId: string, share: number): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.share = checkShare(share);
    this.apply();
  }

  setCeiling(appId: string, bound: number | null): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.bound = checkBound(bound);
    this.apply();
  }

  setCap(cap: number | null): void {
    if (cap !== null && (!Number.isFinite(cap) || cap < 0)) throw new RangeError(`mem cap must be ≥ 0 bytes or null, got ${cap}`);
    this.cap = cap;
    this.apply();
  }

  setPaused(appId: string, paused: boolean): void {
    const app = this.apps.get(appId);
    if (app) app.paused = paused;
  }

  /** The ceilings the scheduler computes now (bytes; null = none), by app id. */
  ceilings(): Map<string, number | null> {
    const out = new Map<string, number | null>();
    const live = [...this.apps.values()].filter((a) => !a.gone);
    if (this.cap === null || live.length === 0) {
      for (const a of live) out.set(a.id, a.bound === null ? null : this.pages(a.bound));
      return out;
    }
    const sum = live.reduce((s, a) => s + a.share, 0);
    const scale = sum > this.cap ? this.cap / sum : 1;
    // the remainder in equal parts, except that an app's own ceiling bounds it: what it leaves
    // of its part goes to the others (water filling)
    let left = Math.max(0, this.cap - sum * scale);
    const open = new Set(live);
    for (let bounded = true; bounded && open.size > 0; ) {
      bounded = false;
      const part = left / open.size;
      for (const a of open) {
        if (a.bound === null || a.share * scale + part <= a.bound) continue;
        out.set(a.id, this.pages(a.bound));
        left -= Math.max(0, a.bound - a.share * scale);
        open.delete(a);
        bounded = true;
      }
    }
    for (const a of open) out.set(a.id, this.pages(a.share * scale + left / open.size));
    return out;
  }

  private pages(bytes: number): number {
    return Math.floor(bytes / this.granularity) * this.granularity;
  }

  appStatus(appId: string): SchedulerAppStatus | null {
    const app = this.apps.get(appId);
    if (!app) return null;
    return { share: app.share, allocations: app.denied, done: null, rem: null, waiting: false, paused: app.paused, ceiling: app.ceiling };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const app of this.apps.values()) this.detach(app);
    this.apps.clear();
    this.removeAllListeners();
  }

  private apply(): void {
    for (const [id, ceiling] of this.ceilings()) {
      const app = this.apps.get(id);
      if (!app || app.ceiling === ceiling) continue;
      app.ceiling = ceiling;
      ignore(app.session.setMemCeiling(ceiling));
    }
  }

  private detach(app: MemApp): void {
    app.session.off('denied', app.listeners.denied);
    app.session.off('exit', app.listeners.gone);
    app.session.off('close', app.listeners.gone);
  }
}

function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0) throw new RangeError(`share must be a finite number ≥ 0, got ${share}`);
  return share;
}

function checkBound(bound: number | null): number | null {
  if (bound !== null && (!Number.isFinite(bound) || bound < 0)) throw new RangeError(`mem ceiling must be ≥ 0 bytes or null, got ${bound}`);
  return bound;
}
