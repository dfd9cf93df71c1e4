#!/usr/bin/env node
// `npm start`: builds what is missing or stale, then launches the desktop app. Where
// Electron cannot start (no Electron binary, no display, running as root) it says
// why in one line and starts the headless dashboard (`interceptor serve`) instead,
// which prints its URL.
// Usage: npm start [-- [--headless] [--no-build] [serve options: --port N --config-dir DIR --no-autostart]]
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the Electron binary is, or why there is none. `resolve` is require('electron') (a path string). */
export function findElectron(resolve = () => createRequire(path.join(root, 'package.json'))('electron')) {
  let binary;
  try {
    binary = resolve();
  } catch (err) {
    const detail = err && typeof err === 'object' && 'code' in err && err.code === 'MODULE_NOT_FOUND' ? 'the electron package is not installed' : 'the Electron binary is not installed';
    return { error: detail };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { error: 'the Electron binary is not installed' };
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return { error: `the Electron binary is not executable (${binary})` };
  }
  return { binary };
}

/**
 * Desktop or headless, and why. Pure: everything it looks at is passed in.
 * @returns {{ mode: 'electron', binary: string } | { mode: 'headless', reason: string }}
 */
export function decideLaunch({ env, platform, uid, headlessFlag, electron }) {
  if (headlessFlag || env.INTERCEPTOR_HEADLESS === '1') return { mode: 'headless', reason: 'headless mode was requested' };
  if (electron.error) return { mode: 'headless', reason: electron.error };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { mode: 'headless', reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  // Chromium's sandbox refuses root; we never turn the sandbox off to get a window.
  if (platform === 'linux' && uid === 0) return { mode: 'headless', reason: 'Electron does not run as root without disabling its sandbox' };
  return { mode: 'electron', binary: electron.binary };
}

/** The built files `npm start` needs, given which sources exist. */
export function requiredOutputs(dir = root, platform = process.platform) {
  const outputs = ['dist/electron/main/main.js', 'dist/electron/engine/cli/main.js'];
  if (existsSync(path.join(dir, 'electron/preload/preload.ts'))) outputs.push('dist/electron/preload/preload.cjs');
  if (existsSync(path.join(dir, 'renderer/index.html'))) outputs.push('dist/renderer/index.html');
  if (platform === 'linux' && existsSync(path.join(dir, 'native/Makefile'))) outputs.push('native/build/interceptor-helper');
  return outputs;
}

const SOURCE_DIRS = ['electron', 'renderer', 'native/src'];
const SKIP = new Set(['node_modules', 'dist', 'build', '.git']);

function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.isFile()) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Why a build is needed (missing or older than the sources), or null. */
export function buildReason(dir = root, platform = process.platform) {
  const outputs = requiredOutputs(dir, platform);
  const missing = outputs.filter((o) => !existsSync(path.join(dir, o)));
  if (missing.length) return `missing ${missing.join(', ')}`;
  const oldestOutput = Math.min(...outputs.map((o) => statSync(path.join(dir, o)).mtimeMs));
  const newestSource = Math.max(0, ...SOURCE_DIRS.map((d) => newestMtime(path.join(dir, d))));
  return newestSource > oldestOutput ? 'sources changed since the last build' : null;
}

/** Splits start.mjs's own flags from the ones passed on to `interceptor serve`. */
export function parseArgs(argv) {
  const out = { headless: false, build: true, serveArgs: [] };
  for (const arg of argv) {
    if (arg === '--headless') out.headless = true;
    else if (arg === '--no-build') out.build = false;
    else out.serveArgs.push(arg);
  }
  return out;
}

export function headlessLine(reason) {
  return `Interceptor: the desktop app cannot start here (${reason}); starting the headless dashboard instead.`;
}

/** Runs a child with our stdio, forwarding SIGINT/SIGTERM/SIGHUP; resolves with its exit code. */
function runChild(command, args, { onEarlyFailure, earlyMs = 0 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    const forward = (signal) => () => child.kill(signal);
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => [s, forward(s)]);
    for (const [s, h] of handlers) process.on(s, h);
    const done = (value) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(value);
    };
    child.on('error', (err) => done({ code: 1, error: err }));
    child.on('exit', (code, signal) => {
      const failedEarly = onEarlyFailure && code !== 0 && signal === null && Date.now() - started < earlyMs;
      done({ code: code ?? 128 + (osConstants.signals[signal] ?? 0), failedEarly });
    });
  });
}

async function startHeadless(reason, serveArgs, log) {
  log(headlessLine(reason));
  const result = await runChild(process.execPath, [path.join(root, 'bin/interceptor.js'), 'serve', ...serveArgs]);
  return result.code;
}

/** `deps` lets tests stand in for the machine (environment, user, Electron binary, output). */
export async function main(argv = process.argv.slice(2), deps = {}) {
  const log = deps.log ?? ((line) => console.log(line));
  const args = parseArgs(argv);
  if (args.build) {
    const why = buildReason();
    if (why) {
      log(`Interceptor: building (${why})…`);
      const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
      if (built.status !== 0) {
        console.error('Interceptor: the build failed; nothing was started.');
        return built.status ?? 1;
      }
    }
  }
  const decision = decideLaunch({
    env: deps.env ?? process.env,
    platform: deps.platform ?? process.platform,
    uid: deps.uid ?? (typeof process.getuid === 'function' ? process.getuid() : -1),
    headlessFlag: args.headless,
    electron: (deps.findElectron ?? findElectron)(),
  });
  if (decision.mode === 'headless') return startHeadless(decision.reason, args.serveArgs, log);

  const result = await runChild(decision.binary, [root], { onEarlyFailure: true, earlyMs: 5000 });
  if (result.error) return startHeadless(`Electron failed to launch: ${result.error.message}`, args.serveArgs, log);
  if (result.failedEarly) return startHeadless(`Electron exited at once with code ${result.code}`, args.serveArgs, log);
  return result.code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
