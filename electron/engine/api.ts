// What the engine offers its hosts (the Electron shell, the headless server, the CLI) and
// what they may give it. Types only.
import type { CommandName, CommandResult, EventName, EventPayloads } from '../common/contract.js';
import type { LoginItem } from './autostart/index.js';
import type { SystemRoots } from './capacity/measure.js';
import type { CgroupProbe } from './cgroups/tree.js';
import type { Creator, LaunchedApp } from './creator/creator.js';
import type { EngineClock } from './clock.js';
import type { PowerSource } from './power/index.js';

export interface EngineOptions {
  /** Default: $XDG_CONFIG_HOME/interceptor or ~/.config/interceptor. */
  configDir?: string;
  /** The native helper binary; default: helperBinaryPath() of the catcher. */
  helperPath?: string;
  /**
   * The Creator, if one was made before the engine to launch an app early (`interceptor run`
   * with no cap: see startLaunched); the engine closes it at shutdown. Default: a new one.
   */
  creator?: Creator;
  /** The one clock of the engine (monotonic time, wall time, timers); default: the real one. */
  clock?: EngineClock;
  /** Cores of the machine (CPU shares are fractions of all of them); default os.availableParallelism(). */
  cores?: number;
  /** Start the apps marked autostart; default true. */
  autostart?: boolean;
  /** SIGTERM → SIGKILL grace when stopping an app; default 5000 ms. */
  stopGraceMs?: number;
  /**
   * How an app's terminal is wired: 'pty' (default; output as terminalData events,
   * input via writeTerminal) or 'inherit' (the app uses this process's stdin/stdout/
   * stderr directly; used by `interceptor run`).
   */
  terminal?: 'pty' | 'inherit';
  /** Terminal flow control: most bytes per second of one app's output before its pty is paused. Default 2 MiB/s. */
  terminalMaxBytesPerSecond?: number;
  /** procfs and sysfs roots for the link capacity (tests use fixture directories); default /proc and /sys. */
  systemRoots?: Partial<SystemRoots>;
  /** Sample the default-route interface once a second for its peak rate; default true. */
  sampleNetwork?: boolean;
  /** Size of the disk measurement (measureCapacity disk); default 64 MiB. */
  diskProbeBytes?: number;
  /** Time limit of the disk measurement; default 60 s. */
  diskProbeTimeoutMs?: number;
  /** Where the CPU's cgroups come from (settings.cpuMechanism auto|cgroup); default: this machine's. */
  probeCgroups?: () => CgroupProbe;
  /**
   * Where idle and power state come from for the "auto" profile choice (systemPowerSource()
   * for this machine). Without one the profile changes only when the owner sets it.
   */
  power?: PowerSource;
  /** How often the power source is read; default 10 s. */
  powerPollMs?: number;
  /** The state dir of `interceptor serve` (port and token), where an adopted unit's launcher finds it; none: adopting is unavailable. */
  stateDir?: string;
  /** The IANA zone whose local hours the week schedule's slots are; default: the system's. */
  timeZone?: string;
  /** Longest sleep of the schedule between two looks at the wall clock; default 60 s. */
  scheduleRecheckMs?: number;
  /** How this host starts Interceptor at login (setStartAtLogin); without one the state says null. */
  loginItem?: LoginItem;
  /**
   * Where history.db (usage and the event log across restarts) lives; null: none, the history
   * stays in memory (`interceptor run`). Default: the config dir when one is given, else
   * $XDG_STATE_HOME/interceptor.
   */
  historyDir?: string | null;
  /**
   * Keep the settings in settings.json (default true); false: in memory only, from the defaults
   * (`interceptor run`, whose config dir is thrown away: each save would fsync a file nobody
   * reads, and an fsync waits for whatever the disk is writing back).
   */
  persistSettings?: boolean;
}

export interface Engine {
  /** Validates with parseCommandArgs and range checks; throws CommandError. */
  invoke<N extends CommandName>(name: N, args: unknown): Promise<CommandResult<N>>;
  on<E extends EventName>(event: E, listener: (p: EventPayloads[E]) => void): () => void;
  /** Default from settings.onQuit; never leaves an app frozen. Idempotent. */
  shutdown(opts?: { leaveRunning?: boolean }): Promise<void>;
  readonly settingsPath: string;
  readonly configDir: string;
  /**
   * Flow control from a bridge: while any `source` holds, every app's pty is paused
   * (the apps block on output) instead of buffering terminal data without bound.
   */
  holdTerminalOutput(source: string, held: boolean): void;
  /**
   * Start app `id` as `launched`: a launch of options.creator's with releaseAtOnce, made before
   * the engine existed, whose app already runs. Throws CommandError as startApp does.
   */
  startLaunched(id: string, launched: LaunchedApp): Promise<void>;
}
