// bin/interceptor.js: runs the CLI bundle when it is at least as new as the compiled modules
// (npm run build makes both), the modules when a later tsc run left the bundle stale.
// bin/interceptor (the package's bin): `run -- CMD` through the front (native/src/front.c),
// anything else through bin/interceptor.js.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, ensureBuilt, requireHelper } from '../engine/helpers.js';
import { goneOrZombie, waitFor } from '../native/harness.js';

/** A copy of the launcher beside a stand-in dist/ whose two entries say which one ran. */
function fakeInstall(): { dir: string; modules: string; bundle: string; run: () => string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interceptor-bin-'));
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(path.join(ROOT, 'bin/interceptor.js'), path.join(dir, 'bin/interceptor.js'));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  const cli = path.join(dir, 'dist/electron/engine/cli');
  mkdirSync(cli, { recursive: true });
  const entry = (name: string) => `export async function main(argv) { console.log('${name} ' + argv.join(' ')); return 3; }\n`;
  const modules = path.join(cli, 'main.js');
  const bundle = path.join(cli, 'main.bundle.mjs');
  writeFileSync(modules, entry('modules'));
  writeFileSync(bundle, entry('bundle'));
  const run = () => {
    const r = spawnSync(process.execPath, [path.join(dir, 'bin/interceptor.js'), 'status', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    return r.stdout.trim();
  };
  return { dir, modules, bundle, run };
}

const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

test('the bundle runs when it is as new as the modules or newer; the modules when it is older or missing', () => {
  const f = fakeInstall();
  try {
    at(f.modules, 1_000_000);
    at(f.bundle, 1_000_000);
    assert.equal(f.run(), 'bundle status --json');
    at(f.bundle, 999_999); // tsc ran after the bundle was made
    assert.equal(f.run(), 'modules status --json');
    rmSync(f.bundle);
    assert.equal(f.run(), 'modules status --json');
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('without the compiled modules it says how to build them', () => {
  const f = fakeInstall();
  try {
    rmSync(f.modules);
    const r = spawnSync(process.execPath, [path.join(f.dir, 'bin/interceptor.js')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the CLI is not built: run `npm run build`/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test("this checkout's build: the bundle is current and does what the modules do", async () => {
  await ensureBuilt();
  const cli = path.join(ROOT, 'dist/electron/engine/cli');
  const modules = path.join(cli, 'main.js');
  const bundle = path.join(cli, 'main.bundle.mjs');
  assert.ok(statSync(bundle).mtimeMs >= statSync(modules).mtimeMs, 'the build left the bundle older than main.js: bin/interceptor.js would not use it');
  const via = (entry: string, ...argv: string[]) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`, '--', ...argv], { encoding: 'utf8' });
  for (const argv of [['--version'], ['run', '--help'], ['run', '--up', 'fast', '--', 'true']]) {
    const [a, b] = [via(modules, ...argv), via(bundle, ...argv)];
    assert.ok(a.stdout.includes('interceptor') || a.stderr.includes('interceptor'), `the CLI answered ${argv.join(' ')}: ${a.stdout}${a.stderr}`);
    assert.deepEqual({ status: b.status, stdout: b.stdout, stderr: b.stderr }, { status: a.status, stdout: a.stdout, stderr: a.stderr }, argv.join(' '));
  }
});

test("the bundle is split by command: `interceptor run` loads neither the WebSocket client nor the server", async () => {
  await ensureBuilt();
  const cli = path.join(ROOT, 'dist/electron/engine/cli');
  const source = (file: string) => readFileSync(path.join(cli, file), 'utf8');
  /** The files a module loads before it runs: its static imports, transitively. */
  const staticClosure = (entry: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(entry)) return seen;
    seen.add(entry);
    for (const m of source(entry).matchAll(/^(?:import|export)\b[^;]*?\bfrom "\.\/([^"]+\.mjs)";/gms)) staticClosure(m[1]!, seen);
    return seen;
  };
  const runChunk = /import\("\.\/(run\.bundle-\w+\.mjs)"\)/.exec(source('main.bundle.mjs'))?.[1];
  assert.ok(runChunk, 'main.bundle.mjs imports the run command on demand');
  const loaded = staticClosure(runChunk, staticClosure('main.bundle.mjs'));
  const everything = readdirSync(cli).filter((f) => f.endsWith('.mjs'));
  assert.ok(loaded.size < everything.length, `run loads ${loaded.size} of ${everything.length} files`);
  for (const file of loaded) {
    const text = source(file);
    assert.ok(!text.includes('node_modules/ws/'), `${file}, loaded by run, holds the WebSocket library`);
    assert.ok(!text.includes('engine/server/server.js'), `${file}, loaded by run, holds the dashboard's server`);
    assert.ok(!/\P{ASCII}/u.test(text), `${file} is not ASCII: node would decode it as UTF-16`);
  }
});

// ---------------------------------------------------------------------------
// bin/interceptor

const SH_BIN = path.join(ROOT, 'bin/interceptor');
/** What the app prints of itself: its parent's command line (the helper's) and what of ours it inherited. */
const SELF_REPORT = 'tr "\\0" " " < /proc/$PPID/cmdline; echo; env | grep -E "^INTERCEPTOR_(FRONT|HELPER_TOKEN)=" || echo clean';

/** bin/interceptor with ARGS, its temporary files in a directory of their own (checked empty after). */
function viaShBin(args: string[]): { status: number | null; stdout: string; stderr: string; left: string[] } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'interceptor-sh-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.XDG_RUNTIME_DIR;
    const r = spawnSync(SH_BIN, args, { encoding: 'utf8', env, timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, left: readdirSync(tmp) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('bin/interceptor runs `run -- CMD` through the front: its exit code, nothing of ours in its environment, nothing left', async () => {
  await ensureBuilt();
  requireHelper();
  const r = viaShBin(['run', '--', 'sh', '-c', `${SELF_REPORT}; exit 3`]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stdout, /interceptor-helper --front node \S+\/bin\/interceptor\.js -- sh -c/);
  assert.match(r.stdout, /^clean$/m);
  assert.deepEqual(r.left, []);
  // an app that has ended before the engine took it (its session's close is its exit): it once
  // stayed "running" for ever, taken back by the schedulers after its exit was recorded
  for (const [cmd, code] of [['true', 0], ['false', 1]] as const) {
    const q = viaShBin(['run', '--', cmd]);
    assert.equal(q.status, code, q.stderr);
    assert.deepEqual(q.left, []);
  }
});

test('bin/interceptor: `run` with an option, and every other command, go to node as they are', async () => {
  await ensureBuilt();
  requireHelper();
  const r = viaShBin(['run', '-q', '--', 'sh', '-c', SELF_REPORT]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /interceptor-helper --control /);
  assert.doesNotMatch(r.stdout, /--front/);
  assert.match(r.stdout, /^clean$/m);
  const v = viaShBin(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^interceptor \d+\.\d+\.\d+/);
  const missing = viaShBin(['run', '--', 'no-such-command-xyz']);
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /"no-such-command-xyz" was not found in PATH/);
  assert.doesNotMatch(missing.stderr, /interceptor-helper/);
  assert.deepEqual(missing.left, []);
});

test('bin/interceptor: SIGTERM while node is still starting ends the app (through the front)', async () => {
  await ensureBuilt();
  requireHelper();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'interceptor-sh-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.XDG_RUNTIME_DIR;
    const proc = spawn(SH_BIN, ['run', '--', 'sh', '-c', 'echo pid:$$; exec sleep 60'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    const deadline = Date.now() + 15_000;
    while (!/pid:\d+\n/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const appPid = Number(/pid:(\d+)\n/.exec(out)?.[1]);
    assert.ok(appPid > 0, `the app started: ${out}`);
    proc.kill('SIGTERM'); // (node may not have its handlers yet: then SIGTERM ends it, and the helper sees it gone)
    const end = await exited;
    assert.ok(end.code === 143 || end.signal === 'SIGTERM', JSON.stringify(end));
    await waitFor('the app to be ended', () => goneOrZombie(appPid), 10_000);
    assert.deepEqual(readdirSync(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
