// The engine core: owner caps and profiles, app definitions, the Creator and each
// app's lifecycle, the wiring of the resource schedulers, the pause-all lease,
// snapshots, the event log and persistence. Every command of the contract goes
// through invoke(), which validates its arguments first.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CommandError,
  parseCommandArgs,
  type CommandName,
  type CommandResult,
  type EventName,
  type EventPayloads,
  type ParsedCommandArgs,
} from '../common/contract.js';
import { toCommandError } from '../common/errors.js';
import { Listeners } from '../common/rpc.js';
import type { ContractEventArgs } from '../common/wire.js';
import {
  AppDefinitionSchema,
  EngineSettingsSchema,
  MAX_APPS,
  UNKNOWN_CAPACITY,
  capacityIsLowerBound,
  type AppDefinition,
  type Capacities,
  type Capacity,
  type CpuEnforcement,
  type AppSnapshot,
  type AppState,
  type AppView,
  type FullState,
  type OwnerLimits,
  type Snapshot,
  type StartAtLogin,
} from '../common/model.js';
import { MAX_BYTES, RESOURCES, type ByteRateResource, type Resource } from '../common/resources.js';
import { DiskMeasureError, NetPeakSampler, REAL_ROOTS, detectLinkCapacity, measureDisk, peakMethod, type SystemRoots } from './capacity.js';
import type { HelperSession, HelperUsage } from './catcher/session.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { checkExecutable, createCreator, type Creator, type LaunchedApp } from './creator.js';
import { ChildStartDigest, EventLog, Throttle } from './event-log.js';
import * as text from '../common/event-text.js';
import type { Engine, EngineOptions } from './index.js';
import { assertCapsWithinCapacity, assertSharesFit, capsAboveCapacity, effectiveLimits, findApp, makeAppId, pauseActive } from './limits.js';
import { createSchedulerSet, type SchedulerSet } from './schedulers/set.js';
import { SETTINGS_FILE, SettingsStore, defaultConfigDir, loadSettings, type SettingsData } from './settings.js';
import { SnapshotHistory, UsageTracker, emptyFigures, totalFigures } from './snapshots.js';
import { TerminalChannel } from './terminal.js';
import { packageVersion } from './paths.js';
import { AutoProfile } from './power/index.js';

/** Order in which an app is handed to the schedulers (see startApp). */
const ADD_ORDER: readonly Resource[] = ['mem', 'netUp', 'netDown', 'disk', 'cpu'];
const ACTIVE_STATES: ReadonlySet<string> = new Set(['starting', 'running']);
const HISTORY_SECONDS = 600;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Runnable but not dispatched for this long: the app is shown "waiting for CPU", not running. */
const WAITING_AFTER_MS = 500;

class AppRuntime {
  base: 'stopped' | 'starting' | 'running' | 'exited' | 'crashed' = 'stopped';
  pid: number | null = null;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  startedAt: number | null = null;
  pausedByOwner = false;
  launched: LaunchedApp | null = null;
  session: HelperSession | null = null;
  tracker: UsageTracker | null = null;
  stopRequested = false;
  exitDone: Promise<void> | null = null;
  sessionExit: { code: number | null; signal: string | null } | null = null;
  cols = 100;
  rows = 30;
  lock: Promise<unknown> = Promise.resolve();
  lastOutput = '';
  lastReportedState: AppState | null = null;
  /** Started under a pause-all: not yet handed to the CPU scheduler (the helper holds it stopped). */
  cpuDeferred = false;

  constructor(
    public def: AppDefinition,
    readonly terminal: TerminalChannel,
  ) {}

  get active(): boolean {
    return ACTIVE_STATES.has(this.base);
  }
}

export class EngineImpl implements Engine {
  readonly settingsPath: string;
  readonly configDir: string;
  private readonly clock: Clock;
  private readonly cores: number;
  private readonly store: SettingsStore;
  /** The contract's events; a faulty listener must not break the engine. */
  private readonly listeners = new Listeners<ContractEventArgs>(() => undefined);
  private readonly log: EventLog;
  private readonly runtimes = new Map<string, AppRuntime>();
  private readonly history = new SnapshotHistory(HISTORY_SECONDS * 2);
  private readonly throttle = new Throttle(10_000);
  private readonly childStarts = new ChildStartDigest((appId, line) => this.log.add('info', line, appId));
  private readonly holds = new Set<string>();
  private data!: SettingsData;
  private creator!: Creator;
  private schedulers: SchedulerSet | null = null;
  private enforcement: { ok: boolean; reason: string | null } = { ok: false, reason: 'not initialised' };
  private snapshotTimer: TimerHandle | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private statePending = false;
  private shuttingDown: Promise<void> | null = null;
  private lockFile: string | null = null;
  private readonly roots: SystemRoots;
  private netSampler: NetPeakSampler | null = null;
  /** This session's measurements, restored when the owner forgets a capacity they gave. */
  private readonly lastMeasured: Partial<Record<ByteRateResource, Capacity>> = {};
  private diskMeasuring: Promise<Capacities> | null = null;
  private capacitySaveTimer: NodeJS.Timeout | null = null;
  private autoProfile: AutoProfile | null = null;
  private startAtLogin: StartAtLogin | null = null;

  private constructor(private readonly options: EngineOptions) {
    this.configDir = path.resolve(options.configDir ?? defaultConfigDir());
    this.settingsPath = path.join(this.configDir, SETTINGS_FILE);
    this.clock = options.clock ?? realClock;
    this.cores = Math.max(1, Math.floor(options.cores ?? os.availableParallelism()));
    this.store = new SettingsStore(this.settingsPath);
    this.log = new EventLog((entry) => this.listeners.emit('log', entry));
    this.roots = { ...REAL_ROOTS, ...options.systemRoots };
  }

  static async create(options: EngineOptions): Promise<EngineImpl> {
    const engine = new EngineImpl(options);
    await engine.init();
    return engine;
  }

