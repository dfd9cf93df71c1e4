// Each app's lifecycle: start (the Creator launches it under its helper; the schedulers get it
// once the helper has connected, memory and bytes first, the CPU last), stop (every cap lifted,
// then SIGTERM → SIGKILL), its exit (recorded and logged), the owner's pause of one app, its
// terminal; and what quitting does with the apps: stop them, or leave them running uncapped.
import path from 'node:path';
import { CommandError } from '../../common/contract.js';
import * as text from '../../common/event-text.js';
import type { AppDefinition, AppState, AppView } from '../../common/model.js';
import { RESOURCES, type Resource } from '../../common/resources.js';
import type { HelperSession } from '../catcher/session.js';
import { withTimeout } from '../clock.js';
import type { EngineContext } from '../context.js';
import type { Enforcement } from '../enforcement.js';
import { ChildStartDigest } from '../event-log.js';
import type { AppNow } from '../snapshots/snapshots.js';
import { UsageTracker } from '../snapshots/usage.js';
import { destroySession } from '../catcher/index.js';
import type { Creator, ExitStatus, LaunchedApp } from './creator.js';
import { checkExecutable } from './executable.js';
import { AppRun, AppRuntime, type AppPhase } from './runtime.js';
import { TerminalChannel } from './terminal.js';

/**
 * Order in which an app is handed to the schedulers: the helper applies commands in order and
 * the app is released by the first CPU command, so it never runs a moment without its caps.
 */
const ADD_ORDER: readonly Resource[] = ['mem', 'netUp', 'netDown', 'disk', 'cpu'];
/** Runnable but not dispatched for this long: the app is shown "waiting for CPU", not running. */
const WAITING_AFTER_MS = 500;

