// The engine's link and disk capacity: read or measured (./measure.ts), or given by the owner,
// kept in the settings. At start the link speed is read (cheap) and the network's peak rate is
// sampled; the disk is never measured unasked (writing 64 MiB is the owner's call). A cap the
// capacity makes unreachable is said in the log.
import { CommandError } from '../../common/contract.js';
import * as text from '../../common/event-text.js';
import { UNKNOWN_CAPACITY, capacityIsLowerBound, type Capacities, type Capacity } from '../../common/model.js';
import { MAX_BYTES, type ByteRateResource } from '../../common/resources.js';
import type { TimerHandle } from '../clock.js';
import type { EngineContext } from '../context.js';
import { capsAboveCapacity } from '../limits.js';
import { DiskMeasureError, NetPeakSampler, REAL_ROOTS, detectLinkCapacity, measureDisk, peakMethod, type SystemRoots } from './measure.js';

/** A rising peak is kept at most this often: not a settings write per second. */
const LAZY_SAVE_MS = 10_000;

export class CapacityKeeper {
  private readonly roots: SystemRoots;
  private sampler: NetPeakSampler | null = null;
  /** This session's measurements, restored when the owner forgets a capacity they gave. */
  private readonly lastMeasured: Partial<Record<ByteRateResource, Capacity>> = {};
  private diskMeasuring: Promise<Capacities> | null = null;
  private lazySave: TimerHandle | null = null;

  constructor(private readonly ctx: EngineContext) {
    this.roots = { ...REAL_ROOTS, ...ctx.options.systemRoots };
  }

  /** A link speed or a peak of another interface kept from before is stale when the link no longer says so. */
  async start(): Promise<void> {
    const { data } = this.ctx;
    const link = detectLinkCapacity(this.roots, this.ctx.clock.wallNow());
    let changed = false;
    for (const r of ['netUp', 'netDown'] as const) {
      const c = data.capacity[r];
      if (link.ok) this.lastMeasured[r] = { ...link.capacity };
      else if (capacityIsLowerBound(c) && link.iface && c.method === peakMethod(link.iface)) this.lastMeasured[r] = { ...c };
      if (c.source === 'owner') continue;
      if (link.ok) {
        if (c.bytesPerSec !== link.capacity.bytesPerSec || c.method !== link.capacity.method) {
          data.capacity[r] = { ...link.capacity };
          changed = true;
        }
      } else if (c.source === 'measured' && !this.lastMeasured[r]) {
        data.capacity[r] = { ...UNKNOWN_CAPACITY };
        changed = true;
      }
    }
    if (changed) {
      await this.ctx.save();
      this.warnUnreachableCaps(['netUp', 'netDown']);
    }
    if (this.ctx.options.sampleNetwork ?? true) {
      this.sampler = new NetPeakSampler(this.roots, (iface, peak) => this.onNetPeak(iface, peak));
      this.sampler.start();
    }
  }

  /** Stops sampling; a peak not yet kept is saved now. */
  async stop(): Promise<void> {
    this.sampler?.stop();
    this.sampler = null;
    if (this.lazySave) {
      this.lazySave.cancel();
      this.lazySave = null;
      await this.ctx.save().catch(() => undefined);
    }
  }

  /** The owner gives a capacity (bytes/s), or forgets it (null: back to the measured one, or unknown). */
  async set(resource: ByteRateResource, bytesPerSec: number | null): Promise<Capacities> {
    let next: Capacity;
    if (bytesPerSec !== null) {
      next = { bytesPerSec, source: 'owner', measuredAt: null, method: null };
    } else if (resource === 'disk') {
      next = this.lastMeasured.disk ? { ...this.lastMeasured.disk } : { ...UNKNOWN_CAPACITY };
    } else {
      const link = detectLinkCapacity(this.roots, this.ctx.clock.wallNow());
      if (link.ok) this.lastMeasured[resource] = { ...link.capacity };
      const last = this.lastMeasured[resource];
      next = last ? { ...last } : { ...UNKNOWN_CAPACITY };
    }
    await this.update({ [resource]: next });
    this.ctx.log.add(
      'info',
      bytesPerSec !== null ? text.capacitySetText(resource, bytesPerSec) : text.capacityForgottenText(resource, next),
      null,
      resource,
    );
    return structuredClone(this.ctx.data.capacity);
  }

  measure(what: 'net' | 'disk'): Promise<Capacities> {
    return what === 'net' ? this.measureNet() : this.measureDisk();
  }

