// The engine: it builds its parts, wires them together, and answers the contract. Every
// command goes through invoke(), which validates its arguments and hands them to the
// command's handler in the table below. The parts (see docs/ARCHITECTURE.md):
//   context.ts      the owner's settings and their file, the event log, the contract's events,
//                   the one clock, the state notice
//   enforcement.ts  the resource schedulers (schedulers/, policies/), or why there are none
//   creator/        the Creator and each app's lifecycle (supervisor.ts), terminals
//   apps.ts         the owner's app definitions
//   profiles.ts     the caps per profile and the profile in force (by hand, or from power/)
//   lease.ts        the pause of all apps
//   schedule.ts     the week schedule: a profile or a pause per hour, on the engine's clock
//   capacity/       link and disk capacity
//   snapshots/      figures per app and in total, and their history
import { CommandError, parseCommandArgs, type CommandName, type CommandResult, type EventName, type EventPayloads, type ParsedCommandArgs } from '../common/contract.js';
import { toCommandError } from '../common/errors.js';
import { EngineSettingsSchema, type FullState, type StartAtLogin } from '../common/model.js';
import type { Engine, EngineOptions } from './api.js';
import { UnitAdoption } from './adopt/service.js';
import { AppDefinitions } from './apps.js';
import { CapacityKeeper } from './capacity/keeper.js';
import { ANSWERED_WHILE_SHUTTING_DOWN, LEAVE_STATE_AS_IS, type CommandHandlers } from './commands.js';
import { EngineContext } from './context.js';
import { createCreator, type Creator, type LaunchedApp } from './creator/creator.js';
import { checkExecutable } from './creator/executable.js';
import { AppSupervisor } from './creator/supervisor.js';
import { Enforcement } from './enforcement.js';
import { History, historyFile } from './history/index.js';
import { PauseLease } from './lease.js';
import { acquireLock, releaseLock } from './lock.js';
import { packageVersion } from './paths.js';
import { Profiles } from './profiles.js';
import { ScheduleKeeper } from './schedule.js';
import { QuotaKeeper } from './quotas/keeper.js';
import { Snapshots } from './snapshots/snapshots.js';

export class EngineImpl implements Engine {
  readonly settingsPath: string;
  readonly configDir: string;
  private readonly ctx: EngineContext;
  private readonly enforcement: Enforcement;
  private readonly lease: PauseLease;
  private readonly apps: AppSupervisor;
  private readonly definitions: AppDefinitions;
  private readonly profiles: Profiles;
  private readonly schedule: ScheduleKeeper;
  private readonly capacity: CapacityKeeper;
  private readonly snapshots: Snapshots;
  private readonly history: History;
  private readonly quotas: QuotaKeeper;
  private readonly commands: CommandHandlers;
  private readonly adoption: UnitAdoption;
  private creator: Creator | null = null;
  private startAtLogin: StartAtLogin | null = null;
  private shutdownDone: Promise<void> | null = null;
  private lockFile: string | null = null;

  private constructor(private readonly options: EngineOptions) {
    const ctx = (this.ctx = new EngineContext(options));
    this.configDir = ctx.configDir;
    this.settingsPath = ctx.settingsPath;
    this.enforcement = new Enforcement(ctx);
    this.lease = new PauseLease(ctx, () => this.apps.applyPauseToAll());
    this.schedule = new ScheduleKeeper(ctx, async () => {
      await this.profiles.reconsider();
      this.apps.applyPauseToAll();
      ctx.stateChanged(); // also at a change of slot, with no command behind it
    });
    this.apps = new AppSupervisor(ctx, this.enforcement, () => this.lease.active || this.schedule.pausing);
    this.definitions = new AppDefinitions(ctx, this.apps);
    this.profiles = new Profiles(ctx, this.enforcement, this.schedule);
    this.capacity = new CapacityKeeper(ctx);
    this.snapshots = new Snapshots(ctx, this.apps, this.enforcement, () => this.profiles.limitsNow());
    this.adoption = new UnitAdoption({ invoke: (name, args) => this.invoke(name, args) }, options.stateDir, (line) => ctx.log.add('info', line));
    this.history = new History(ctx, historyFile(options, ctx.configDir));
    this.quotas = new QuotaKeeper(ctx, this.apps, this.enforcement, this.lease);
    this.commands = this.commandTable();
    ctx.setStateSource(() => this.fullState());
  }

