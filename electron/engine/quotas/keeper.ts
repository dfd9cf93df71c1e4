// Transfer quotas in the engine: every second the bytes each running app moved are counted
// (ledger.ts), and each rule reached is enforced until its period ends — an app paused (as by
// the owner) or slowed by a temporary ceiling; all apps paused (the pause-all lease, until the
// period's end) or slowed by a temporary cap. Each start and end of an enforcement is an event
// (kind "quota", which the desktop shell also shows as a notification). The counters are kept in
// <configDir>/quota-state.json, written atomically every few seconds and at shutdown, so they
// survive a restart.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CommandError } from '../../common/contract.js';
import { QuotaConfigSchema } from '../../common/model.js';
import { quotaName, type QuotaConfig, type QuotaRule, type QuotaStatus, type QuotaView } from '../../common/quotas.js';
import { formatBytes, formatRate, type Resource } from '../../common/resources.js';
import type { TimerHandle } from '../clock.js';
import type { EngineContext } from '../context.js';
import type { AppSupervisor } from '../creator/supervisor.js';
import type { Enforcement } from '../enforcement.js';
import type { PauseLease } from '../lease.js';
import { writeFileAtomic } from '../settings.js';
import type { UsageTracker } from '../snapshots/usage.js';
import { LedgerFileSchema, QuotaLedger } from './ledger.js';

export const QUOTA_STATE_FILE = 'quota-state.json';
export const QUOTA_CONFIG_FILE = 'quotas.json';
const TICK_MS = 1000;
const SAVE_EVERY_TICKS = 5;

/** The resources a rule's direction slows. */
const SLOWED: Record<QuotaRule['direction'], Resource[]> = { up: ['netUp'], down: ['netDown'], both: ['netUp', 'netDown'] };

export class QuotaKeeper {
  private ledger = new QuotaLedger();
  private config: QuotaConfig = QuotaConfigSchema.parse({});
  private timer: TimerHandle | null = null;
  private ticks = 0;
  private dirty = false;
  /** Bytes of each run's counters already counted (a new run starts from 0). */
  private readonly seen = new WeakMap<UsageTracker, { up: number; down: number }>();
  /** Apps this keeper paused, and apps the owner resumed meanwhile (left alone until the period ends): id → period end. */
  private readonly paused = new Map<string, number>();
  private readonly overridden = new Map<string, number>();
  /** Temporary ceilings in force per app (what they are made of, and the run they were given to); the pause-all lease we took (its end). */
  private slowed = new Map<string, { key: string; tracker: UsageTracker | null }>();
  private leaseUntil: number | null = null;
  private capsKey = '{}';

  constructor(
    private readonly ctx: EngineContext,
    private readonly apps: AppSupervisor,
    private readonly enforcement: Enforcement,
    private readonly lease: PauseLease,
  ) {}

  private get statePath(): string {
    return path.join(this.ctx.configDir, QUOTA_STATE_FILE);
  }

  private get configPath(): string {
    return path.join(this.ctx.configDir, QUOTA_CONFIG_FILE);
  }

  /** Loads the rules and the counters kept (a file that cannot be used is reported and replaced). */
  async start(): Promise<void> {
    this.config = await this.read(this.configPath, QuotaConfigSchema, 'quota rules') ?? this.config;
    const file = await this.read(this.statePath, LedgerFileSchema, 'quota counters');
    if (file) this.ledger = new QuotaLedger(file);
    this.arm();
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.count();
    if (this.dirty) await this.save(); // nothing counted: no file
  }

  view(): QuotaView {
    return { resetDay: this.config.resetDay, rules: structuredClone(this.config.rules), status: this.status() };
  }

  /** The owner's rules and reset day (the contract's setQuotas). */
  async set(patch: Partial<QuotaConfig>): Promise<QuotaView> {
    const parsed = QuotaConfigSchema.safeParse({ ...this.config, ...patch });
    if (!parsed.success) throw new CommandError('invalid', `setQuotas: ${parsed.error.issues[0]!.message}`);
    // a new rule must name an app that exists; one kept from before may outlive its app (it counts nothing)
    const ids = new Set(this.ctx.data.apps.map((d) => d.id));
    const kept = new Set(this.config.rules.map((r) => JSON.stringify(r)));
    const unknown = parsed.data.rules.findIndex((r) => r.appId !== null && !ids.has(r.appId) && !kept.has(JSON.stringify(r)));
    if (unknown >= 0) throw new CommandError('notFound', `setQuotas: rules[${unknown}].appId: no app with id "${parsed.data.rules[unknown]!.appId}"`);
    this.config = parsed.data;
    await writeFileAtomic(this.configPath, JSON.stringify(this.config, null, 2) + '\n');
    this.enforce();
    return this.view();
  }

