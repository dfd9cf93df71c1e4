// Running the built CLI as a real process, and a real `interceptor serve` in temp dirs.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from '../helpers.js';

export const BIN = path.join(ROOT, 'bin/interceptor.js');

export function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI with `env` and expects exit 0: its stdout. */
export function cliOk(env: NodeJS.ProcessEnv): (args: string[]) => string {
  return (args) => {
    const r = cli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
}

/** Temp config, state and runtime dirs, as the env of every command of one test. */
export function userDirs(t: { after: (fn: () => unknown) => void }) {
  const { dir, cleanup } = tempDir('interceptor-cli-');
  t.after(cleanup);
  const env = { XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_STATE_HOME: path.join(dir, 'state'), XDG_RUNTIME_DIR: path.join(dir, 'run'), INTERCEPTOR_TOKEN: '' };
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  return { dir, env, stateDir: path.join(env.XDG_STATE_HOME, 'interceptor') };
}

export interface Serving {
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export async function startServe(t: { after: (fn: () => unknown) => void }, args: string[], env: NodeJS.ProcessEnv): Promise<Serving> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--no-autostart', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return exited;
  };
  t.after(stop);
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
  return { proc, url, exited, stop };
}
