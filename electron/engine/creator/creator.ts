// The Creator (paper, section 3): launches each P2P app as the child of its own
// native helper (the Catcher of that app), inside a pseudo-terminal so the app's
// output and input reach the dashboard. The helper connects back to the engine's
// control socket with a one-time token.
import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import type * as NodePty from 'node-pty';
import { CatcherServer, helperArgs, helperBinaryPath, type HelperSession } from '../catcher/index.js';
import { externalLaunch } from './external.js';
import type { FlowSource } from './terminal.js';

export interface LaunchOptions {
  appId: string;
  /** Absolute path of the program (checkExecutable's `resolved`). */
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  onEngineLoss: 'terminate' | 'continue';
  /** Ask the helper for SCHED_RR dispatch (PROTOCOL.md --rt); it falls back when not permitted. */
  dualPriority: boolean;
  /**
   * No cap, and no engine yet (`interceptor run -- CMD`: cli/run.ts): the helper runs the app at
   * once instead of at the engine's first `cpu` command, and the session's messages wait until
   * the engine takes it (AppSupervisor.startLaunched).
   */
  releaseAtOnce?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface LaunchedApp {
  /** The helper's pid (the app's pid comes with the session's hello). */
  readonly pid: number;
  /** Resolves when the helper has connected and said hello; rejects if it exits first. */
  readonly session: Promise<HelperSession>;
  /** Resolves when the helper process is gone (once). */
  readonly exited: Promise<ExitStatus>;
  /** Pause/resume of the terminal's reading side (null when output is inherited). */
  readonly flow: FlowSource | null;
  onData(listener: (data: string) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal: NodeJS.Signals): void;
  /** Stop watching it (the engine is going away and leaves it running). */
  detach(): void;
}

/** The members of a LaunchedApp whose output is not ours to show (inherited, or an external helper's). */
export const NO_TERMINAL: Pick<LaunchedApp, 'flow' | 'onData' | 'write' | 'resize'> = {
  flow: null,
  onData: () => undefined,
  write: () => undefined,
  resize: () => undefined,
};

export interface Creator {
  readonly available: { ok: boolean; reason: string | null };
  launch(options: LaunchOptions): LaunchedApp;
  /** A helper someone else starts (an adopted systemd unit): where it connects, its one-time token, and the app as it will be. */
  expectExternal(): { controlPath: string; token: string; launched: LaunchedApp };
  /** The helper the front started (CreatorOptions.front): its session, held until the engine takes it. */
  adoptFront(helper: { token: string; pid: number }): LaunchedApp;
  close(): Promise<void>;
}

export interface CreatorOptions {
  helperPath?: string;
  configDir: string;
  terminal: 'pty' | 'inherit';
  /**
   * The control socket the front opened before node started (native/src/front.c, cli/front.ts),
   * for the one helper it started (adoptFront): that helper unlinks its name once connected.
   */
  front?: { fd: number; dir: string };
}

type PtyModule = typeof NodePty;

export async function createCreator(options: CreatorOptions): Promise<Creator> {
  const unavailable = (reason: string): Creator => ({
    available: { ok: false, reason },
    launch() {
      throw new Error(reason);
    },
    expectExternal() {
      throw new Error(reason);
    },
    adoptFront() {
      throw new Error(reason);
    },
    close: async () => undefined,
  });
  if (process.platform !== 'linux') {
    return unavailable(`enforcement needs Linux (ptrace + seccomp-bpf); this is ${process.platform}`);
  }
  const helperPath = options.helperPath ?? helperBinaryPath();
  try {
    await fs.access(helperPath, fsConstants.X_OK);
  } catch {
    return unavailable(`the native helper ${helperPath} is missing or not executable (build it with \`make -C native\`)`);
  }
  let pty: PtyModule | null = null;
  if (options.terminal === 'pty') {
    try {
      const mod = (await import('node-pty')) as PtyModule & { default?: PtyModule };
      pty = mod.default ?? mod;
    } catch (error) {
      return unavailable(`node-pty could not be loaded: ${(error as Error).message}`);
    }
  }
  let server: CatcherServer;
  try {
    server = options.front ? await CatcherServer.adopt(options.front.fd, options.front.dir) : await CatcherServer.listen();
  } catch (error) {
    return unavailable(`the control socket could not be opened: ${(error as Error).message}`);
  }
  return new HelperCreator(server, helperPath, pty, options.front !== undefined);
}

/** The helper this launch waits for: its one-time token, its session, and giving up on it. */
interface ExpectedHelper {
  token: string;
  session: Promise<HelperSession>;
  cancel(): void;
}

class HelperCreator implements Creator {
  readonly available = { ok: true, reason: null };