  /** One tick: count, enforce, now and then save. Public for tests on a virtual clock. */
  tick(): void {
    this.count();
    this.enforce();
    if (++this.ticks % SAVE_EVERY_TICKS === 0 && this.dirty) void this.save();
  }

  private status(): QuotaStatus[] {
    return this.ledger.status(this.config, this.ctx.clock.wallNow());
  }

  private arm(): void {
    this.timer = this.ctx.clock.setTimeout(
      () => {
        if (this.ctx.shuttingDown) return;
        this.tick();
        this.arm();
      },
      TICK_MS,
      { unref: true },
    );
  }

  /** What every running app moved since the last tick. */
  private count(): void {
    const now = this.ctx.clock.wallNow();
    for (const def of this.ctx.data.apps) {
      const tracker = this.apps.now(def.id).tracker;
      const last = tracker?.last;
      if (!tracker || !last) continue;
      const before = this.seen.get(tracker) ?? { up: 0, down: 0 };
      const moved = { up: Math.max(0, last.netUp - before.up), down: Math.max(0, last.netDown - before.down) };
      this.seen.set(tracker, { up: last.netUp, down: last.netDown });
      if (moved.up + moved.down === 0) continue;
      this.ledger.add(def.id, moved, now, this.config.resetDay);
      this.dirty = true;
    }
  }

  /** Makes what is enforced match the rules reached now: starts and ends pauses and slow-downs. */
  private enforce(): void {
    const now = this.ctx.clock.wallNow();
    const reached = this.status().filter((s) => s.reached);
    const pauseApps = new Map<string, QuotaStatus>();
    const slowApps = new Map<string, Partial<Record<Resource, number>>>();
    const slowAll: Partial<Record<Resource, number>> = {};
    let pauseAll: QuotaStatus | null = null;
    for (const s of reached) {
      const { appId, action, slowTo } = s.rule;
      if (action === 'pause') {
        if (appId === null) pauseAll = pauseAll && pauseAll.periodEnd >= s.periodEnd ? pauseAll : s;
        else if (!pauseApps.has(appId) || pauseApps.get(appId)!.periodEnd < s.periodEnd) pauseApps.set(appId, s);
        continue;
      }
      const into = appId === null ? slowAll : (slowApps.get(appId) ?? slowApps.set(appId, {}).get(appId)!);
      for (const r of SLOWED[s.rule.direction]) into[r] = Math.min(into[r] ?? Infinity, slowTo!);
    }
    this.enforcePauses(pauseApps, now);
    this.enforcePauseAll(pauseAll, now);
    this.enforceSlowApps(slowApps, reached);
    const key = JSON.stringify(slowAll);
    if (key !== this.capsKey) {
      this.capsKey = key;
      this.enforcement.setTemporaryCaps(slowAll);
      this.event(null, key === '{}' ? 'all apps run at their caps again: the quota period ended' : `all apps slowed to ${slowText(slowAll)}: ${this.reason(reached, null)}`);
    }
  }

  private enforcePauses(want: Map<string, QuotaStatus>, now: number): void {
    for (const [id, end] of this.overridden) if (end <= now || !want.has(id)) this.overridden.delete(id);
    for (const [id, s] of want) {
      if (this.paused.has(id) || this.overridden.has(id) || !this.apps.now(id).active) continue;
      const view = this.apps.view(this.apps.runtime(id));
      if (view.pausedByOwner) continue; // the owner paused it already: nothing to take over
      this.apps.setPaused(id, true, 'by its quota');
      this.paused.set(id, s.periodEnd);
      this.event(id, `${this.name(id)} paused until ${when(s.periodEnd)}: it reached its ${quotaName(s.rule)} of ${formatBytes(s.rule.bytes)}`);
    }
    for (const [id, end] of this.paused) {
      const live = this.ctx.data.apps.some((d) => d.id === id) && this.apps.now(id).active;
      const stillPaused = live && this.apps.view(this.apps.runtime(id)).pausedByOwner;
      if (want.has(id) && stillPaused) continue;
      this.paused.delete(id);
      if (want.has(id) && live) {
        this.overridden.set(id, end); // resumed by the owner: not paused again this period
        continue;
      }
      if (stillPaused) {
        this.apps.setPaused(id, false, 'at the end of its quota period');
        this.event(id, `${this.name(id)} resumed: its quota period ended`);
      }
    }
  }

