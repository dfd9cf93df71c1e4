// One app as the engine keeps it: its definition, its terminal, where it is in its life
// (stopped, starting, running, exited, crashed), what the owner asked of it, and the current
// run — one launch, from the Creator's launch to the exit of its process tree.
import type { AppDefinition } from '../../common/model.js';
import type { HelperSession } from '../catcher/session.js';
import type { UsageTracker } from '../snapshots/usage.js';
import type { ExitStatus, LaunchedApp } from './creator.js';
import type { TerminalChannel } from './terminal.js';

export type AppPhase = 'stopped' | 'starting' | 'running' | 'exited' | 'crashed';

/** One launch of an app. Everything here starts afresh at each start. */
export class AppRun {
  /** The app's helper, once it connected and said hello. */
  session: HelperSession | null = null;
  /** The app's figures since the helper connected. */
  tracker: UsageTracker | null = null;
  /** The app's own end as its helper reported it (the helper's exit status is only the fallback). */
  sessionExit: ExitStatus | null = null;
  stopRequested = false;
  /** Started under a pause-all: not yet handed to the CPU scheduler (the helper holds it stopped). */
  cpuDeferred = false;
  /** The last output, to say why a start failed. */
  lastOutput = '';
  /** The helper process is gone and its exit recorded. */
  ended = false;
  /** Resolves once the exit is recorded. */
  exitDone: Promise<void> = Promise.resolve();

  constructor(readonly launched: LaunchedApp) {}
}

const ACTIVE_PHASES: ReadonlySet<AppPhase> = new Set(['starting', 'running']);

export class AppRuntime {
  phase: AppPhase = 'stopped';
  pid: number | null = null;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  /** ms since the epoch. */
  startedAt: number | null = null;
  pausedByOwner = false;
  /** The current run, or the last one once it ended (its output says why a start failed). */
  run: AppRun | null = null;
  cols = 100;
  rows = 30;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    public def: AppDefinition,
    readonly terminal: TerminalChannel,
  ) {}

  get active(): boolean {
    return ACTIVE_PHASES.has(this.phase);
  }

  /** The run whose process tree is alive, if any. */
  get live(): AppRun | null {
    return this.run && !this.run.ended ? this.run : null;
  }

  /** The live run's helper session, if it connected. */
  get session(): HelperSession | null {
    return this.live?.session ?? null;
  }

  /** Runs `fn` after every earlier call of this app's: its start, stop and restart never overlap. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
