// bin/interceptor.js: runs the CLI bundle when it is at least as new as the compiled modules
// (npm run build makes both), the modules when a later tsc run left the bundle stale.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, ensureBuilt } from '../engine/helpers.js';

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
