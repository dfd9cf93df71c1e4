// `interceptor exec-adopted --app ID --unit UNIT --engine-down run|hold --state-dir DIR -- CMD...`:
// the ExecStart of an adopted unit. It reads the engine's token from the state dir (mode 0600:
// the drop-in holds no secret), asks the engine for a one-time helper token (attachApp) and runs
// CMD under the helper, which connects back to the engine. No engine: CMD runs uncapped, or
// waits for the engine (the owner's choice, kept in the drop-in); an engine that refuses: CMD
// runs uncapped. The service never fails because of Interceptor. Node cannot exec, so this
// process stays the service's main process: it passes every signal on to the app.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { helperArgs, helperBinaryPath } from '../catcher/index.js';
import { connect } from '../cli/remote.js';
import type { EngineDown } from './drop-in.js';

export interface LauncherOptions {
  appId: string;
  unit: string;
  engineDown: EngineDown;
  stateDir: string;
  command: string;
  args: string[];
  /** How long to wait between two tries while held (ms). */
  retryMs?: number;
}

const RELAYED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
const say = (line: string) => void process.stderr.write(`interceptor: ${line}\n`);

/** The engine's helper token, or null: run uncapped. Held (engine down, mode hold): tries until it answers. */
async function attach(o: LauncherOptions): Promise<{ controlPath: string; token: string } | null> {
  let held = false;
  for (;;) {
    const remote = await connect({ 'state-dir': o.stateDir }).catch((error: Error) => error);
    if (remote instanceof Error) {
      const why = remote.message;
      if (o.engineDown === 'run') {
        say(`${o.unit}: no engine (${why}); starting it uncapped`);
        return null;
      }
      if (!held) say(`${o.unit}: no engine (${why}); held until it runs`);
      held = true;
      await new Promise((r) => setTimeout(r, o.retryMs ?? 2000));
      continue;
    }
    try {
      const result = await remote.invoke('attachApp', { id: o.appId });
      if (held) say(`${o.unit}: the engine runs; starting under its caps`);
      return result;
    } catch (error) {
      say(`${o.unit}: the engine refused app ${o.appId} (${(error as Error).message}); starting it uncapped`);
      return null;
    } finally {
      await remote.close().catch(() => undefined);
    }
  }
}

/** The helper's child: the app's main process (the helper forks it from one of its threads). */
function appPidOf(helperPid: number): number | null {
  try {
    for (const tid of readdirSync(`/proc/${helperPid}/task`)) {
      const kids = readFileSync(`/proc/${helperPid}/task/${tid}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(/\s+/)[0]);
    }
  } catch {
    // gone, or no /proc/PID/task/TID/children on this kernel
  }
  return null;
}

function helperUsable(): boolean {
  try {
    accessSync(helperBinaryPath(), constants.X_OK);
    return true;
  } catch {
    say(`the helper ${helperBinaryPath()} is missing; starting uncapped`);
    return false;
  }
}

export async function execAdopted(o: LauncherOptions): Promise<number> {
  const granted = helperUsable() ? await attach(o) : null;
  let child: ChildProcess;
  let target: () => number | undefined;
  if (granted) {
    const argv = helperArgs({ controlPath: granted.controlPath, onEngineLoss: 'continue', usagePeriodMs: 100, untrappedUntilCapped: true }, o.command, o.args);
    child = spawn(helperBinaryPath(), argv, { stdio: 'inherit', env: { ...process.env, INTERCEPTOR_HELPER_TOKEN: granted.token } });
    // a signal for the service is the app's (a reload's SIGHUP above all); to the helper itself, SIGHUP means "engine gone"
    target = () => appPidOf(child.pid ?? 0) ?? child.pid;
  } else {
    child = spawn(o.command, o.args, { stdio: 'inherit' });
    target = () => child.pid;
  }
  const relay = (sig: NodeJS.Signals) => {
    const pid = target();
    if (pid) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  for (const s of RELAYED) process.on(s, relay);
  return new Promise<number>((resolve) => {
    child.once('error', (error) => {
      say(`${o.unit}: cannot run ${granted ? 'the helper' : o.command}: ${error.message}`);
      resolve(granted ? 1 : 127);
    });
    child.once('exit', (code, signal) => {
      for (const s of RELAYED) process.off(s, relay);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
