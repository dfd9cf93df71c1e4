// `interceptor serve` as a real process, and `interceptor status | pause | resume`
// talking to it; bad flags exit 2. Runs the built CLI (bin/interceptor.js → dist/).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test, before } from 'node:test';
import { ROOT, tempDir, ensureBuilt } from '../helpers.js';

const BIN = path.join(ROOT, 'bin/interceptor.js');

before(ensureBuilt);

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startServe(t: { after: (fn: () => unknown) => void }, configDir: string): Promise<{ proc: ChildProcess; url: string; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config-dir', configDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 15_000);
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
  return { proc, url, exited };
}

test('bad flags and unknown commands exit 2 with a clear message', () => {
  for (const args of [['run', '--cpu', '150%', '--', 'true'], ['run', '--mem', 'lots', '--', 'true'], ['run', '--up', '-1', '--', 'true'], ['run', '--bogus', 'x', '--', 'true'], ['run', '--cpu'], ['run'], ['frobnicate'], ['pause', '--for', 'soon'], ['serve', '--port', '99999']]) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^interceptor: /, args.join(' '));
  }
  assert.match(cli(['run', '--cpu', '150%', '--', 'true']).stderr, /150%/);
  assert.match(cli(['run']).stderr, /missing command/);
});

test('status, pause and resume talk to a running serve; server.json is private and removed on exit', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const { proc, url, exited } = await startServe(t, dir);
  const serverFile = path.join(dir, 'server.json');
  assert.ok(existsSync(serverFile));
  assert.equal(statSync(serverFile).mode & 0o777, 0o600);
  const info = JSON.parse(readFileSync(serverFile, 'utf8'));
  assert.equal(info.url, url);

  let r = cli(['status', '--config-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /profile inUse/);
  assert.match(r.stdout, /No apps/);
  assert.match(r.stdout, /^Capacity: Upload .+, Download .+, Disk unknown$/m, 'the link and disk capacity (the disk is never measured unasked)');

  r = cli(['pause', '--for', '15m', '--config-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /paused until/);
  r = cli(['status', '--json', '--config-dir', dir]);
  const s = JSON.parse(r.stdout);
  assert.ok(s.state.pause.until - Date.now() > 14 * 60_000 && s.state.pause.until - Date.now() <= 15 * 60_000);
  // the lease was persisted by the server
  assert.ok(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8')).pause);

  r = cli(['resume', '--url', url]);
  assert.equal(r.code, 0, r.stderr);
  r = cli(['status', '--json', '--config-dir', dir]);
  assert.equal(JSON.parse(r.stdout).state.pause, null);

  // a wrong token is refused
  r = cli(['status', '--url', url.replace(/token=.*/, 'token=' + '0'.repeat(64))]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /401/);

  proc.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.ok(!existsSync(serverFile), 'server.json removed on exit');
  r = cli(['status', '--config-dir', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no running server/);
});