  private enforcePauseAll(want: QuotaStatus | null, now: number): void {
    if (want && this.leaseUntil === null && !this.lease.active) {
      this.leaseUntil = want.periodEnd;
      this.lease.pause(want.periodEnd - now).catch((e: Error) => this.ctx.log.add('error', `the quota could not pause all apps: ${e.message}`));
      this.event(null, `all apps paused until ${when(want.periodEnd)}: together they reached the ${quotaName(want.rule)} of ${formatBytes(want.rule.bytes)}`);
    } else if (!want && this.leaseUntil !== null) {
      // ours, and still in force (the owner may have ended or replaced it): end it with the period
      const ours = this.ctx.data.pause?.until === this.leaseUntil;
      this.leaseUntil = null;
      if (ours) void this.lease.resume('the quota period ended'); // resume never rejects
    }
  }

  private enforceSlowApps(want: Map<string, Partial<Record<Resource, number>>>, reached: QuotaStatus[]): void {
    const schedulers = this.enforcement.schedulers;
    for (const id of new Set([...want.keys(), ...this.slowed.keys()])) {
      const def = this.ctx.data.apps.find((d) => d.id === id);
      const was = this.slowed.get(id);
      if (!def) {
        this.slowed.delete(id);
        continue;
      }
      const to = want.get(id) ?? {};
      // a new run, or the owner's own ceilings changed, starts from the definition: give it again
      const tracker = this.apps.now(id).tracker;
      const key = JSON.stringify({ to, own: [def.ceilings.netUp, def.ceilings.netDown] });
      if (was && was.key === key && was.tracker === tracker) continue;
      if (!was && !want.has(id)) continue;
      for (const r of ['netUp', 'netDown'] as const) {
        const own = def.ceilings[r];
        const slow = to[r];
        if (schedulers && this.apps.now(id).active) schedulers.get(r).setCeiling(id, slow === undefined ? own : Math.min(own ?? Infinity, slow));
      }
      const started = want.has(id) && !was;
      if (want.has(id)) this.slowed.set(id, { key, tracker });
      else this.slowed.delete(id);
      if (started) this.event(id, `${def.name} slowed to ${slowText(to)}: ${this.reason(reached, id)}`);
      else if (!want.has(id)) this.event(id, `${def.name} runs at full speed again: its quota period ended`);
    }
  }

  private reason(reached: QuotaStatus[], appId: string | null): string {
    const s = reached.find((x) => x.rule.appId === appId && x.rule.action === 'slow');
    return s ? `${appId === null ? 'together the apps' : 'it'} reached the ${quotaName(s.rule)} of ${formatBytes(s.rule.bytes)}, until ${when(s.periodEnd)}` : 'a quota was reached';
  }

  private name(id: string): string {
    return this.ctx.data.apps.find((d) => d.id === id)?.name ?? id;
  }

  private event(appId: string | null, message: string): void {
    this.ctx.log.add('quota', message, appId);
    this.ctx.stateChanged();
  }

  private async save(): Promise<void> {
    this.dirty = false;
    try {
      await writeFileAtomic(this.statePath, JSON.stringify(this.ledger.toJSON()) + '\n');
    } catch (error) {
      this.dirty = true;
      if (this.ctx.throttle.allow('quota-save')) this.ctx.log.add('error', `quota counters could not be saved: ${(error as Error).message}`);
    }
  }

  private async read<T>(file: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, what: string): Promise<T | null> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return null; // none yet
    }
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      this.ctx.log.add('error', `${what} in ${file} could not be used (${parsed.error.issues[0]!.message}); starting afresh`);
    } catch (error) {
      this.ctx.log.add('error', `${what} in ${file} are not valid JSON (${(error as Error).message}); starting afresh`);
    }
    return null;
  }
}

/** "200 kB/s each way", "upload 200 kB/s" */
function slowText(rates: Partial<Record<Resource, number>>): string {
  const { netUp, netDown } = rates;
  if (netUp !== undefined && netUp === netDown) return `${formatRate(netUp)} each way`;
  return [netUp !== undefined ? `upload ${formatRate(netUp)}` : '', netDown !== undefined ? `download ${formatRate(netDown)}` : ''].filter(Boolean).join(', ');
}

function when(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