export class AppSupervisor {
  private readonly runtimes = new Map<string, AppRuntime>();
  /** Bridges backed up on terminal output: while any holds, every app's pty is paused. */
  private readonly holds = new Set<string>();
  private readonly childStarts: ChildStartDigest;
  private creator: Creator | null = null;
  /** The log said once that this system leaves UDP uncounted while apps are uncapped. */
  private udpUncountedSaid = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly enforcement: Enforcement,
    /** A pause of all apps is in force (the lease). */
    private readonly pausedAll: () => boolean,
  ) {
    const { clock } = ctx;
    this.childStarts = new ChildStartDigest(
      (appId, line) => ctx.log.add('info', line, appId),
      undefined,
      (fn, ms) => {
        const timer = clock.setTimeout(fn, ms, { unref: true });
        return () => timer.cancel();
      },
      () => clock.now(),
    );
  }

  useCreator(creator: Creator): void {
    this.creator = creator;
  }

  // ───────────────────────────── the apps ─────────────────────────────

  /** A new app (from the settings at start, or added by the owner). */
  add(def: AppDefinition): AppRuntime {
    const terminal = new TerminalChannel((data) => this.ctx.events.emit('terminalData', { id: def.id, data }), {
      maxBytesPerSecond: this.ctx.options.terminalMaxBytesPerSecond,
      clock: this.ctx.clock,
    });
    terminal.setHeld(this.holds.size > 0);
    const rt = new AppRuntime(def, terminal);
    this.runtimes.set(def.id, rt);
    return rt;
  }

  /** The app is gone from the settings (it was stopped first). */
  remove(id: string): void {
    this.runtimes.get(id)?.terminal.dispose();
    this.runtimes.delete(id);
  }

  runtime(id: string): AppRuntime {
    const rt = this.runtimes.get(id);
    if (!rt) throw new CommandError('notFound', `no app with id "${id}"`);
    return rt;
  }

  anyActive(): boolean {
    return [...this.runtimes.values()].some((rt) => rt.active);
  }

  /** A changed definition: running apps get their new shares at once. */
  redefine(id: string, next: AppDefinition): void {
    const rt = this.runtime(id);
    const before = rt.def;
    rt.def = next;
    const schedulers = this.enforcement.schedulers;
    if (!rt.session || !schedulers || !rt.active) return;
    for (const r of RESOURCES) if (before.shares[r] !== next.shares[r]) schedulers.get(r).setShare(id, next.shares[r]);
    for (const r of RESOURCES) if (before.ceilings[r] !== next.ceilings[r]) schedulers.get(r).setCeiling(id, next.ceilings[r]);
  }

  /** Runs `fn` after every earlier start, stop or restart of this app. */
  serialize<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.runtime(id).serialize(fn);
  }

  state(rt: AppRuntime): AppState {
    if (rt.phase !== 'running') return rt.phase;
    if (rt.pausedByOwner || this.pausedAll()) return 'paused';
    const cpu = this.enforcement.schedulers?.get('cpu').appStatus(rt.def.id);
    if ((cpu?.waitingMs ?? 0) >= WAITING_AFTER_MS) return 'waiting';
    if ((rt.run?.tracker?.last?.heldCalls ?? 0) > 0) return 'held';
    return 'running';
  }

  /** What a snapshot reads of the app now. */
  now(id: string): AppNow {
    const rt = this.runtime(id);
    return { state: this.state(rt), active: rt.active, tracker: rt.run?.tracker ?? null };
  }

  view(rt: AppRuntime): AppView {
    return {
      definition: structuredClone(rt.def),
      state: this.state(rt),
      pid: rt.pid,
      exitCode: rt.exitCode,
      exitSignal: rt.exitSignal,
      startedAt: rt.startedAt,
      pausedByOwner: rt.pausedByOwner,
    };
  }

  // ───────────────────────────── lifecycle ─────────────────────────────

  async start(id: string): Promise<AppView> {
    const rt = this.runtime(id);
    const unit = rt.def.systemdUnit;
    if (unit) {
      throw new CommandError('conflict', `${id} is the systemd unit ${unit.name}: systemd starts it (systemctl${unit.scope === 'user' ? ' --user' : ''} start ${unit.name})`);
    }
    const schedulers = this.startable(rt);
    const def = rt.def;
    const exe = await checkExecutable(def.command, def.cwd);
    if (!exe.ok || !exe.resolved) throw new CommandError('invalid', `cannot start ${id}: ${exe.error}`);
    return this.begin(rt, (creator) =>
      creator.launch({
        appId: id,
        command: exe.resolved!,
        args: def.args,
        cwd: def.cwd ? path.resolve(def.cwd) : process.cwd(),
        env: def.env,
        cols: rt.cols,
        rows: rt.rows,
        onEngineLoss: this.ctx.data.settings.onEngineLoss,
        // SCHED_RR tasks escape a cgroup's CFS quota: dual priority there is the parent's weight
        dualPriority: this.ctx.data.settings.cpuDualPriority && schedulers.cpu.mechanism === 'ptrace',
      }),
    );
  }

  /**
   * The launcher of an adopted systemd unit asks to connect its helper: it gets the control
   * socket and a one-time token now; the app starts, capped, once that helper says hello.
   */
  attach(id: string): { controlPath: string; token: string } {
    const rt = this.runtime(id);
    if (!rt.def.systemdUnit) throw new CommandError('conflict', `${id} was not adopted from a systemd unit (interceptor adopt)`);
    this.startable(rt);
    const ext = this.creator!.expectExternal();
    // begun now, not queued: the app is "starting" before the token goes out, so a second attach is refused
    this.begin(rt, () => ext.launched).catch((error: Error) => {
      // never leave the service's app held stopped: a helper that lost its engine runs it uncapped
      void ext.launched.session.then(destroySession, () => undefined);
      this.ctx.log.add('error', `${id}: ${error.message}`, id);
    });
    return { controlPath: ext.controlPath, token: ext.token };
  }

  /**
   * A run whose helper the Creator launched before the engine existed (`interceptor run` with
   * no cap, LaunchOptions.releaseAtOnce): the app already runs; from here it is as start()'s.
   */
  startLaunched(id: string, launched: LaunchedApp): Promise<AppView> {
    return this.begin(this.runtime(id), () => launched);
  }

  /** The schedulers, if the app may start now. */
  private startable(rt: AppRuntime): NonNullable<Enforcement['schedulers']> {
    if (rt.active) throw new CommandError('conflict', `${rt.def.id} is already running`);
    const schedulers = this.enforcement.schedulers;
    if (!this.enforcement.ok || !schedulers || !this.creator) {
      throw new CommandError('unavailable', `cannot start ${rt.def.id}: ${this.enforcement.reason ?? 'enforcement unavailable'}`);
    }
    return schedulers;
  }

  /** One run of the app: launched, then handed to the schedulers once its helper said hello. */
  private async begin(rt: AppRuntime, launch: (creator: Creator) => LaunchedApp): Promise<AppView> {
    const schedulers = this.startable(rt);
    const id = rt.def.id;
    const def = rt.def;
    rt.pausedByOwner = false;
    rt.exitCode = null;
    rt.exitSignal = null;
    this.enter(rt, 'starting');

    let run: AppRun;
    try {
      run = new AppRun(launch(this.creator!));
    } catch (error) {
      this.enter(rt, 'crashed');
      this.ctx.log.add('crash', `${id} could not be started: ${(error as Error).message}`, id);
      throw new CommandError('internal', `cannot start ${id}: ${(error as Error).message}`);
    }
    const { launched } = run;
    rt.run = run;
    rt.pid = launched.pid > 0 ? launched.pid : null; // an external helper's pid comes with its hello
    rt.startedAt = this.ctx.clock.wallNow();
    rt.terminal.attach(launched.flow);
    launched.onData((data) => {
      run.lastOutput = (run.lastOutput + data).slice(-2000);
      rt.terminal.push(data);
    });
    run.exitDone = launched.exited.then((status) => this.onExited(rt, run, status));

    let session: HelperSession;
    try {
      session = await launched.session; // fails after HELPER_CONNECT_TIMEOUT_MS, or when the helper exits first
    } catch (error) {
      // the helper died before (or without) connecting: its diagnostics are in the terminal
      launched.kill('SIGKILL');
      await run.exitDone;
      const detail = lastLine(run.lastOutput) || (error as Error).message;
      throw new CommandError('internal', `cannot start ${id}: ${detail}`);
    }
    if (rt.run !== run || run.ended || rt.phase !== 'starting') {
      if (run.stopRequested) throw new CommandError('conflict', `${id} was stopped while starting`);
      return this.view(rt); // it ran and has already ended: its exit is recorded
    }
    run.session = session;
    rt.pid = session.hello.appPid;
    this.watch(rt, run, session);
    session.deliver();
    try {
      await session.setUsagePeriod(100).catch(() => undefined);
      // it may have ended while we asked (its session closed: an external or front helper's
      // exit is that close), and its exit is recorded: no scheduler takes it back
      if (run.ended) return this.view(rt);
      // under a pause-all the CPU scheduler gets the app only when the pause ends: until its
      // first CPU command the app is held stopped by the helper, so it never runs a moment
      const paused = this.pausedAll();
      run.cpuDeferred = paused;
      for (const r of ADD_ORDER) {
        if (r === 'cpu' && paused) continue;
        const sched = schedulers.get(r);
        sched.addApp(id, session, def.shares[r], def.ceilings[r]);
        if (paused) sched.setPaused(id, true);
      }
    } catch (error) {
      this.ctx.log.add('error', `${id}: scheduling failed: ${(error as Error).message}`, id);
      await this.stop(id);
      throw new CommandError('internal', `cannot schedule ${id}: ${(error as Error).message}`);
    }
    this.enter(rt, 'running');
    this.ctx.log.add('start', text.appStartedText(rt.def.name, rt.pid), id);
    return this.view(rt);
  }

  /** What the connected helper reports: usage (held ⇄ running reach the UIs with the next snapshot), exit, warnings, child starts. */
  private watch(rt: AppRuntime, run: AppRun, session: HelperSession): void {
    const { ctx } = this;
    const id = rt.def.id;
    if (!session.hello.features.notifPath && ctx.throttle.allow('notifPath')) {
      ctx.log.add('warning', `${id}: this kernel offers no seccomp user notification; read/write calls are intercepted by ptrace stops (about 10x slower per call)`, id);
    }
    // (the same on every launch here: once per engine; native/src/udpcount.c)
    if (session.hello.udpUncounted !== null && !this.udpUncountedSaid) {
      this.udpUncountedSaid = true;
      ctx.log.add('warning', `${id}: UDP (uTP, DHT, QUIC) is not counted while an app has no network cap here, so its network charts show TCP only: ${session.hello.udpUncounted}`, id);
    }
    const tracker = new UsageTracker(ctx.clock.now(), ctx.cores);
    run.tracker = tracker;
    session.on('usage', (u) => tracker.update(u, ctx.clock.now()));
    session.on('exit', (status) => {
      run.sessionExit = status;
    });
    session.on('log', (level, msg) => {
      if (level === 'warn' || level === 'error') ctx.log.add(level === 'warn' ? 'warning' : 'error', `${id} helper: ${msg}`, id);
    });
    session.on('tree', (info) => {
      if (info.event === 'exec' && info.pid !== rt.pid) this.childStarts.note(id, rt.def.name, info.comm);
    });
  }

  private onExited(rt: AppRuntime, run: AppRun, status: ExitStatus): void {
    if (rt.run !== run || run.ended) return;
    this.detachSchedulers(rt);
    rt.terminal.flush();
    const exit = run.sessionExit ?? status;
    rt.exitCode = exit.code;
    rt.exitSignal = exit.signal;
    run.ended = true;
    const id = rt.def.id;
    this.childStarts.end(id);
    if (run.stopRequested) {
      this.enter(rt, 'stopped');
      this.ctx.log.add('exit', text.appEndedText(rt.def.name, 'stopped', exit), id);
    } else if (exit.code === 0 && !exit.signal) {
      this.enter(rt, 'exited');
      this.ctx.log.add('exit', text.appEndedText(rt.def.name, 'exited', exit), id);
    } else {
      this.enter(rt, 'crashed');
      const wasStarting = !run.sessionExit && !run.tracker;
      this.ctx.log.add('crash', text.appEndedText(rt.def.name, 'crashed', exit, wasStarting ? lastLine(run.lastOutput) : ''), id);
    }
  }

  /** The app moves on in its life: the UIs hear of it (an exit has no command behind it). */
  private enter(rt: AppRuntime, phase: AppPhase): void {
    rt.phase = phase;
    this.ctx.stateChanged();
  }

  private detachSchedulers(rt: AppRuntime): void {
    const schedulers = this.enforcement.schedulers;
    if (!schedulers || !rt.session) return;
    for (const r of RESOURCES) {
      try {
        schedulers.get(r).removeApp(rt.def.id);
      } catch {
        // not added (yet)
      }
    }
  }

  /** Let the app run without throttling (before stopping it or leaving it running). */
  private async release(rt: AppRuntime): Promise<void> {
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

  async stop(id: string): Promise<AppView> {
    const rt = this.runtime(id);
    const run = rt.live;
    if (!run || !rt.active) return this.view(rt);
    const { launched } = run;
    run.stopRequested = true;
    const grace = this.ctx.options.stopGraceMs ?? 5000;
    const session = run.session;
    if (session && !session.closed) {
      // a stopped tree could not handle SIGTERM: release it first, then SIGTERM → SIGKILL after grace (in the helper)
      await withTimeout(this.ctx.clock, this.release(rt), 2000, 'release').catch(() => undefined);
      session.terminate(grace).catch(() => launched.kill('SIGTERM'));
    } else {
      launched.kill('SIGTERM');
    }
    // the engine's own backstop in case the helper does not do it
    const backstop = this.ctx.clock.setTimeout(() => launched.kill('SIGKILL'), grace + 2000);
    try {
      await run.exitDone;
    } finally {
      backstop.cancel();
    }
    return this.view(rt);
  }

  // ───────────────────────────── pause ─────────────────────────────

  /** The owner pauses or resumes one app. */
  /** `by`: who, for the event log ("by you", "by its quota"). */
  setPaused(id: string, paused: boolean, by = 'by you'): AppView {
    const rt = this.runtime(id);
    if (!rt.active || !rt.session) throw new CommandError('conflict', `${id} is not running`);
    if (rt.pausedByOwner !== paused) {
      rt.pausedByOwner = paused;
      this.applyPause(rt);
      this.ctx.log.add('info', `${rt.def.name} ${paused ? 'paused' : 'resumed'} ${by}`, id);
    }
    return this.view(rt);
  }

  /** A pause of all apps began or ended. */
  applyPauseToAll(): void {
    for (const rt of this.runtimes.values()) this.applyPause(rt);
  }

  /** Hand the app's pause state (owner pause or pause-all) to every scheduler. */
  private applyPause(rt: AppRuntime): void {
    const schedulers = this.enforcement.schedulers;
    const run = rt.live;
    if (!rt.active || !run?.session || !schedulers) return;
    const paused = rt.pausedByOwner || this.pausedAll();
    if (run.cpuDeferred && !paused && !run.session.closed) {
      run.cpuDeferred = false;
      schedulers.get('cpu').addApp(rt.def.id, run.session, rt.def.shares.cpu, rt.def.ceilings.cpu);
    }
    for (const r of RESOURCES) schedulers.get(r).setPaused(rt.def.id, paused);
  }

  // ───────────────────────────── terminal ─────────────────────────────

  writeTerminal(id: string, data: string): null {
    const rt = this.runtime(id);
    const run = rt.live;
    if (!run || !rt.active) throw new CommandError('conflict', `${id} is not running`);
    run.launched.write(data);
    return null;
  }

  resizeTerminal(id: string, cols: number, rows: number): null {
    const rt = this.runtime(id);
    rt.cols = cols;
    rt.rows = rows;
    const run = rt.live;
    if (run && rt.active) run.launched.resize(cols, rows);
    return null;
  }

  terminalBacklog(id: string): string {
    const rt = this.runtime(id);
    rt.terminal.flush();
    return rt.terminal.backlogText();
  }

  holdTerminalOutput(source: string, held: boolean): void {
    if (held) this.holds.add(source);
    else this.holds.delete(source);
    const any = this.holds.size > 0;
    for (const rt of this.runtimes.values()) rt.terminal.setHeld(any);
  }

  // ───────────────────────────── quitting ─────────────────────────────

  /** Quitting: every running app stops, or runs on without caps (the owner's choice). */
  async shutdown(leaveRunning: boolean): Promise<void> {
    const running = [...this.runtimes.values()].filter((rt) => rt.active);
    // an adopted unit is systemd's service: quitting never stops it, it runs on uncapped
    const adopted = running.filter((rt) => rt.def.systemdUnit);
    const own = running.filter((rt) => !rt.def.systemdUnit);
    if (leaveRunning) await this.leaveRunning(running);
    else {
      await this.leaveRunning(adopted);
      await Promise.all(own.map((rt) => this.stop(rt.def.id).catch(() => undefined)));
    }
  }

  /**
   * Switch every helper to engine-loss policy "continue" before letting go, whatever the apps
   * were started with: when this process exits, the control sockets reach EOF and the pty
   * masters close (SIGHUP to the helpers); with "continue" the helpers lift all limits, keep
   * tracing and keep that hangup from the app. Then release limits as for any release.
   */
  private async leaveRunning(running: AppRuntime[]): Promise<void> {
    const { ctx } = this;
    await Promise.all(
      running.map(async (rt) => {
        const s = rt.session;
        if (!s || s.closed) return;
        try {
          await withTimeout(ctx.clock, s.setOnEngineLoss('continue'), 2000, 'onEngineLoss continue');
        } catch (e) {
          ctx.log.add('warning', `${rt.def.id}: could not switch its helper to onEngineLoss "continue" (${e instanceof Error ? e.message : String(e)}): it may stop when Interceptor goes away`, rt.def.id);
        }
      }),
    );
    for (const rt of running) {
      await this.release(rt);
      ctx.log.add('info', `${rt.def.id} left running without caps`, rt.def.id);
      rt.live?.launched.detach();
    }
  }

  disposeTerminals(): void {
    for (const rt of this.runtimes.values()) rt.terminal.dispose();
  }
}

function lastLine(output: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n|\r/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
