#!/usr/bin/env node
// `npm start`: builds what is missing or stale, then launches the desktop app, fetching
// the Electron binary on the first start that has a display (npm installs no binary:
// package.json's allowScripts keeps Electron's install script from running). Where
// Electron cannot start (no display, running as root, no binary and no download, or it
// dies at start) it says why and what to do in one line and starts the headless
// dashboard (`interceptor serve`) instead, which prints its URL.
// Usage: npm start [-- [--headless] [--no-build] [serve options: --port N --config-dir DIR --no-autostart]]
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where the Electron binary is, or why there is none. `resolve` is require('electron') (a
 * path string). `fetchable`: the package is installed and only its binary is missing
 * (npm ran no install script for it), so electron/install.js can fetch it.
 */
export function findElectron(resolve = () => createRequire(path.join(root, 'package.json'))('electron')) {
  let binary;
  try {
    binary = resolve();
  } catch (err) {
    const missingPackage = err && typeof err === 'object' && 'code' in err && err.code === 'MODULE_NOT_FOUND';
    return missingPackage ? { error: 'the electron package is not installed' } : { error: 'the Electron binary is not installed', fetchable: true };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { error: 'the Electron binary is not installed', fetchable: true };
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return { error: `the Electron binary is not executable (${binary})` };
  }
  return { binary };
}

/** Why root gets no window, and what to do instead. */
export function rootReason(env) {
  const as = env.SUDO_USER && env.SUDO_USER !== 'root' ? ` (leave this root shell and run it as ${env.SUDO_USER})` : '';
  return `Electron does not run as root without disabling its sandbox: run \`npm start\` as your desktop user, in that user's session${as}`;
}

/**
 * Desktop, fetch Electron first, or headless, and why. Pure: everything it looks at is
 * passed in. The binary is fetched on the first start that could show a window, never
 * in CI or where ELECTRON_SKIP_BINARY_DOWNLOAD=1 says not to.
 * @returns {{ mode: 'electron', binary: string } | { mode: 'fetch' } | { mode: 'headless', reason: string }}
 */
export function decideLaunch({ env, platform, uid, headlessFlag, electron }) {
  if (headlessFlag || env.INTERCEPTOR_HEADLESS === '1') return { mode: 'headless', reason: 'headless mode was requested' };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { mode: 'headless', reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  // Chromium's sandbox refuses root; we never turn the sandbox off to get a window.
  if (platform === 'linux' && uid === 0) return { mode: 'headless', reason: rootReason(env) };
  if (electron.error) {
    const skip = env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1' || (env.CI && env.CI !== 'false');
    if (electron.fetchable && !skip) return { mode: 'fetch' };
    return { mode: 'headless', reason: electron.fetchable ? `${electron.error} (its download is skipped here: ELECTRON_SKIP_BINARY_DOWNLOAD or CI is set)` : electron.error };
  }
  return { mode: 'electron', binary: electron.binary };
}

/**
 * Why Electron died at start by a signal, and what to do. Chromium's sandbox aborts
 * (SIGTRAP/SIGABRT) where unprivileged user namespaces are restricted (Ubuntu 24.04+)
 * and the SUID helper has no rights.
 */
export function crashReason(signal, stderrTail) {
  const sandbox = /sandbox|namespace/i.test(stderrTail) || signal === 'SIGTRAP';
  if (!sandbox) return `Electron was killed by ${signal} at start`;
  return `Electron was killed by ${signal} at start: Chromium's sandbox could not start (this system restricts unprivileged user namespaces); ` +
    'give its helper the rights it needs: sudo chown root node_modules/electron/dist/chrome-sandbox && sudo chmod 4755 node_modules/electron/dist/chrome-sandbox ' +
    '(the .deb of `npx electron-builder --linux deb` does this on install)';
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

/**
 * Runs a child with our stdio, forwarding SIGINT/SIGTERM/SIGHUP; resolves with its exit
 * code, the signal that killed it (unless we forwarded one), whether that was within
 * `earlyMs`, and the tail of its stderr (passed through as it comes).
 */
function runChild(command, args, { earlyMs = 0, env = process.env } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, env, stdio: ['inherit', 'inherit', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString()).slice(-8192);
    });
    let forwarded = false;
    const forward = (signal) => () => {
      forwarded = true;
      child.kill(signal);
    };
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => [s, forward(s)]);
    for (const [s, h] of handlers) process.on(s, h);
    const done = (value) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(value);
    };
    child.on('error', (err) => done({ code: 1, error: err }));
    child.on('close', (code, signal) => {
      const early = Date.now() - started < earlyMs;
      done({ code: code ?? 128 + (osConstants.signals[signal] ?? 0), signal: forwarded ? null : signal, early, stderrTail: tail });
    });
  });
}

/** Fetches the Electron binary with the electron package's own installer (checksums included). */
async function fetchElectron(log, env) {
  log('Interceptor: fetching the Electron binary (first start of the desktop app; about 100 MB)…');
  const installer = path.join(root, 'node_modules/electron/install.js');
  const result = await runChild(process.execPath, [installer], { env: { ...env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' } });
  if (result.code === 0) return null;
  const why = result.stderrTail.trim().split('\n').filter(Boolean).pop() ?? `exit ${result.code}`;
  return `the Electron binary could not be downloaded (${why.slice(0, 200)}); retry with \`npm start\` when online, or run \`node node_modules/electron/install.js\``;
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
  const decide = () =>
    decideLaunch({
      env: deps.env ?? process.env,
      platform: deps.platform ?? process.platform,
      uid: deps.uid ?? (typeof process.getuid === 'function' ? process.getuid() : -1),
      headlessFlag: args.headless,
      electron: (deps.findElectron ?? findElectron)(),
    });
  let decision = decide();
  if (decision.mode === 'fetch') {
    const failed = await (deps.fetchElectron ?? fetchElectron)(log, { ...process.env, ...(deps.env ?? {}) });
    if (failed) return startHeadless(failed, args.serveArgs, log);
    decision = decide();
    if (decision.mode === 'fetch') return startHeadless('the Electron binary is still missing after its download', args.serveArgs, log);
  }
  if (decision.mode === 'headless') return startHeadless(decision.reason, args.serveArgs, log);

  const result = await runChild(decision.binary, [root], { earlyMs: 5000 });
  if (result.error) return startHeadless(`Electron failed to launch: ${result.error.message}`, args.serveArgs, log);
  if (result.early && result.signal) return startHeadless(crashReason(result.signal, result.stderrTail), args.serveArgs, log);
  if (result.early && result.code !== 0) return startHeadless(`Electron exited at once with code ${result.code}`, args.serveArgs, log);
  return result.code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
