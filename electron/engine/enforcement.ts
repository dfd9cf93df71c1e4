// What enforces the owner's caps: the resource schedulers, built as the settings say (the
// policy per resource, the CPU mechanism), their events written to the event log and the caps
// of the profile in force handed to them — or why there is no enforcement, in which case no
// app may start.
import * as text from '../common/event-text.js';
import type { CpuEnforcement } from '../common/model.js';
import { RESOURCES, type Resource } from '../common/resources.js';
import type { EngineContext } from './context.js';
import { createSchedulerSet, type SchedulerSet } from './schedulers/set.js';

export class Enforcement {
  private set: SchedulerSet | null = null;
  private status: { ok: boolean; reason: string | null } = { ok: false, reason: 'not initialised' };
  /** Denials per app since the engine started: limit hits (cpu, net, disk), memory growths refused. */
  private readonly denials = new Map<string, Record<Resource, number>>();
  private temporaryCaps: Partial<Record<Resource, number>> = {};

  constructor(private readonly ctx: EngineContext) {}

  /** At start, with the Creator's verdict (can apps be launched here at all?). */
  async start(creator: { ok: boolean; reason: string | null }): Promise<void> {
    const set = await this.create();
    if (!creator.ok) {
      this.status = creator;
      if (!('error' in set)) set.dispose();
    } else if ('error' in set) {
      this.status = { ok: false, reason: set.error };
    } else {
      this.status = creator;
      this.install(set);
    }
    if (!this.status.ok) this.ctx.log.add('warning', `enforcement unavailable: ${this.status.reason}; apps cannot be started`);
  }

  get ok(): boolean {
    return this.status.ok;
  }

  get reason(): string | null {
    return this.status.reason;
  }

  /** The schedulers; null when there is no enforcement. */
  get schedulers(): SchedulerSet | null {
    return this.set;
  }

  /** What enforces the CPU cap and the shares now. */
  get cpu(): CpuEnforcement {
    return this.set?.cpu ?? { mechanism: 'ptrace', detail: 'none: enforcement unavailable', unavailable: this.status.reason };
  }

  /** How often each resource of an app was denied since the engine started (ResourceFigure.denials). */
  denialsOf(appId: string): Readonly<Record<Resource, number>> | undefined {
    return this.denials.get(appId);
  }

  private deny(appId: string, resource: Resource): void {
    let counts = this.denials.get(appId);
    if (!counts) this.denials.set(appId, (counts = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 }));
    counts[resource]++;
  }

  /** The schedulers get the active profile's caps (lowered by a quota's slow-down); a pause-all is applied as per-app pauses. */
  applyCaps(): void {
    if (!this.set) return;
    const caps = this.ctx.data.profiles[this.ctx.data.activeProfile];
    for (const r of RESOURCES) {
      const slow = this.temporaryCaps[r];
      this.set.get(r).setCap(slow === undefined ? caps[r] : Math.min(caps[r] ?? Infinity, slow));
    }
  }

  /** Caps a reached quota imposes on all apps until its period ends (quotas/keeper.ts). */
  setTemporaryCaps(caps: Partial<Record<Resource, number>>): void {
    this.temporaryCaps = caps;
    this.applyCaps();
  }

  /** New scheduling settings: a new set of schedulers (only while no app runs). */
  async rebuild(): Promise<void> {
    if (!this.set) return;
    const set = await this.create();
    if ('error' in set) return;
    this.set.dispose();
    this.install(set);
  }

  dispose(): void {
    this.set?.dispose();
  }

  private create(): ReturnType<typeof createSchedulerSet> {
    const { ctx } = this;
    return createSchedulerSet({ clock: ctx.clock, cores: ctx.cores, settings: ctx.data.settings, probeCgroups: ctx.options.probeCgroups });
  }

  /** Its events wired to the log, the caps in force, the CPU mechanism said. */
  private install(set: SchedulerSet): void {
    const { ctx } = this;
    this.set = set;
    const appName = (id: string) => ctx.data.apps.find((d) => d.id === id)?.name ?? id;
    set.on('limitHit', (appId, resource) => {
      this.deny(appId, resource);
      if (ctx.throttle.allow(`limit:${appId}:${resource}`)) ctx.log.add('limitHit', text.limitHitText(appName(appId), resource), appId, resource);
    });
    set.on('warning', (appId, message) => {
      if (ctx.throttle.allow(`warning:${appId}:${message}`)) ctx.log.add('warning', message, appId);
    });
    set.on('memDenied', (appId, bytes) => {
      this.deny(appId, 'mem');
      if (ctx.throttle.allow(`mem:${appId}`)) ctx.log.add('memDenied', text.memDeniedText(appName(appId), bytes), appId, 'mem');
    });
    this.applyCaps();
    const { cpu } = set;
    if (cpu.mechanism === 'cgroup') ctx.log.add('info', `CPU caps are enforced by the kernel: ${cpu.detail}`);
    else if (ctx.data.settings.cpuMechanism === 'cgroup') {
      ctx.log.add('warning', `the kernel's CPU bandwidth control cannot be used (${cpu.unavailable}); CPU caps are enforced by ptrace stops`);
    } else if (cpu.unavailable) ctx.log.add('info', `CPU caps are enforced by ptrace stops (${cpu.unavailable})`);
  }
}
