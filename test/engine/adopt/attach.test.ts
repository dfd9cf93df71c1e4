// The engine accepts a helper it did not start (an adopted unit's): attachApp hands out the
// control socket and a one-time token; a real helper started with them becomes the app's run,
// capped like any other; a token is good once; apps not adopted are refused, adopted ones are
// not started by the engine itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { helperArgs } from '../../../electron/engine/catcher/index.js';
import { HELPER, requireHelper, testEngine, until, zeroShares } from '../helpers.js';

const unit = { name: 'demo.service', scope: 'user' as const };

function runHelper(controlPath: string, token: string, command: string, args: string[]) {
  const child = spawn(HELPER, helperArgs({ controlPath, onEngineLoss: 'continue' }, command, args), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INTERCEPTOR_HELPER_TOKEN: token } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, out: () => out };
}

test('attachApp: an external helper becomes the adopted app\'s run; tokens are one-time; clear refusals', { timeout: 60_000 }, async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  const plain = await engine.invoke('addApp', { name: 'plain', command: '/bin/true', shares: zeroShares });
  await assert.rejects(engine.invoke('attachApp', { id: plain.definition.id }), /was not adopted from a systemd unit/);
  const adopted = await engine.invoke('addApp', { name: 'demo', command: '/bin/sh', args: ['-c', 'sleep 1; echo done'], shares: zeroShares, systemdUnit: unit });
  const id = adopted.definition.id;
  await assert.rejects(engine.invoke('startApp', { id }), /is the systemd unit demo.service: systemd starts it \(systemctl --user start demo.service\)/);
  await assert.rejects(engine.invoke('attachApp', { id: 'nope' }), /no app with id "nope"/);

  const grant = await engine.invoke('attachApp', { id });
  assert.match(grant.token, /^[0-9a-f]{64}$/);
  await assert.rejects(engine.invoke('attachApp', { id }), /already running/, 'one run at a time: the first is starting');
  const h = runHelper(grant.controlPath, grant.token, '/bin/sh', ['-c', 'sleep 1; echo done']);
  await until(async () => (await engine.invoke('getState', {})).apps.find((a) => a.definition.id === id)!.state === 'running', 10_000, 'running');
  const running = (await engine.invoke('getState', {})).apps.find((a) => a.definition.id === id)!;
  assert.ok(running.pid && running.pid !== h.child.pid, 'the app\'s pid is the helper\'s child, from its hello');
  assert.equal(await h.exited, 0, h.out());
  await until(async () => (await engine.invoke('getState', {})).apps.find((a) => a.definition.id === id)!.state === 'exited', 10_000, 'exited');
  assert.match(h.out(), /done/);

  // the same token again: the engine no longer knows it and closes the connection (that helper,
  // told to continue on engine loss, runs its program uncapped: nothing of the engine's starts)
  const replay = runHelper(grant.controlPath, grant.token, '/bin/true', []);
  await replay.exited;
  const after = (await engine.invoke('getState', {})).apps.find((a) => a.definition.id === id)!;
  assert.equal(after.state, 'exited');
  assert.equal(after.pid, running.pid);
});
