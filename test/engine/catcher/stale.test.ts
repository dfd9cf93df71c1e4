// catcher/stale.ts: the control-socket directories of killed engines are swept by the next one;
// a live engine's, a young one's, and anything not ours stay.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CatcherServer } from '../../../electron/engine/catcher/index.js';
import { STALE_AFTER_MS, sweepStaleCatcherDirs } from '../../../electron/engine/catcher/stale.js';

/** A socket file whose listener was killed (what a SIGKILLed engine leaves). */
async function deadSocket(file: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  child.kill('SIGKILL');
  await new Promise<void>((r) => child.once('exit', () => r()));
  assert.ok(existsSync(file));
}

test('the directories of killed engines go; a live, a young, or a foreign one stays', async (t) => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'stale-'));
  const live = net.createServer();
  t.after(() => {
    live.close();
    rmSync(base, { recursive: true, force: true });
  });
  const old = (Date.now() - STALE_AFTER_MS - 5000) / 1000;
  const make = (name: string) => {
    const dir = path.join(base, name);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  };
  const killed = make('interceptor-catcher-Killed');
  await deadSocket(path.join(killed, 'catcher.sock'));
  const empty = make('interceptor-catcher-Empty1');
  const alive = make('interceptor-catcher-Alive1');
  await new Promise<void>((r) => live.listen(path.join(alive, 'catcher.sock'), () => r()));
  const young = make('interceptor-catcher-Young1');
  const foreign = make('interceptor-catcher-notour-name');
  const file = path.join(base, 'interceptor-catcher-File11');
  writeFileSync(file, '');
  for (const p of [killed, empty, alive, foreign, file]) utimesSync(p, old, old);

  const removed = await sweepStaleCatcherDirs(base);
  assert.deepEqual(removed.sort(), [empty, killed].sort());
  for (const p of [alive, young, foreign, file]) assert.ok(existsSync(p), p);
  assert.equal(existsSync(killed) || existsSync(empty), false);
});

test('an engine opening its socket sweeps its base, and a probe of a live one is no warning there', async (t) => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'stale-'));
  const logs: string[] = [];
  const first = await CatcherServer.listen({ baseDir: base, log: (_l, m) => logs.push(m), helloTimeoutMs: 200 });
  t.after(async () => {
    await first.close();
    rmSync(base, { recursive: true, force: true });
  });
  const killed = path.join(base, 'interceptor-catcher-Killed');
  mkdirSync(killed, { mode: 0o700 });
  await deadSocket(path.join(killed, 'catcher.sock'));
  const old = (Date.now() - STALE_AFTER_MS - 5000) / 1000;
  utimesSync(killed, old, old);
  utimesSync(first.dir, old, old); // old, but listening
  const second = await CatcherServer.listen({ baseDir: base });
  t.after(() => second.close());
  const until = Date.now() + 5000;
  while (existsSync(killed) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(existsSync(killed), false);
  assert.ok(existsSync(first.path));
  await new Promise((r) => setTimeout(r, 400)); // past the first's hello timeout
  assert.deepEqual(logs, []);
});