  constructor(
    private readonly server: CatcherServer,
    private readonly helperPath: string,
    private readonly pty: PtyModule | null,
    /** The front's socket: its name is gone once the front's helper connected, so no other helper can reach it. */
    private readonly frontOnly = false,
  ) {}

  launch(o: LaunchOptions): LaunchedApp {
    if (this.frontOnly) throw new Error('this Creator took the front\'s socket: it launches no other helper (interceptor run launches one app)');
    const { token, session } = this.server.expect({ held: o.releaseAtOnce });
    const expected: ExpectedHelper = { token, session, cancel: () => this.server.cancel(token, 'the helper exited before connecting') };
    // (untrapped until capped: an app with no cap runs its byte calls at native speed, docs/untrapped-until-capped.md)
    const argv = helperArgs(
      { controlPath: this.server.path, onEngineLoss: o.onEngineLoss, usagePeriodMs: 100, rt: o.dualPriority, untrappedUntilCapped: true, releaseAtOnce: o.releaseAtOnce },
      o.command,
      o.args,
    );
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, o.env, { INTERCEPTOR_HELPER_TOKEN: expected.token });
    if (this.pty) env.TERM = env.TERM && env.TERM !== 'dumb' ? env.TERM : 'xterm-256color';
    return this.pty ? this.launchPty(o, argv, env, expected) : this.launchInherit(o, argv, env, expected);
  }

  private launchPty(o: LaunchOptions, argv: string[], env: Record<string, string>, expected: ExpectedHelper): LaunchedApp {
    const p = this.pty!.spawn(this.helperPath, argv, { name: env.TERM ?? 'xterm-256color', cols: o.cols, rows: o.rows, cwd: o.cwd, env });
    let resolveExit!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
    const dataListeners: ((d: string) => void)[] = [];
    let detached = false;
    let gone = false;
    const dataSub = p.onData((d) => {
      if (!detached) for (const l of dataListeners) l(d);
    });
    const exitSub = p.onExit(({ exitCode, signal }) => {
      gone = true;
      resolveExit(statusFrom(exitCode, signal ?? null));
    });
    return {
      pid: p.pid,
      session: raceExit(expected, exited),
      exited,
      flow: { pause: () => !gone && p.pause(), resume: () => !gone && p.resume() },
      onData: (l) => dataListeners.push(l),
      write: (d) => {
        if (!gone) p.write(d);
      },
      resize: (c, r) => {
        if (!gone) p.resize(c, r);
      },
      kill: (signal) => {
        if (gone) return;
        try {
          p.kill(signal);
        } catch {
          // already gone
        }
      },
      detach: () => {
        detached = true;
        dataSub.dispose();
        exitSub.dispose();
      },
    };
  }

  private launchInherit(o: LaunchOptions, argv: string[], env: Record<string, string>, expected: ExpectedHelper): LaunchedApp {
    const child = spawn(this.helperPath, argv, { cwd: o.cwd, env, stdio: 'inherit' });
    const exited = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: 127, signal: null }));
    });
    let gone = false;
    void exited.then(() => (gone = true));
    return {
      pid: child.pid ?? -1,
      session: raceExit(expected, exited),
      exited,
      ...NO_TERMINAL,
      kill: (signal) => {
        if (!gone) child.kill(signal);
      },
      detach: () => child.unref(),
    };
  }

  expectExternal(): { controlPath: string; token: string; launched: LaunchedApp } {
    const { token, session } = this.server.expect();
    session.catch(() => undefined);
    return { controlPath: this.server.path, token, launched: externalLaunch(session) };
  }

  adoptFront(helper: { token: string; pid: number }): LaunchedApp {
    const { token, session } = this.server.expect({ held: true, token: helper.token });
    session.catch(() => undefined);
    // (not our child as node sees it: the helper's death before its hello shows in /proc alone)
    const watch = setInterval(() => {
      if (!alive(helper.pid)) this.server.cancel(token, 'the helper exited before connecting');
    }, 50);
    void session.finally(() => clearInterval(watch)).catch(() => undefined);
    return externalLaunch(session, helper.pid);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

/** Whether a process runs (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function raceExit(expected: ExpectedHelper, exited: Promise<ExitStatus>): Promise<HelperSession> {
  const session = Promise.race([
    expected.session,
    exited.then((s) => {
      expected.cancel();
      throw new Error(`the helper exited before connecting (${s.signal ? `signal ${s.signal}` : `exit code ${s.code}`})`);
    }),
  ]);
  session.catch(() => undefined);
  expected.session.catch(() => undefined);
  return session;
}

function statusFrom(exitCode: number, signal: number | null): ExitStatus {
  if (signal) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === signal)?.[0] ?? `SIG${signal}`;
    return { code: null, signal: name };
  }
  return { code: exitCode, signal: null };
}
