// Launch programs under the real native helper (one helper per app), as the engine does
// but with child_process.spawn instead of node-pty. Shared by the real-process scheduler
// tests and the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CatcherServer, destroySession, helperArgs, helperBinaryPath } from '../../electron/engine/catcher/index.js';
import type { HelperSession } from '../../electron/engine/catcher/session.js';

export interface HelperApp {
  child: ChildProcess;
  session: HelperSession;
  /** Resolves with the helper's exit code once it has exited. */
  exited: Promise<number | null>;
  stdout: () => string;
}

/** One of the test programs `make -C native` builds (native/test-programs). */
export const nativeBin = (name: string): string => path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'test', name);

/** The helper binary, or an Error with a clear message if it is missing. */
export function requireHelper(): string {
  const bin = helperBinaryPath();
  if (!existsSync(bin)) throw new Error(`native helper not found at ${bin}: build it with \`make -C native\``);
  return bin;
}

export class HelperLauncher {
  private readonly apps: HelperApp[] = [];

  private constructor(readonly server: CatcherServer, readonly rt: boolean) {}

  static async create(opts: { rt?: boolean } = {}): Promise<HelperLauncher> {
    requireHelper();
    return new HelperLauncher(await CatcherServer.listen(), opts.rt ?? false);
  }

  async launch(command: string, args: readonly string[], opts: { usagePeriodMs?: number; env?: Record<string, string>; untrapped?: boolean } = {}): Promise<HelperApp> {
    const bin = requireHelper();
    const { token, session } = this.server.expect({ timeoutMs: 10000 });
    const child = spawn(bin, helperArgs({ controlPath: this.server.path, rt: this.rt, usagePeriodMs: opts.usagePeriodMs, untrappedUntilCapped: opts.untrapped }, command, args), {
      env: { ...process.env, ...opts.env, INTERCEPTOR_HELPER_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const failed = exited.then((code) => {
      throw new Error(`helper exited (${code}) before connecting: ${err.trim()}`);
    });
    const s = await Promise.race([session, failed]);
    const app: HelperApp = { child, session: s, exited, stdout: () => out };
    this.apps.push(app);
    return app;
  }

  /** Kill every helper (and so its app tree) and close the server. */
  async close(): Promise<void> {
    for (const a of this.apps) {
      if (a.child.exitCode === null && a.child.signalCode === null) {
        try {
          await Promise.race([a.session.terminate(200), new Promise((r) => setTimeout(r, 300))]);
        } catch {
          /* already gone */
        }
      }
    }
    await Promise.all(
      this.apps.map(async (a) => {
        if (a.child.exitCode === null && a.child.signalCode === null) {
          const t = setTimeout(() => a.child.kill('SIGKILL'), 1500);
          await a.exited;
          clearTimeout(t);
        }
        destroySession(a.session);
      }),
    );
    await this.server.close();
  }
}

/** utime + stime of a process (all its threads) in ns, from /proc; null if gone. */
export async function procCpuNs(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return (ticks * 1e9) / CLK_TCK;
  } catch {
    return null;
  }
}

export const CLK_TCK = 100;