  static async create(options: EngineOptions): Promise<EngineImpl> {
    const engine = new EngineImpl(options);
    await engine.init();
    return engine;
  }

  private async init(): Promise<void> {
    this.lockFile = await acquireLock(this.configDir, this.ctx.clock.wallNow());
    try {
      await this.initLocked();
    } catch (error) {
      await this.capacity.stop();
      this.history.stop();
      await releaseLock(this.lockFile);
      throw error;
    }
  }

  private async initLocked(): Promise<void> {
    const { ctx, options } = this;
    this.history.start();
    await ctx.load();
    this.definitions.load();
    await this.capacity.start();
    this.creator = options.creator ?? (await createCreator({ helperPath: options.helperPath, configDir: this.configDir, terminal: options.terminal ?? 'pty' }));
    this.apps.useCreator(this.creator);
    await this.enforcement.start(this.creator.available);
    await this.lease.restore();
    await this.quotas.start();
    this.snapshots.start();
    this.startAtLogin = (await options.loginItem?.describe().catch((e: Error) => ({ enabled: false, how: 'unknown', problem: e.message }))) ?? null;
    await this.profiles.startAuto();
    await this.schedule.start();
    if (options.autostart ?? true) {
      for (const def of ctx.data.apps) {
        if (!def.autostart) continue;
        try {
          await this.apps.start(def.id);
        } catch (error) {
          ctx.log.add('error', `autostart of ${def.id} failed: ${(error as Error).message}`, def.id);
        }
      }
    }
  }

  // ───────────────────────────── the contract ─────────────────────────────

  async invoke<N extends CommandName>(name: N, args: unknown): Promise<CommandResult<N>> {
    const parsed = parseCommandArgs(name, args);
    if (this.ctx.shuttingDown && !ANSWERED_WHILE_SHUTTING_DOWN.has(name)) {
      throw new CommandError('unavailable', 'the engine is shutting down');
    }
    try {
      const result = await this.commands[name](parsed);
      if (!LEAVE_STATE_AS_IS.has(name)) this.ctx.stateChanged();
      return result;
    } catch (error) {
      throw toCommandError(error);
    }
  }

  private commandTable(): CommandHandlers {
    const { apps, lease, profiles, capacity } = this;
    return {
      getState: () => this.fullState(),
      setOwnerLimits: (a) => profiles.setOwnerLimits(a),
      addApp: (a) => this.definitions.add(a),
      updateApp: (a) => this.definitions.update(a),
      removeApp: ({ id }) => this.definitions.remove(id),
      startApp: ({ id }) => apps.serialize(id, () => apps.start(id)),
      stopApp: ({ id }) => apps.serialize(id, () => apps.stop(id)),
      restartApp: ({ id }) =>
        apps.serialize(id, async () => {
          await apps.stop(id);
          return apps.start(id);
        }),
      pauseApp: ({ id }) => apps.setPaused(id, true),
      resumeApp: ({ id }) => apps.setPaused(id, false),
      pauseAll: async ({ durationMs }) => {
        await lease.pause(durationMs);
        return this.fullState();
      },
      resumeAll: async () => {
        await lease.resume('resumed by the owner');
        return this.fullState();
      },
      setProfile: async ({ profile }) => {
        await this.schedule.notePick(profile);
        await profiles.choose(profile);
        return this.fullState();
      },
      updateSettings: (patch) => this.updateSettings(patch),
      setSchedule: async (patch) => {
        await this.schedule.set(patch);
        return this.fullState();
      },
      setStartAtLogin: ({ enabled }) => this.setStartAtLogin(enabled),
      writeTerminal: ({ id, data }) => apps.writeTerminal(id, data),
      resizeTerminal: ({ id, cols, rows }) => apps.resizeTerminal(id, cols, rows),
      getTerminalBacklog: ({ id }) => apps.terminalBacklog(id),
      getHistory: ({ seconds }) => this.snapshots.since(seconds),
      getEventLog: ({ sinceSeq }) => this.ctx.log.since(sinceSeq),
      getUsage: (a) => this.history.usage(a),
      getEvents: (a) => this.history.events(a),
      checkExecutable: ({ command, cwd }) => checkExecutable(command, cwd),
      setCapacity: ({ resource, bytesPerSec }) => capacity.set(resource, bytesPerSec),
      measureCapacity: ({ resource }) => capacity.measure(resource),
      attachApp: ({ id }) => apps.attach(id),
      listUnits: () => this.adoption.list(),
      adoptUnit: (a) => this.adoption.adopt(a),
      releaseUnit: (a) => this.adoption.release(a),
      getQuotas: () => this.quotas.view(),
      setQuotas: (patch) => this.quotas.set(patch),
    };
  }

