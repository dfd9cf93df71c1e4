// Figures of the paper computed from each helper's cumulative usage counters:
// R(Pi, T, τ) = used / T since the app started, the rate over the last second,
// the allocation lag R − S, and the demand being held. CPU is a fraction of the
// whole machine: cpuNs / (T · cores).
import type { HelperUsage } from '../catcher/session.js';
import type { AppSnapshot, OwnerLimits, ResourceFigure, ResourceFigures } from '../../common/model.js';
import { RESOURCES, type Resource } from '../../common/resources.js';

interface Sample {
  t: number; // engine ms (monotonic)
  cpuNs: number;
  netUp: number;
  netDown: number;
  disk: number;
}

const zeroFigure = (nominal: number, cap: number | null): ResourceFigure => ({ nominal, cap, recent: 0, sinceStart: 0, lag: -nominal, held: 0, used: 0, denials: 0 });

export function emptyFigures(nominal: Record<Resource, number>, caps: Record<Resource, number | null>): ResourceFigures {
  const out = {} as ResourceFigures;
  for (const r of RESOURCES) out[r] = zeroFigure(nominal[r], caps[r]);
  return out;
}

/** Tracks one running app's counters since its start. */
export class UsageTracker {
  private samples: Sample[] = [];
  private base: Sample | null = null;
  private memIntegral = 0; // byte·ms
  private memLast: { t: number; bytes: number } | null = null;
  last: HelperUsage | null = null;

  constructor(
    readonly startedAt: number, // engine ms
    private readonly cores: number,
  ) {}

  update(usage: HelperUsage, now: number): void {
    const s: Sample = { t: now, cpuNs: usage.cpuNs, netUp: usage.netUp, netDown: usage.netDown, disk: usage.diskRead + usage.diskWrite };
    if (!this.base) this.base = { ...s, t: this.startedAt, cpuNs: 0, netUp: 0, netDown: 0, disk: 0 };
    if (this.memLast) this.memIntegral += this.memLast.bytes * (now - this.memLast.t);
    this.memLast = { t: now, bytes: usage.memBytes };
    this.last = usage;
    this.samples.push(s);
    // keep ~3 s of samples, at most 200
    while (this.samples.length > 2 && (now - this.samples[1]!.t > 3000 || this.samples.length > 200)) this.samples.shift();
  }

  /** Figures at engine time `now` for an app of nominal shares `nominal` and per-resource ceilings `caps`. */
  figures(now: number, nominal: Record<Resource, number>, caps: Record<Resource, number | null>, cpuWaiting: boolean): ResourceFigures {
    const out = emptyFigures(nominal, caps);
    const u = this.last;
    if (!u) return out;
    const T = Math.max(1, now - this.startedAt) / 1000; // s
    const latest: Sample = { t: now, cpuNs: u.cpuNs, netUp: u.netUp, netDown: u.netDown, disk: u.diskRead + u.diskWrite };
    // the newest sample at least 1 s old (or the oldest we have, or the start)
    let ref: Sample = this.base ?? { t: this.startedAt, cpuNs: 0, netUp: 0, netDown: 0, disk: 0 };
    for (const s of this.samples) if (now - s.t >= 1000) ref = s;
    const dt = Math.max(1, now - ref.t) / 1000;
    const cpuFrac = (ns: number, seconds: number) => ns / 1e9 / (seconds * this.cores);
    out.cpu.recent = cpuFrac(latest.cpuNs - ref.cpuNs, dt);
    out.cpu.sinceStart = cpuFrac(latest.cpuNs, T);
    out.cpu.held = cpuWaiting ? 1 : 0;
    out.cpu.used = latest.cpuNs / 1e9;
    for (const r of ['netUp', 'netDown', 'disk'] as const) {
      out[r].recent = (latest[r] - ref[r]) / dt;
      out[r].sinceStart = latest[r] / T;
      out[r].used = latest[r];
    }
    out.netUp.held = u.heldNetUp;
    out.netDown.held = u.heldNetDown;
    out.disk.held = u.heldDisk;
    out.mem.recent = u.memBytes;
    out.mem.used = u.memBytes;
    const integral = this.memIntegral + (this.memLast ? this.memLast.bytes * (now - this.memLast.t) : 0);
    out.mem.sinceStart = integral / Math.max(1, now - this.startedAt);
    for (const r of RESOURCES) out[r].lag = out[r].sinceStart - out[r].nominal;
    return out;
  }
}

/** Sum of the apps' figures against the owner's caps. nominal = Σ nominal shares; cap = the effective cap. */
export function totalFigures(apps: readonly AppSnapshot[], limits: OwnerLimits, shareSum: Record<Resource, number>): ResourceFigures {
  const out = emptyFigures(shareSum, limits);
  for (const r of RESOURCES) {
    out[r].lag = 0;
    for (const a of apps) {
      out[r].recent += a.resources[r].recent;
      out[r].sinceStart += a.resources[r].sinceStart;
      out[r].held += a.resources[r].held;
      out[r].used += a.resources[r].used;
      out[r].denials += a.resources[r].denials;
    }
    out[r].lag = out[r].sinceStart - out[r].nominal;
  }
  return out;
}
