// The engine's snapshots: at the rate the settings give (2 Hz by default), the figures of
// every app and of all together against the caps in force, sent as `snapshot` events and
// kept for the charts of a dashboard that (re)connects. A change of an app's state between
// two snapshots (running ⇄ held, waiting, paused) reaches the UIs as a `state` event here,
// not at the helpers' usage rate.
import type { AppSnapshot, AppState, OwnerLimits, Snapshot } from '../../common/model.js';
import { RESOURCES, type Resource } from '../../common/resources.js';
import type { TimerHandle } from '../clock.js';
import type { EngineContext } from '../context.js';
import type { Enforcement } from '../enforcement.js';
import { SnapshotHistory } from './history.js';
import { emptyFigures, totalFigures, type UsageTracker } from './usage.js';

/** How far back the history goes. */
const HISTORY_SECONDS = 600;

/** What a snapshot reads of one app (the supervisor's figuresOf). */
export interface AppNow {
  state: AppState;
  /** Its process tree is alive. */
  active: boolean;
  /** Its figures since its helper connected; null before. */
  tracker: UsageTracker | null;
}

export class Snapshots {
  private readonly history = new SnapshotHistory(HISTORY_SECONDS * 2);
  private timer: TimerHandle | null = null;
  /** Each app's state in the last snapshot. */
  private lastStates = new Map<string, AppState>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly apps: { now(id: string): AppNow },
    private readonly enforcement: Enforcement,
    /** The caps in force now (active profile, pause-all applied). */
    private readonly limitsNow: () => OwnerLimits,
  ) {}

  /** Starts taking snapshots at the settings' rate, or takes up a new rate. */
  start(): void {
    this.history.setCapacity(Math.ceil(HISTORY_SECONDS * this.ctx.data.settings.snapshotHz));
    this.timer?.cancel();
    const period = 1000 / this.ctx.data.settings.snapshotHz;
    const { clock } = this.ctx;
    const tick = () => {
      this.timer = clock.setTimeout(tick, period);
      try {
        const snap = this.take();
        this.history.push(snap);
        this.ctx.events.emit('snapshot', snap);
      } catch (error) {
        if (this.ctx.throttle.allow('snapshot-error')) this.ctx.log.add('error', `snapshot failed: ${(error as Error).message}`);
      }
    };
    this.timer = clock.setTimeout(tick, period);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** The snapshots of the last `seconds`. */
  since(seconds: number): Snapshot[] {
    return this.history.since(this.ctx.clock.wallNow() - seconds * 1000);
  }

  private take(): Snapshot {
    const { ctx } = this;
    const now = ctx.clock.now();
    const limits = this.limitsNow();
    const schedulers = this.enforcement.schedulers;
    const apps: AppSnapshot[] = [];
    const active: AppSnapshot[] = [];
    const states = new Map<string, AppState>();
    let stateMoved = false;
    const shareSum: Record<Resource, number> = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 };
    for (const def of ctx.data.apps) {
      const { state, active: alive, tracker } = this.apps.now(def.id);
      const caps: Record<Resource, number | null> = { ...limits };
      for (const r of RESOURCES) caps[r] = lowerBound(caps[r], def.ceilings[r]); // an app's ceiling bounds it below the cap
      let resources;
      if (alive && tracker) {
        for (const r of RESOURCES) shareSum[r] += def.shares[r];
        const waiting = state !== 'paused' && (schedulers?.get('cpu').appStatus(def.id)?.waiting ?? false);
        const ceiling = schedulers?.get('mem').appStatus(def.id)?.ceiling;
        if (ceiling !== undefined) caps.mem = ceiling;
        resources = tracker.figures(now, def.shares, caps, waiting);
      } else {
        resources = emptyFigures(def.shares, caps);
        for (const r of RESOURCES) resources[r].lag = 0;
      }
      const denials = this.enforcement.denialsOf(def.id);
      if (denials) for (const r of RESOURCES) resources[r].denials = denials[r];
      const snap: AppSnapshot = { id: def.id, state, resources };
      apps.push(snap);
      if (alive) active.push(snap);
      states.set(def.id, state);
      if (this.lastStates.get(def.id) !== state) stateMoved = true;
    }
    this.lastStates = states;
    if (stateMoved) ctx.stateChanged();
    const { capacity: c } = ctx.data;
    const capacity = { netUp: c.netUp.bytesPerSec, netDown: c.netDown.bytesPerSec, disk: c.disk.bytesPerSec };
    return { t: ctx.clock.wallNow(), profile: ctx.data.activeProfile, limits, capacity, total: totalFigures(active, limits, shareSum), apps };
  }
}

/** The lower of two bounds, null being none. */
function lowerBound(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