  private async init(): Promise<void> {
    this.lockFile = await acquireLock(this.configDir);
    try {
      await this.initLocked();
    } catch (error) {
      this.netSampler?.stop();
      await fs.rm(this.lockFile, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  private async initLocked(): Promise<void> {
    const loaded = await loadSettings(this.settingsPath);
    this.data = loaded.data;
    if (loaded.corrupt) {
      this.log.add(
        'error',
        `settings file could not be used (${loaded.corrupt.reason}); it was kept as ${loaded.corrupt.movedTo} and defaults are in use`,
      );
    }
    if (loaded.created) await this.save();
    for (const def of this.data.apps) this.runtimes.set(def.id, this.newRuntime(def));
    await this.initCapacity();

    this.creator = await createCreator({
      helperPath: this.options.helperPath,
      configDir: this.configDir,
      terminal: this.options.terminal ?? 'pty',
    });
    const sched = await createSchedulerSet({
      clock: this.clock,
      cores: this.cores,
      settings: this.data.settings,
      probeCgroups: this.options.probeCgroups,
    });
    if (!this.creator.available.ok) {
      this.enforcement = this.creator.available;
      if (!('error' in sched)) sched.dispose();
    } else if ('error' in sched) {
      this.enforcement = { ok: false, reason: sched.error };
    } else {
      this.enforcement = this.creator.available;
      this.installSchedulers(sched);
    }
    if (!this.enforcement.ok) this.log.add('warning', `enforcement unavailable: ${this.enforcement.reason}; apps cannot be started`);

    // a pause-all lease survives a restart and expires by itself
    if (this.data.pause && !pauseActive(this.data.pause, Date.now())) {
      this.data.pause = null;
      await this.save();
    }
    if (this.data.pause) {
      this.log.add('info', this.describePause('all apps paused', this.data.pause.until));
      this.armLeaseTimer();
    }
    this.history.setCapacity(Math.ceil(HISTORY_SECONDS * this.data.settings.snapshotHz));
    this.armSnapshots();
    this.startAtLogin = (await this.options.loginItem?.describe().catch((e: Error) => ({ enabled: false, how: 'unknown', problem: e.message }))) ?? null;
    if (this.options.power) {
      this.autoProfile = new AutoProfile({
        source: this.options.power,
        pollMs: this.options.powerPollMs,
        thresholdSeconds: () => this.data.settings.idleThresholdSeconds,
        apply: (profile) => (this.data.profileChoice === 'auto' && !this.shuttingDown ? this.setProfile(profile) : Promise.resolve()),
        onReading: () => this.stateChanged(),
        log: (message) => this.log.add('warning', message),
      });
      await this.autoProfile.start();
    }

    if (this.options.autostart ?? true) {
      for (const def of this.data.apps) {
        if (!def.autostart) continue;
        try {
          await this.startApp(def.id);
        } catch (error) {
          this.log.add('error', `autostart of ${def.id} failed: ${(error as Error).message}`, def.id);
        }
      }
    }
  }

  // ───────────────────────────── the contract ─────────────────────────────

  async invoke<N extends CommandName>(name: N, args: unknown): Promise<CommandResult<N>> {
    const parsed = parseCommandArgs(name, args);
    if (this.shuttingDown && name !== 'getState' && name !== 'getEventLog' && name !== 'getHistory') {
      throw new CommandError('unavailable', 'the engine is shutting down');
    }
    try {
      return (await this.dispatch(name, parsed)) as CommandResult<N>;
    } catch (error) {
      throw toCommandError(error);
    }
  }

  private async dispatch<N extends CommandName>(name: N, a: ParsedCommandArgs<N>): Promise<unknown> {
    switch (name) {
      case 'getState':
        return this.fullState();
      case 'setOwnerLimits':
        return this.setOwnerLimits(a as ParsedCommandArgs<'setOwnerLimits'>);
      case 'addApp':
        return this.addApp(a as ParsedCommandArgs<'addApp'>);
      case 'updateApp':
        return this.updateApp(a as ParsedCommandArgs<'updateApp'>);
      case 'removeApp':
        return this.removeApp((a as ParsedCommandArgs<'removeApp'>).id);
      case 'startApp':
        return this.withLock((a as { id: string }).id, () => this.startApp((a as { id: string }).id));
      case 'stopApp':
        return this.withLock((a as { id: string }).id, () => this.stopApp((a as { id: string }).id));
      case 'restartApp': {
        const id = (a as { id: string }).id;
        return this.withLock(id, async () => {
          await this.stopApp(id);
          return this.startApp(id);
        });
      }
      case 'pauseApp':
        return this.setAppPaused((a as { id: string }).id, true);
      case 'resumeApp':
        return this.setAppPaused((a as { id: string }).id, false);
      case 'pauseAll':
        return this.pauseAll((a as ParsedCommandArgs<'pauseAll'>).durationMs);
      case 'resumeAll':
        return this.resumeAll('resumed by the owner');
      case 'setProfile':
        return this.setProfileChoice((a as ParsedCommandArgs<'setProfile'>).profile);
      case 'updateSettings':
        return this.updateSettings(a as ParsedCommandArgs<'updateSettings'>);
      case 'setStartAtLogin': {
        if (!this.options.loginItem) throw new CommandError('unavailable', 'this Interceptor cannot start itself at login');
        this.startAtLogin = await this.options.loginItem.set((a as ParsedCommandArgs<'setStartAtLogin'>).enabled);
        this.stateChanged();
        return this.fullState();
      }
      case 'writeTerminal': {
        const { id, data } = a as ParsedCommandArgs<'writeTerminal'>;
        const rt = this.runtime(id);
        if (!rt.launched || !rt.active) throw new CommandError('conflict', `${id} is not running`);
        rt.launched.write(data);
        return null;
      }
      case 'resizeTerminal': {
        const { id, cols, rows } = a as ParsedCommandArgs<'resizeTerminal'>;
        const rt = this.runtime(id);
        rt.cols = cols;
        rt.rows = rows;
        if (rt.launched && rt.active) rt.launched.resize(cols, rows);
        return null;
      }
      case 'getTerminalBacklog': {
        const rt = this.runtime((a as { id: string }).id);
        rt.terminal.flush();
        return rt.terminal.backlogText();
      }
      case 'getHistory':
        return this.history.since(Date.now() - (a as ParsedCommandArgs<'getHistory'>).seconds * 1000);
      case 'getEventLog':
        return this.log.since((a as ParsedCommandArgs<'getEventLog'>).sinceSeq);
      case 'checkExecutable': {
        const { command, cwd } = a as ParsedCommandArgs<'checkExecutable'>;
        return checkExecutable(command, cwd);
      }
      case 'setCapacity': {
        const { resource, bytesPerSec } = a as ParsedCommandArgs<'setCapacity'>;
        return this.setCapacity(resource, bytesPerSec);
      }
      case 'measureCapacity':
        return (a as ParsedCommandArgs<'measureCapacity'>).resource === 'net' ? this.measureNetCapacity() : this.measureDiskCapacity();
      default:
        throw new CommandError('invalid', `unknown command "${String(name)}"`);
    }
  }

  on<E extends EventName>(event: E, listener: (p: EventPayloads[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  holdTerminalOutput(source: string, held: boolean): void {
    if (held) this.holds.add(source);
    else this.holds.delete(source);
    const any = this.holds.size > 0;
    for (const rt of this.runtimes.values()) rt.terminal.setHeld(any);
  }

  shutdown(opts: { leaveRunning?: boolean } = {}): Promise<void> {
    if (!this.shuttingDown) this.shuttingDown = this.doShutdown(opts.leaveRunning ?? this.data.settings.onQuit === 'leaveRunning');
    return this.shuttingDown;
  }

  private async doShutdown(leaveRunning: boolean): Promise<void> {
    this.netSampler?.stop();
    this.autoProfile?.stop();
    if (this.capacitySaveTimer) {
      clearTimeout(this.capacitySaveTimer);
      this.capacitySaveTimer = null;
      await this.save().catch(() => undefined);
    }
    this.snapshotTimer?.cancel();
    this.snapshotTimer = null;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    const running = [...this.runtimes.values()].filter((rt) => rt.active);
    if (leaveRunning) {
      // Switch every helper to engine-loss policy "continue" before letting go, whatever the
      // apps were started with: when this process exits, the control sockets reach EOF and the
      // pty masters close (SIGHUP to the helpers); with "continue" the helpers lift all limits,
      // keep tracing and keep that hangup from the app. Then release limits as for any release.
      await Promise.all(
        running.map(async (rt) => {
          const s = rt.session;
          if (!s || s.closed) return;
          try {
            await withTimeout(s.setOnEngineLoss('continue'), 2000, 'onEngineLoss continue');
          } catch (e) {
            this.log.add('warning', `${rt.def.id}: could not switch its helper to onEngineLoss "continue" (${e instanceof Error ? e.message : String(e)}): it may stop when Interceptor goes away`, rt.def.id);
          }
        }),
      );
      for (const rt of running) {
        await this.releaseApp(rt);
        this.log.add('info', `${rt.def.id} left running without caps`, rt.def.id);
        rt.launched?.detach();
      }
    } else {
      await Promise.all(running.map((rt) => this.stopApp(rt.def.id).catch(() => undefined)));
    }
    this.schedulers?.dispose();
    await this.creator.close();
    for (const rt of this.runtimes.values()) rt.terminal.dispose();
    await this.store.flush().catch(() => undefined);
    if (this.lockFile) await fs.rm(this.lockFile, { force: true }).catch(() => undefined);
  }

  // ───────────────────────────── state & events ─────────────────────────────

  private stateChanged(): void {
    if (this.statePending) return;
    this.statePending = true;
    queueMicrotask(() => {
      this.statePending = false;
      this.listeners.emit('state', this.fullState());
    });
  }

  private fullState(): FullState {
    return {
      version: packageVersion(),
      platform: { os: process.platform, cores: this.cores, enforcement: this.enforcement.ok, reason: this.enforcement.reason, cpu: this.cpuEnforcement() },
      profile: this.data.activeProfile,
      profileChoice: this.data.profileChoice,
      power: this.autoProfile?.lastState ?? null,
      profiles: structuredClone(this.data.profiles),
      limits: this.limitsNow(),
      apps: this.data.apps.map((d) => this.view(this.runtime(d.id))),
      pause: this.data.pause ? { ...this.data.pause } : null,
      settings: structuredClone(this.data.settings),
      capacity: structuredClone(this.data.capacity),
      startAtLogin: this.startAtLogin && { ...this.startAtLogin },
    };
  }

  private cpuEnforcement(): CpuEnforcement {
    return this.schedulers?.cpu ?? { mechanism: 'ptrace', detail: 'none: enforcement unavailable', unavailable: this.enforcement.reason };
  }

  private limitsNow(): OwnerLimits {
    return effectiveLimits(this.data.profiles, this.data.activeProfile, this.data.pause, Date.now());
  }

  private appState(rt: AppRuntime): AppState {
    if (rt.base !== 'running') return rt.base;
    if (rt.pausedByOwner || pauseActive(this.data.pause, Date.now())) return 'paused';
    const cpu = this.schedulers?.get('cpu').appStatus(rt.def.id);
    if ((cpu?.waitingMs ?? 0) >= WAITING_AFTER_MS) return 'waiting';
    if ((rt.tracker?.last?.heldCalls ?? 0) > 0) return 'held';
    return 'running';
  }

  private view(rt: AppRuntime): AppView {
    return {
      definition: structuredClone(rt.def),
      state: this.appState(rt),
      pid: rt.pid,
      exitCode: rt.exitCode,
      exitSignal: rt.exitSignal,
      startedAt: rt.startedAt,
      pausedByOwner: rt.pausedByOwner,
    };
  }

  /** The app's name for the event log (its id once it is gone). */
  private appName(id: string): string {
    return this.runtimes.get(id)?.def.name ?? id;
  }

  private runtime(id: string): AppRuntime {
    const rt = this.runtimes.get(id);
    if (!rt) throw new CommandError('notFound', `no app with id "${id}"`);
    return rt;
  }

  private newRuntime(def: AppDefinition): AppRuntime {
    const terminal = new TerminalChannel((data) => this.listeners.emit('terminalData', { id: def.id, data }), {
      maxBytesPerSecond: this.options.terminalMaxBytesPerSecond,
    });
    terminal.setHeld(this.holds.size > 0);
    return new AppRuntime(def, terminal);
  }

  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const rt = this.runtime(id);
    const run = rt.lock.then(fn, fn);
    rt.lock = run.catch(() => undefined);
    return run;
  }

  private async save(): Promise<void> {
    try {
      await this.store.save(this.data);
    } catch (error) {
      this.log.add('error', `settings could not be saved to ${this.settingsPath}: ${(error as Error).message}`);
      throw new CommandError('internal', `settings could not be saved: ${(error as Error).message}`);
    }
  }

  // ───────────────────────────── caps, profiles, settings ─────────────────────────────

  private async setOwnerLimits(a: ParsedCommandArgs<'setOwnerLimits'>): Promise<OwnerLimits> {
    const profile = a.profile ?? this.data.activeProfile;
    const profiles = structuredClone(this.data.profiles);
    profiles[profile] = { ...profiles[profile], ...a.limits };
    assertCapsWithinCapacity(a.limits, this.data.capacity);
    assertSharesFit(this.data.apps, profiles);
    this.data.profiles = profiles;
    await this.save();
    if (profile === this.data.activeProfile) this.applyCaps();
    this.stateChanged();
    return { ...profiles[profile] };
  }

  /** The owner's pick: a profile stays until changed; "auto" hands the choice back to idle and power state. */
  private async setProfileChoice(choice: SettingsData['profileChoice']): Promise<FullState> {
    if (choice !== this.data.profileChoice) {
      this.data.profileChoice = choice;
      await this.save();
      this.log.add('info', choice === 'auto' ? 'profile chosen automatically from idle and power state' : `profile "${choice}" chosen by the owner`);
      this.stateChanged();
    }
    if (choice !== 'auto') return this.setProfile(choice);
    await this.autoProfile?.evaluate();
    return this.fullState();
  }

  private async setProfile(profile: SettingsData['activeProfile']): Promise<FullState> {
    if (profile !== this.data.activeProfile) {
      this.data.activeProfile = profile;
      await this.save();
      this.applyCaps();
      this.log.add('info', text.profileInForceText(profile));
      this.stateChanged();
    }
    return this.fullState();
  }

  private async updateSettings(patch: ParsedCommandArgs<'updateSettings'>): Promise<FullState> {
    const merged = EngineSettingsSchema.safeParse({ ...this.data.settings, ...patch, policies: { ...this.data.settings.policies, ...(patch.policies ?? {}) } });
    if (!merged.success) throw new CommandError('invalid', `updateSettings: ${merged.error.issues[0]!.message}`);
    const before = this.data.settings;
    this.data.settings = merged.data;
    await this.save();
    if (before.snapshotHz !== merged.data.snapshotHz) {
      this.history.setCapacity(Math.ceil(HISTORY_SECONDS * merged.data.snapshotHz));
      this.armSnapshots();
    }
    const schedulingChanged =
      before.cpuSliceMs !== merged.data.cpuSliceMs ||
      before.cpuMechanism !== merged.data.cpuMechanism ||
      before.cpuDualPriority !== merged.data.cpuDualPriority ||
      before.catchUpEpochs !== merged.data.catchUpEpochs ||
      JSON.stringify(before.policies) !== JSON.stringify(merged.data.policies);
    if (schedulingChanged && this.schedulers) {
      if ([...this.runtimes.values()].some((rt) => rt.active)) {
        this.log.add('info', 'scheduling settings saved; they apply when no app is running or at the next start of Interceptor');
      } else {
        await this.rebuildSchedulers();
      }
    }
    this.stateChanged();
    return this.fullState();
  }

  private async rebuildSchedulers(): Promise<void> {
    const sched = await createSchedulerSet({ clock: this.clock, cores: this.cores, settings: this.data.settings, probeCgroups: this.options.probeCgroups });
    if ('error' in sched) return;
    this.schedulers?.dispose();
    this.installSchedulers(sched);
  }

  /** The engine's scheduler set: its events wired, the caps in force, the CPU mechanism said. */
  private installSchedulers(sched: SchedulerSet): void {
    this.schedulers = sched;
    sched.on('limitHit', (appId, resource) => {
      if (this.throttle.allow(`limit:${appId}:${resource}`)) this.log.add('limitHit', text.limitHitText(this.appName(appId), resource), appId, resource);
    });
    sched.on('memDenied', (appId, bytes) => {
      if (this.throttle.allow(`mem:${appId}`)) this.log.add('memDenied', text.memDeniedText(this.appName(appId), bytes), appId, 'mem');
    });
    this.applyCaps();
    const { cpu } = sched;
    if (cpu.mechanism === 'cgroup') this.log.add('info', `CPU caps are enforced by the kernel: ${cpu.detail}`);
    else if (this.data.settings.cpuMechanism === 'cgroup') {
      this.log.add('warning', `the kernel's CPU bandwidth control cannot be used (${cpu.unavailable}); CPU caps are enforced by ptrace stops`);
    } else if (cpu.unavailable) this.log.add('info', `CPU caps are enforced by ptrace stops (${cpu.unavailable})`);
  }

  /** The schedulers get the active profile's caps; a pause-all is applied as per-app pauses. */
  private applyCaps(): void {
    if (!this.schedulers) return;
    const caps = this.data.profiles[this.data.activeProfile];
    for (const r of RESOURCES) this.schedulers.get(r).setCap(caps[r]);
  }

  // ───────────────────────────── link and disk capacity ─────────────────────────────

  /**
   * At start: the link speed is read (cheap) and network peak sampling runs; the disk is
   * never measured unasked (writing 64 MiB is the owner's call). A link speed or a peak of
   * another interface kept from before is stale when the link no longer says so.
   */
  private async initCapacity(): Promise<void> {
    const link = detectLinkCapacity(this.roots);
    let changed = false;
    for (const r of ['netUp', 'netDown'] as const) {
      const c = this.data.capacity[r];
      if (link.ok) this.lastMeasured[r] = { ...link.capacity };
      else if (capacityIsLowerBound(c) && link.iface && c.method === peakMethod(link.iface)) this.lastMeasured[r] = { ...c };
      if (c.source === 'owner') continue;
      if (link.ok) {
        if (c.bytesPerSec !== link.capacity.bytesPerSec || c.method !== link.capacity.method) {
          this.data.capacity[r] = { ...link.capacity };
          changed = true;
        }
      } else if (c.source === 'measured' && !this.lastMeasured[r]) {
        this.data.capacity[r] = { ...UNKNOWN_CAPACITY };
        changed = true;
      }
    }
    if (changed) {
      await this.save();
      this.warnUnreachableCaps(['netUp', 'netDown']);
    }
    if (this.options.sampleNetwork ?? true) {
      this.netSampler = new NetPeakSampler(this.roots, (iface, peak) => this.onNetPeak(iface, peak));
      this.netSampler.start();
    }
  }

  /** A higher 1-second rate was seen on the default-route interface: a better lower bound of the link. */
  private onNetPeak(iface: string, peak: { rx: number; tx: number }): void {
    if (this.shuttingDown) return;
    const method = peakMethod(iface);
    let changed = false;
    for (const [r, rate] of [['netDown', peak.rx], ['netUp', peak.tx]] as const) {
      if (!(rate > 0 && rate <= MAX_BYTES)) continue;
      const last = this.lastMeasured[r];
      if (last && !capacityIsLowerBound(last)) continue; // the link speed is known
      const measured: Capacity = { bytesPerSec: rate, source: 'measured', measuredAt: Date.now(), method };
      if (!last || last.method !== method || rate > last.bytesPerSec!) this.lastMeasured[r] = measured;
      const c = this.data.capacity[r];
      const raise = c.source === 'unknown' || (capacityIsLowerBound(c) && (c.method !== method || rate > c.bytesPerSec! * 1.05));
      if (!raise) continue;
      this.data.capacity[r] = measured;
      changed = true;
    }
    if (!changed) return;
    this.stateChanged();
    // persisted lazily: a rising peak must not mean a settings write per second
    if (!this.capacitySaveTimer) {
      this.capacitySaveTimer = setTimeout(() => {
        this.capacitySaveTimer = null;
        void this.save().catch(() => undefined);
      }, 10_000);
      this.capacitySaveTimer.unref?.();
    }
  }

  private async setCapacity(resource: ByteRateResource, bytesPerSec: number | null): Promise<Capacities> {
    let next: Capacity;
    if (bytesPerSec !== null) {
      next = { bytesPerSec, source: 'owner', measuredAt: null, method: null };
    } else if (resource === 'disk') {
      next = this.lastMeasured.disk ? { ...this.lastMeasured.disk } : { ...UNKNOWN_CAPACITY };
    } else {
      const link = detectLinkCapacity(this.roots);
      if (link.ok) this.lastMeasured[resource] = { ...link.capacity };
      const last = this.lastMeasured[resource];
      next = last ? { ...last } : { ...UNKNOWN_CAPACITY };
    }
    await this.updateCapacity({ [resource]: next });
    this.log.add(
      'info',
      bytesPerSec !== null ? text.capacitySetText(resource, bytesPerSec) : text.capacityForgottenText(resource, next),
      null,
      resource,
    );
    return structuredClone(this.data.capacity);
  }

  private async measureNetCapacity(): Promise<Capacities> {
    const link = detectLinkCapacity(this.roots);
    const update: Partial<Capacities> = {};
    if (link.ok) {
      update.netUp = { ...link.capacity };
      update.netDown = { ...link.capacity };
    } else if (link.iface) {
      const method = peakMethod(link.iface);
      for (const r of ['netUp', 'netDown'] as const) {
        const last = this.lastMeasured[r];
        if (last && last.method === method) update[r] = { ...last, measuredAt: Date.now() };
      }
    }
    if (!update.netUp && !update.netDown) {
      const why = link.ok ? '' : link.iface ? `${link.reason}, and no traffic has been observed on it yet` : link.reason;
      throw new CommandError('unavailable', `cannot measure the network capacity: ${why}; give it yourself (e.g. 12.5MB/s for a 100 Mb/s link)`);
    }
    for (const r of ['netUp', 'netDown'] as const) if (update[r]) this.lastMeasured[r] = { ...update[r] };
    await this.updateCapacity(update);
    const shown = (update.netUp ?? update.netDown)!;
    this.log.add('info', text.capacityMeasuredText('link', shown));
    return structuredClone(this.data.capacity);
  }

  private measureDiskCapacity(): Promise<Capacities> {
    // one measurement at a time: a second request waits for the first's result
    this.diskMeasuring ??= (async () => {
      try {
        const m = await measureDisk(this.configDir, { bytes: this.options.diskProbeBytes, timeoutMs: this.options.diskProbeTimeoutMs });
        const c: Capacity = { bytesPerSec: Math.min(MAX_BYTES, m.bytesPerSec), source: 'measured', measuredAt: Date.now(), method: m.method.slice(0, 200) };
        this.lastMeasured.disk = c;
        await this.updateCapacity({ disk: c });
        this.log.add('info', text.capacityMeasuredText('disk', c), null, 'disk');
        return structuredClone(this.data.capacity);
      } catch (error) {
        if (error instanceof CommandError) throw error;
        const why = error instanceof DiskMeasureError ? error.message : `${(error as Error).message}`;
        throw new CommandError('unavailable', `cannot measure the disk in ${this.configDir}: ${why}; give its capacity yourself (e.g. 100MB/s)`);
      } finally {
        this.diskMeasuring = null;
      }
    })();
    return this.diskMeasuring;
  }

  /** Store new capacities; warn about caps they make unreachable. */
  private async updateCapacity(update: Partial<Capacities>): Promise<void> {
    const before = this.data.capacity;
    this.data.capacity = { ...before, ...update };
    try {
      await this.save();
    } catch (error) {
      this.data.capacity = before;
      throw error;
    }
    this.warnUnreachableCaps(Object.keys(update));
    this.stateChanged();
  }

  /** A cap above a capacity (measured or given after the cap was set) cannot be reached: say so. */
  private warnUnreachableCaps(resources: readonly string[]): void {
    for (const v of capsAboveCapacity(this.data.profiles, this.data.capacity)) {
      if (!resources.includes(v.resource)) continue;
      this.log.add(
        'warning',
        text.capAboveCapacityText(v.profile, v.resource, v.cap, v.capacity),
        null,
        v.resource,
      );
    }
  }

  // ───────────────────────────── app definitions ─────────────────────────────

  private async addApp(input: ParsedCommandArgs<'addApp'>): Promise<AppView> {
    if (this.data.apps.length >= MAX_APPS) throw new CommandError('conflict', `at most ${MAX_APPS} apps`);
    const id = makeAppId(input.name, new Set(this.data.apps.map((d) => d.id)));
    const def = AppDefinitionSchema.parse({ ...input, id });
    assertSharesFit([...this.data.apps, def], this.data.profiles);
    this.data.apps = [...this.data.apps, def];
    const rt = this.newRuntime(def);
    this.runtimes.set(id, rt);
    try {
      await this.save();
    } catch (error) {
      this.data.apps = this.data.apps.filter((d) => d.id !== id);
      this.runtimes.delete(id);
      throw error;
    }
    this.log.add('info', `${def.name} added`, id);
    this.stateChanged();
    return this.view(rt);
  }

  private async updateApp({ id, patch }: ParsedCommandArgs<'updateApp'>): Promise<AppView> {
    const current = findApp(this.data.apps, id);
    const parsed = AppDefinitionSchema.safeParse({ ...current, ...patch, id });
    if (!parsed.success) throw new CommandError('invalid', `updateApp: ${parsed.error.issues[0]!.message}`);
    const next = parsed.data;
    const apps = this.data.apps.map((d) => (d.id === id ? next : d));
    assertSharesFit(apps, this.data.profiles);
    this.data.apps = apps;
    await this.save();
    const rt = this.runtime(id);
    rt.def = next;
    if (rt.session && this.schedulers && rt.active) {
      for (const r of RESOURCES) if (current.shares[r] !== next.shares[r]) this.schedulers.get(r).setShare(id, next.shares[r]);
    }
    this.stateChanged();
    return this.view(rt);
  }

  private async removeApp(id: string): Promise<null> {
    const { name } = findApp(this.data.apps, id);
    await this.withLock(id, () => this.stopApp(id));
    this.data.apps = this.data.apps.filter((d) => d.id !== id);
    await this.save();
    this.runtimes.get(id)?.terminal.dispose();
    this.runtimes.delete(id);
    this.log.add('info', `${name} removed`, id);
    this.stateChanged();
    return null;
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  private async startApp(id: string): Promise<AppView> {
    const rt = this.runtime(id);
    if (rt.active) throw new CommandError('conflict', `${id} is already running`);
    if (!this.enforcement.ok || !this.schedulers) {
      throw new CommandError('unavailable', `cannot start ${id}: ${this.enforcement.reason ?? 'enforcement unavailable'}`);
    }
    const def = rt.def;
    const exe = await checkExecutable(def.command, def.cwd);
    if (!exe.ok || !exe.resolved) throw new CommandError('invalid', `cannot start ${id}: ${exe.error}`);

    rt.base = 'starting';
    rt.stopRequested = false;
    rt.pausedByOwner = false;
    rt.exitCode = null;
    rt.exitSignal = null;
    rt.sessionExit = null;
    rt.session = null;
    rt.tracker = null;
    rt.cpuDeferred = false;
    rt.lastOutput = '';
    this.stateChanged();

    let launched: LaunchedApp;
    try {
      launched = this.creator.launch({
        appId: id,
        command: exe.resolved,
        args: def.args,
        cwd: def.cwd ? path.resolve(def.cwd) : process.cwd(),
        env: def.env,
        cols: rt.cols,
        rows: rt.rows,
        onEngineLoss: this.data.settings.onEngineLoss,
        // SCHED_RR tasks escape a cgroup's CFS quota: dual priority there is the parent's weight
        dualPriority: this.data.settings.cpuDualPriority && this.schedulers.cpu.mechanism === 'ptrace',
      });
    } catch (error) {
      rt.base = 'crashed';
      this.log.add('crash', `${id} could not be started: ${(error as Error).message}`, id);
      this.stateChanged();
      throw new CommandError('internal', `cannot start ${id}: ${(error as Error).message}`);
    }
    rt.launched = launched;
    rt.pid = launched.pid;
    rt.startedAt = Date.now();
    rt.terminal.attach(launched.flow);
    launched.onData((data) => {
      rt.lastOutput = (rt.lastOutput + data).slice(-2000);
      rt.terminal.push(data);
    });
    rt.exitDone = launched.exited.then((status) => this.onExited(rt, launched, status));

    let session: HelperSession;
    try {
      session = await launched.session; // fails after HELPER_CONNECT_TIMEOUT_MS, or when the helper exits first
    } catch (error) {
      // the helper died before (or without) connecting: its diagnostics are in the terminal
      launched.kill('SIGKILL');
      await rt.exitDone;
      const detail = lastLine(rt.lastOutput) || (error as Error).message;
      throw new CommandError('internal', `cannot start ${id}: ${detail}`);
    }
    if (rt.launched !== launched || rt.base !== 'starting') {
      if (rt.stopRequested) throw new CommandError('conflict', `${id} was stopped while starting`);
      return this.view(rt); // it ran and has already ended: its exit is recorded
    }
    rt.session = session;
    rt.pid = session.hello.appPid;
    if (!session.hello.features.notifPath && this.throttle.allow('notifPath')) {
      this.log.add('warning', `${id}: this kernel offers no seccomp user notification; read/write calls are intercepted by ptrace stops (about 10x slower per call)`, id);
    }
    const tracker = new UsageTracker(this.clock.now(), this.cores);
    rt.tracker = tracker;
    // held ⇄ running transitions reach the UIs with the next snapshot tick (see snapshot()),
    // not at the helper's usage rate
    session.on('usage', (u: HelperUsage) => tracker.update(u, this.clock.now()));
    session.on('exit', (status) => {
      rt.sessionExit = status;
    });
    session.on('log', (level, msg) => {
      if (level === 'warn' || level === 'error') this.log.add(level === 'warn' ? 'warning' : 'error', `${id} helper: ${msg}`, id);
    });
    session.on('tree', (info) => {
      if (info.event === 'exec' && info.pid !== rt.pid) this.childStarts.note(id, rt.def.name, info.comm);
    });
    try {
      await session.setUsagePeriod(100).catch(() => undefined);
      // memory and byte limits first, the CPU last: the helper applies commands in order and the
      // app is released by the first CPU command, so it never runs a moment without its caps
      // under a pause-all the CPU scheduler gets the app only when the pause ends: until its
      // first CPU command the app is held stopped by the helper, so it never runs a moment
      const paused = pauseActive(this.data.pause, Date.now());
      rt.cpuDeferred = paused;
      for (const r of ADD_ORDER) {
        if (r === 'cpu' && paused) continue;
        const sched = this.schedulers.get(r);
        sched.addApp(id, session, def.shares[r]);
        if (paused) sched.setPaused(id, true);
      }
    } catch (error) {
      this.log.add('error', `${id}: scheduling failed: ${(error as Error).message}`, id);
      await this.stopApp(id);
      throw new CommandError('internal', `cannot schedule ${id}: ${(error as Error).message}`);
    }
    rt.base = 'running';
    this.log.add('start', text.appStartedText(rt.def.name, rt.pid), id);
    this.stateChanged();
    return this.view(rt);
  }

  private onExited(rt: AppRuntime, launched: LaunchedApp, status: { code: number | null; signal: string | null }): void {
    if (rt.launched !== launched) return;
    this.detachSchedulers(rt);
    rt.terminal.flush();
    const exit = rt.sessionExit ?? status;
    rt.exitCode = exit.code;
    rt.exitSignal = exit.signal;
    rt.launched = null;
    rt.session = null;
    const id = rt.def.id;
    this.childStarts.end(id);
    if (rt.stopRequested) {
      rt.base = 'stopped';
      this.log.add('exit', text.appEndedText(rt.def.name, 'stopped', exit), id);
    } else if (exit.code === 0 && !exit.signal) {
      rt.base = 'exited';
      this.log.add('exit', text.appEndedText(rt.def.name, 'exited', exit), id);
    } else {
      rt.base = 'crashed';
      const wasStarting = !rt.sessionExit && !rt.tracker;
      this.log.add('crash', text.appEndedText(rt.def.name, 'crashed', exit, wasStarting ? lastLine(rt.lastOutput) : ''), id);
    }
    this.stateChanged();
  }

  private detachSchedulers(rt: AppRuntime): void {
    if (!this.schedulers || !rt.session) return;
    for (const r of RESOURCES) {
      try {
        this.schedulers.get(r).removeApp(rt.def.id);
      } catch {
        // not added (yet)
      }
    }
  }

  /** Let the app run without throttling (before stopping it or leaving it running). */
  private async releaseApp(rt: AppRuntime): Promise<void> {
    this.detachSchedulers(rt);
    const s = rt.session;
    if (!s || s.closed) return;
    await Promise.allSettled([
      s.setLimitMode('netUp', 'unlimited'),
      s.setLimitMode('netDown', 'unlimited'),
      s.setLimitMode('disk', 'unlimited'),
      s.setMemCeiling(null),
      s.free(),
    ]);
  }

  private async stopApp(id: string): Promise<AppView> {
    const rt = this.runtime(id);
    const launched = rt.launched;
    if (!launched || !rt.active) return this.view(rt);
    rt.stopRequested = true;
    const grace = this.options.stopGraceMs ?? 5000;
    const session = rt.session;
    if (session && !session.closed) {
      // a stopped tree could not handle SIGTERM: release it first, then SIGTERM → SIGKILL after grace (in the helper)
      await withTimeout(this.releaseApp(rt), 2000, 'release').catch(() => undefined);
      session.terminate(grace).catch(() => launched.kill('SIGTERM'));
    } else {
      launched.kill('SIGTERM');
    }
    // the engine's own backstop in case the helper does not do it
    const backstop = setTimeout(() => launched.kill('SIGKILL'), grace + 2000);
    try {
      await rt.exitDone;
    } finally {
      clearTimeout(backstop);
    }
    return this.view(rt);
  }

  private async setAppPaused(id: string, paused: boolean): Promise<AppView> {
    const rt = this.runtime(id);
    if (!rt.active || !rt.session) throw new CommandError('conflict', `${id} is not running`);
    if (rt.pausedByOwner !== paused) {
      rt.pausedByOwner = paused;
      this.applyPause(rt);
      this.log.add('info', `${rt.def.name} ${paused ? 'paused' : 'resumed'} by you`, id);
      this.stateChanged();
    }
    return this.view(rt);
  }

  // ───────────────────────────── pause-all lease ─────────────────────────────

  private async pauseAll(durationMs: number | null): Promise<FullState> {
    const now = Date.now();
    this.data.pause = { since: now, until: durationMs === null ? null : now + durationMs };
    await this.save();
    this.applyPauseToApps();
    this.armLeaseTimer();
    this.log.add('info', this.describePause('all apps paused', this.data.pause.until));
    this.stateChanged();
    return this.fullState();
  }

  private async resumeAll(why: string): Promise<FullState> {
    if (this.data.pause) {
      this.data.pause = null;
      if (this.leaseTimer) clearTimeout(this.leaseTimer);
      this.leaseTimer = null;
      await this.save().catch(() => undefined);
      this.applyPauseToApps();
      this.log.add('info', `pause of all apps ended: ${why}`);
      this.stateChanged();
    }
    return this.fullState();
  }

  private applyPauseToApps(): void {
    for (const rt of this.runtimes.values()) this.applyPause(rt);
  }

  /** Hand the app's pause state (owner pause or pause-all) to every scheduler. */
  private applyPause(rt: AppRuntime): void {
    if (!rt.active || !rt.session || !this.schedulers) return;
    const paused = rt.pausedByOwner || pauseActive(this.data.pause, Date.now());
    if (rt.cpuDeferred && !paused && !rt.session.closed) {
      rt.cpuDeferred = false;
      this.schedulers.get('cpu').addApp(rt.def.id, rt.session, rt.def.shares.cpu);
    }
    for (const r of RESOURCES) this.schedulers.get(r).setPaused(rt.def.id, paused);
  }

  private armLeaseTimer(): void {
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
    const until = this.data.pause?.until;
    if (until === null || until === undefined) return;
    const wait = until - Date.now();
    if (wait <= 0) {
      void this.resumeAll('the pause expired');
      return;
    }
    this.leaseTimer = setTimeout(() => this.armLeaseTimer(), Math.min(wait, MAX_TIMER_MS));
    this.leaseTimer.unref?.();
  }

  private describePause(what: string, until: number | null): string {
    return until === null ? `${what} until resumed` : `${what} until ${new Date(until).toISOString()}`;
  }

  // ───────────────────────────── snapshots ─────────────────────────────

  private armSnapshots(): void {
    this.snapshotTimer?.cancel();
    const period = 1000 / this.data.settings.snapshotHz;
    const tick = () => {
      this.snapshotTimer = this.clock.setTimeout(tick, period);
      try {
        const snap = this.snapshot();
        this.history.push(snap);
        this.listeners.emit('snapshot', snap);
      } catch (error) {
        if (this.throttle.allow('snapshot-error')) this.log.add('error', `snapshot failed: ${(error as Error).message}`);
      }
    };
    this.snapshotTimer = this.clock.setTimeout(tick, period);
  }

  private snapshot(): Snapshot {
    const now = this.clock.now();
    const limits = this.limitsNow();
    const apps: AppSnapshot[] = [];
    let stateMoved = false;
    const shareSum = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 } as Record<Resource, number>;
    for (const def of this.data.apps) {
      const rt = this.runtime(def.id);
      const state = this.appState(rt);
      const caps = { ...limits } as Record<Resource, number | null>;
      let resources;
      if (rt.active && rt.tracker) {
        for (const r of RESOURCES) shareSum[r] += def.shares[r];
        const waiting = state !== 'paused' && (this.schedulers?.get('cpu').appStatus(def.id)?.waiting ?? false);
        const ceiling = this.schedulers?.get('mem').appStatus(def.id)?.ceiling;
        if (ceiling !== undefined) caps.mem = ceiling;
        resources = rt.tracker.figures(now, def.shares, caps, waiting);
      } else {
        resources = emptyFigures(def.shares, caps);
        for (const r of RESOURCES) resources[r].lag = 0;
      }
      apps.push({ id: def.id, state, resources });
      if (rt.lastReportedState !== state) {
        rt.lastReportedState = state;
        stateMoved = true;
      }
    }
    if (stateMoved) this.stateChanged();
    const running = apps.filter((a) => this.runtime(a.id).active);
    const capacity = { netUp: this.data.capacity.netUp.bytesPerSec, netDown: this.data.capacity.netDown.bytesPerSec, disk: this.data.capacity.disk.bytesPerSec };
    return { t: Date.now(), profile: this.data.activeProfile, limits, capacity, total: totalFigures(running, limits, shareSum), apps };
  }
}

/** One engine per config dir (the desktop app and `interceptor serve` must not both write the settings). */
async function acquireLock(configDir: string): Promise<string> {
  await fs.mkdir(configDir, { recursive: true, mode: 0o700 });
  const file = path.join(configDir, 'engine.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, since: Date.now() }));
      await handle.close();
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let pid = 0;
    try {
      pid = Number((JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown }).pid) || 0;
    } catch {
      // unreadable: a crash while writing it; take it over
    }
    if (pid > 0 && processAlive(pid)) {
      throw new CommandError('conflict', `another Interceptor engine (pid ${pid}) is using ${configDir}; stop it first or use another config dir`);
    }
    await fs.rm(file, { force: true });
  }
  throw new CommandError('conflict', `cannot take the lock ${file}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function lastLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