  on<E extends EventName>(event: E, listener: (p: EventPayloads[E]) => void): () => void {
    return this.ctx.events.on(event, listener);
  }

  holdTerminalOutput(source: string, held: boolean): void {
    this.apps.holdTerminalOutput(source, held);
  }

  async startLaunched(id: string, launched: LaunchedApp): Promise<void> {
    await this.apps.serialize(id, () => this.apps.startLaunched(id, launched));
  }

  shutdown(opts: { leaveRunning?: boolean } = {}): Promise<void> {
    if (!this.shutdownDone) {
      this.ctx.shuttingDown = true;
      this.shutdownDone = this.doShutdown(opts.leaveRunning ?? this.ctx.data.settings.onQuit === 'leaveRunning');
    }
    return this.shutdownDone;
  }

  private async doShutdown(leaveRunning: boolean): Promise<void> {
    this.profiles.stopAuto();
    this.schedule.stop();
    await this.capacity.stop();
    this.snapshots.stop();
    this.lease.cancel();
    await this.quotas.stop();
    await this.apps.shutdown(leaveRunning);
    this.enforcement.dispose();
    await this.creator?.close();
    this.apps.disposeTerminals();
    await this.ctx.flush().catch(() => undefined);
    this.history.stop();
    if (this.lockFile) await releaseLock(this.lockFile);
  }

  // ───────────────────────────── settings and state ─────────────────────────────

  private async updateSettings(patch: ParsedCommandArgs<'updateSettings'>): Promise<FullState> {
    const { ctx } = this;
    const merged = EngineSettingsSchema.safeParse({ ...ctx.data.settings, ...patch, policies: { ...ctx.data.settings.policies, ...(patch.policies ?? {}) } });
    if (!merged.success) throw new CommandError('invalid', `updateSettings: ${merged.error.issues[0]!.message}`);
    const before = ctx.data.settings;
    const after = merged.data;
    ctx.data.settings = after;
    await ctx.save();
    if (before.snapshotHz !== after.snapshotHz) this.snapshots.start();
    const schedulingChanged =
      before.cpuSliceMs !== after.cpuSliceMs ||
      before.cpuMechanism !== after.cpuMechanism ||
      before.cpuDualPriority !== after.cpuDualPriority ||
      before.catchUpEpochs !== after.catchUpEpochs ||
      JSON.stringify(before.policies) !== JSON.stringify(after.policies);
    if (schedulingChanged && this.enforcement.schedulers) {
      if (this.apps.anyActive()) ctx.log.add('info', 'scheduling settings saved; they apply when no app is running or at the next start of Interceptor');
      else await this.enforcement.rebuild();
    }
    return this.fullState();
  }

  private async setStartAtLogin(enabled: boolean): Promise<FullState> {
    if (!this.options.loginItem) throw new CommandError('unavailable', 'this Interceptor cannot start itself at login');
    this.startAtLogin = await this.options.loginItem.set(enabled);
    return this.fullState();
  }

  private fullState(): FullState {
    const { ctx, enforcement } = this;
    const { data } = ctx;
    return {
      version: packageVersion(),
      platform: { os: process.platform, cores: ctx.cores, enforcement: enforcement.ok, reason: enforcement.reason, cpu: enforcement.cpu },
      profile: data.activeProfile,
      profileChoice: data.profileChoice,
      power: this.profiles.power,
      profiles: structuredClone(data.profiles),
      limits: this.profiles.limitsNow(),
      apps: data.apps.map((d) => this.apps.view(this.apps.runtime(d.id))),
      pause: data.pause ? { ...data.pause } : null,
      settings: structuredClone(data.settings),
      capacity: structuredClone(data.capacity),
      startAtLogin: this.startAtLogin && { ...this.startAtLogin },
      schedule: this.schedule.view(),
      history: this.history.status,
    };
  }
}
