// Credits: calls pass while the budget lasts, the calling thread is held (and
// demand reported) when it runs out, other processes keep running, and grants
// release held calls exactly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { statSync } from 'node:fs';
import { bin, cleanupAll, requireBuilt, sink, sleep, startAfterStdin, startApp, tmpDir, waitFor } from './harness.js';

after(cleanupAll);

test('a send without credit is held, reported as demand, and released exactly when credit is granted', async () => {
  requireBuilt();
  const peer = await sink();
  const chunk = 1000;
  const app = await startApp(bin('io'), ['tcp', '127.0.0.1', String(peer.port), String(5 * chunk), '0', String(chunk)], { free: false });
  const s = app.session;
  try {
    await s.setLimitMode('netUp', 'credit'); // credit starts at 0
    await s.free();
    await waitFor('first demand', () => app.demands.length >= 1);
    assert.deepEqual(app.demands[0], { resource: 'netUp', bytes: chunk });
    await sleep(300);
    let u = await app.usage();
    assert.equal(peer.received(), 0, 'a held call reached the network');
    assert.equal(u.netUp, 0);
    assert.equal(u.heldNetUp, chunk);
    assert.equal(u.heldCalls, 1);
    assert.deepEqual(u.credit, { netUp: 0, netDown: 0, disk: 0 });

    // each grant of exactly one call's size releases exactly one call
    for (let i = 1; i <= 3; i++) {
      await s.grant('netUp', chunk);
      await waitFor(`call ${i} released`, () => peer.received() === i * chunk && app.demands.length >= i + 1);
      await sleep(150);
      assert.equal(peer.received(), i * chunk, 'more than the credit went out');
      u = await app.usage();
      assert.equal(u.netUp, i * chunk);
      assert.equal(u.heldCalls, 1);
      assert.equal(u.granted.netUp, i * chunk);
      assert.equal(u.credit.netUp, 0, 'the released call used its grant');
    }
    // unlimited releases the rest at once
    await s.setLimitMode('netUp', 'unlimited');
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    assert.equal(peer.received(), 5 * chunk);
    assert.equal(s.lastUsage!.netUp, 5 * chunk);
  } finally {
    await app.cleanup();
    peer.close();
  }
});

test('while one process is held for network credit, the others keep running', async () => {
  requireBuilt();
  const peer = await sink();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'side');
  const app = await startApp(
    '/bin/sh',
    ['-c', `${bin('io')} tcp 127.0.0.1 ${peer.port} 4000 0 4000 & ${bin('io')} fwrite ${file} 300000 65536; wait`],
    { free: false },
  );
  try {
    await app.session.setLimitMode('netUp', 'credit');
    await app.session.free();
    await waitFor('demand', () => app.demands.length >= 1);
    await waitFor('the other process to finish its file', () => {
      try {
        return statSync(file).size === 300000;
      } catch {
        return false;
      }
    });
    assert.equal(peer.received(), 0);
    await app.session.grant('netUp', 4000);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(peer.received(), 4000);
    assert.equal(app.session.lastUsage!.netUp, 4000);
    assert.equal(app.session.lastUsage!.diskWrite, 300000);
  } finally {
    await app.cleanup();
    peer.close();
    remove();
  }
});

test('disk credit paces writes: held calls are released in order, one grant at a time', async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'paced');
  const chunk = 65536;
  // (capped once the loader's reads are done: see startAfterStdin)
  const { app, go } = await startAfterStdin(['fwrite', file, String(4 * chunk), String(chunk)]);
  const s = app.session;
  try {
    await s.setLimitMode('disk', 'credit');
    go();
    await waitFor('demand', () => app.demands.length > 0);
    assert.deepEqual(app.demands[0], { resource: 'disk', bytes: chunk });
    assert.equal(statSync(file).size, 0);
    for (let i = 1; i <= 4; i++) {
      await s.grant('disk', chunk);
      await waitFor(`write ${i}`, () => statSync(file).size === i * chunk);
      await sleep(100);
      assert.equal(statSync(file).size, i * chunk);
    }
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(s.lastUsage!.diskWrite, 4 * chunk);
  } finally {
    await app.cleanup();
    remove();
  }
});

test('a large grant lets calls pass at once; the budget overshoots by at most one call', async () => {
  requireBuilt();
  const peer = await sink();
  const chunk = 1000;
  const app = await startApp(bin('io'), ['tcp', '127.0.0.1', String(peer.port), String(20 * chunk), '0', String(chunk)], { free: false });
  const s = app.session;
  try {
    await s.setLimitMode('netUp', 'credit');
    await s.grant('netUp', 5500);
    await s.free();
    await waitFor('demand after the budget', () => app.demands.length >= 1);
    await sleep(200);
    const sent = peer.received();
    assert.ok(sent >= 5500 && sent <= 5500 + chunk, `sent ${sent}`);
    // the usage says the overshoot: the engine's mirror of the credit takes it from here
    const u = await app.usage();
    assert.deepEqual([u.granted.netUp, u.credit.netUp], [5500, 5500 - sent]);
    await s.setLimitMode('netUp', 'unlimited');
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  } finally {
    await app.cleanup();
    peer.close();
  }
});