  /** A higher 1-second rate was seen on the default-route interface: a better lower bound of the link. */
  private onNetPeak(iface: string, peak: { rx: number; tx: number }): void {
    const { ctx } = this;
    if (ctx.shuttingDown) return;
    const method = peakMethod(iface);
    let changed = false;
    for (const [r, rate] of [['netDown', peak.rx], ['netUp', peak.tx]] as const) {
      if (!(rate > 0 && rate <= MAX_BYTES)) continue;
      const last = this.lastMeasured[r];
      if (last && !capacityIsLowerBound(last)) continue; // the link speed is known
      const measured: Capacity = { bytesPerSec: rate, source: 'measured', measuredAt: ctx.clock.wallNow(), method };
      if (!last || last.method !== method || rate > last.bytesPerSec!) this.lastMeasured[r] = measured;
      const c = ctx.data.capacity[r];
      const raise = c.source === 'unknown' || (capacityIsLowerBound(c) && (c.method !== method || rate > c.bytesPerSec! * 1.05));
      if (!raise) continue;
      ctx.data.capacity[r] = measured;
      changed = true;
    }
    if (!changed) return;
    ctx.stateChanged();
    this.lazySave ??= ctx.clock.setTimeout(
      () => {
        this.lazySave = null;
        void ctx.save().catch(() => undefined);
      },
      LAZY_SAVE_MS,
      { unref: true },
    );
  }

  private async measureNet(): Promise<Capacities> {
    const { ctx } = this;
    const link = detectLinkCapacity(this.roots, ctx.clock.wallNow());
    const update: Partial<Capacities> = {};
    if (link.ok) {
      update.netUp = { ...link.capacity };
      update.netDown = { ...link.capacity };
    } else if (link.iface) {
      const method = peakMethod(link.iface);
      for (const r of ['netUp', 'netDown'] as const) {
        const last = this.lastMeasured[r];
        if (last && last.method === method) update[r] = { ...last, measuredAt: ctx.clock.wallNow() };
      }
    }
    if (!update.netUp && !update.netDown) {
      const why = link.ok ? '' : link.iface ? `${link.reason}, and no traffic has been observed on it yet` : link.reason;
      throw new CommandError('unavailable', `cannot measure the network capacity: ${why}; give it yourself (e.g. 12.5MB/s for a 100 Mb/s link)`);
    }
    for (const r of ['netUp', 'netDown'] as const) if (update[r]) this.lastMeasured[r] = { ...update[r] };
    await this.update(update);
    const shown = (update.netUp ?? update.netDown)!;
    ctx.log.add('info', text.capacityMeasuredText('link', shown));
    return structuredClone(ctx.data.capacity);
  }

  private measureDisk(): Promise<Capacities> {
    const { ctx } = this;
    // one measurement at a time: a second request waits for the first's result
    this.diskMeasuring ??= (async () => {
      try {
        const m = await measureDisk(ctx.configDir, { bytes: ctx.options.diskProbeBytes, timeoutMs: ctx.options.diskProbeTimeoutMs });
        const c: Capacity = { bytesPerSec: Math.min(MAX_BYTES, m.bytesPerSec), source: 'measured', measuredAt: ctx.clock.wallNow(), method: m.method.slice(0, 200) };
        this.lastMeasured.disk = c;
        await this.update({ disk: c });
        ctx.log.add('info', text.capacityMeasuredText('disk', c), null, 'disk');
        return structuredClone(ctx.data.capacity);
      } catch (error) {
        if (error instanceof CommandError) throw error;
        const why = error instanceof DiskMeasureError ? error.message : `${(error as Error).message}`;
        throw new CommandError('unavailable', `cannot measure the disk in ${ctx.configDir}: ${why}; give its capacity yourself (e.g. 100MB/s)`);
      } finally {
        this.diskMeasuring = null;
      }
    })();
    return this.diskMeasuring;
  }

  /** Store new capacities; warn about caps they make unreachable. */
  private async update(update: Partial<Capacities>): Promise<void> {
    const { ctx } = this;
    const before = ctx.data.capacity;
    ctx.data.capacity = { ...before, ...update };
    try {
      await ctx.save();
    } catch (error) {
      ctx.data.capacity = before;
      throw error;
    }
    this.warnUnreachableCaps(Object.keys(update));
  }

  /** A cap above a capacity (measured or given after the cap was set) cannot be reached: say so. */
  private warnUnreachableCaps(resources: readonly string[]): void {
    for (const v of capsAboveCapacity(this.ctx.data.profiles, this.ctx.data.capacity)) {
      if (!resources.includes(v.resource)) continue;
      this.ctx.log.add('warning', text.capAboveCapacityText(v.profile, v.resource, v.cap, v.capacity), null, v.resource);
    }
  }
}
