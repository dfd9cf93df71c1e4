#!/usr/bin/env node
// Builds everything the product and the tests run: the native helper (make), the
// engine/CLI/shell (tsc → dist/, and the CLI as one esbuild bundle), the preload (esbuild → CommonJS, as sandboxed
// preloads require), and the dashboard (vite → dist/renderer).
// Usage: node scripts/build.mjs [native|node|preload|renderer ...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CLI_DIR = path.join(root, 'dist/electron/engine/cli');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const wanted = new Set(process.argv.slice(2));
const want = (step) => wanted.size === 0 || wanted.has(step);

function run(label, command, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error && result.error.code === 'ENOENT') {
    console.error(`build: ${label}: "${command}" is not installed`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(result.status ?? 1);
  }
  console.log(`build: ${label} ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function haveCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (want('native')) {
  if (process.platform !== 'linux') {
    console.log('build: native helper skipped: enforcement needs Linux (ptrace + seccomp-bpf)');
  } else if (!haveCommand(process.env.CC || 'cc') || !haveCommand('make')) {
    console.error('build: the native helper needs a C compiler and make: install them (Debian: apt-get install build-essential)');
    process.exit(1);
  } else {
    run('native helper', 'make', ['-C', 'native', '--no-print-directory']);
    // the test suite also runs the helper's ASan+UBSan and TSan builds
    run('native helper, sanitizer builds', 'make', ['-C', 'native', '--no-print-directory', 'sanitizers']);
  }
}
if (want('node')) {
  run('engine, CLI and shell (tsc)', bin('tsc'), ['-p', 'tsconfig.node.json']);
  // The `interceptor` command loads a bundle instead of ~160 modules: 40 ms instead of 150 ms
  // before every `interceptor run` (bin/interceptor.js falls back to main.js when this is older).
  // Split along main.ts's import() of each command, so a command loads only what it uses.
  // Beside main.js, so the engine's walks up from import.meta.url find the same package.
  for (const old of readdirSync(CLI_DIR)) if (/^main\.bundle\.mjs$|\.bundle-\w+\.mjs$/.test(old)) rmSync(path.join(CLI_DIR, old));
  run('CLI bundle (esbuild)', bin('esbuild'), [
    'dist/electron/engine/cli/main.js', '--bundle', '--splitting', '--platform=node', '--format=esm', '--target=node20',
    '--external:better-sqlite3', '--external:node-pty',
    // (CommonJS dependencies like ws require() node's built-ins)
    "--banner:js=import { createRequire as interceptorCreateRequire } from 'node:module'; const require = interceptorCreateRequire(import.meta.url);",
    `--outdir=${CLI_DIR}`, '--entry-names=[name].bundle', '--chunk-names=[name].bundle-[hash]', '--out-extension:.js=.mjs', '--log-level=warning',
  ]);
  // esbuild keeps some comments, and one non-ASCII character makes node decode a whole file as
  // UTF-16 (~15 ms per start): escape them (strings and identifiers are escaped already)
  for (const out of readdirSync(CLI_DIR).filter((f) => f.endsWith('.mjs'))) {
    const file = path.join(CLI_DIR, out);
    const text = readFileSync(file, 'utf8');
    const escape = (c) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
    if (/\P{ASCII}/u.test(text)) writeFileSync(file, text.replace(/\P{ASCII}/gu, escape));
  }
}
if (want('preload') && existsSync(path.join(root, 'electron/preload/preload.ts'))) {
  mkdirSync(path.join(root, 'dist/electron/preload'), { recursive: true });
  run('preload (esbuild)', bin('esbuild'), [
    'electron/preload/preload.ts', '--bundle', '--platform=node', '--format=cjs', '--external:electron',
    '--outfile=dist/electron/preload/preload.cjs', '--log-level=warning',
  ]);
}
if (want('renderer') && existsSync(path.join(root, 'renderer/index.html'))) {
  run('dashboard (vite)', bin('vite'), ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}
