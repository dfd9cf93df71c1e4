// The seccomp user-notification path of the read/write family: features in
// hello, calls held in a notification (the thread waits in the kernel, not in
// a ptrace stop) and released exactly on grant, credit reservations settled
// against what really moved, a held notification interrupted by CPU stops and
// job control, and credit-mode exactness on both paths.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bin, cleanupAll, dropCache, HELPER, procState, requireBuilt, sleep, startAfterStdin, startApp, storedBytes, tmpDir, waitFor } from './harness.js';
import type { App } from './harness.js';

after(cleanupAll);

const CHUNK = 65536;
const SYS_READ = 0;
const SYS_WRITE = 1;

/** Kernel >= 6.6 has SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP. */
const kernelHasSyncWake = (): boolean => {
  const [maj, min] = os.release().split('.').map(Number);
  return maj! > 6 || (maj === 6 && min! >= 6);
};

/** The helper's raw hello line (HelperSession keeps only the fields it knows). */
async function rawHello(env: Record<string, string>, detached = false): Promise<Record<string, unknown>> {
  const { dir, remove } = tmpDir();
  const sock = path.join(dir, 'ctl.sock');
  let conn: net.Socket | undefined;
  const server = net.createServer((c) => (conn = c));
  await new Promise<void>((r) => server.listen(sock, r));
  const helper = spawn(HELPER, ['--control', sock, '--', bin('io'), 'noop'], {
    env: { ...process.env, ...env, INTERCEPTOR_HELPER_TOKEN: 'notif-test' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached,
  });
  let stderr = '';
  helper.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitFor(`connection (helper stderr: ${stderr})`, () => conn ?? (helper.exitCode !== null ? assert.fail(`helper exited ${helper.exitCode}: ${stderr}`) : undefined));
    let buf = '';
    conn!.on('data', (d: Buffer) => (buf += d.toString()));
    await waitFor('hello', () => buf.includes('\n'));
    return JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Record<string, unknown>;
  } finally {
    helper.kill('SIGKILL');
    conn?.destroy();
    server.close();
    remove();
  }
}

/** Number of the system call the task is blocked in, or null when it runs / is gone. */
function blockedIn(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/syscall`, 'utf8').trim();
    const n = Number(s.split(' ')[0]);
    return Number.isInteger(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

/** Waits for the program's first demand, which must be one of `want` disk bytes; returns how many demands there are. */
async function firstDemand(app: App, want: number): Promise<number> {
  await waitFor('demand', () => app.demands.length > 0);
  assert.deepEqual(app.demands[0], { resource: 'disk', bytes: want });
  return app.demands.length;
}

test('hello reports the notification path and its sync wake-up; INTERCEPTOR_HELPER_NO_UNOTIF=1 turns it off', async () => {
  requireBuilt();
  const on = (await rawHello({})).features as Record<string, boolean>;
  assert.equal(typeof on.userNotif, 'boolean');
  assert.equal(on.notifPath, on.userNotif, JSON.stringify(on));
  assert.equal(typeof on.notifSyncWake, 'boolean');
  if (on.notifPath && kernelHasSyncWake()) assert.equal(on.notifSyncWake, true);
  const off = (await rawHello({ INTERCEPTOR_HELPER_NO_UNOTIF: '1' })).features as Record<string, boolean>;
  assert.equal(off.notifPath, false);
  assert.equal(off.notifSyncWake, false);
  const offW = (await rawHello({ INTERCEPTOR_HELPER_NO_WINDOWS: '1' })).features as Record<string, boolean>;
  assert.equal(offW.notifPath, false);
});

test('every interception path starts in an orphaned process group (a detached session, as under a CI shell)', async () => {
  // The kernel discards terminal stop signals (SIGTSTP) there: the child must stop for seizing with SIGSTOP.
  requireBuilt();
  const envs: Record<string, string>[] = [{}, { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }, { INTERCEPTOR_HELPER_NO_WINDOWS: '1' }];
  for (const env of envs) {
    const hello = await rawHello(env, true);
    assert.equal(hello.type, 'hello', JSON.stringify(env));
  }
});

test('a write without credit waits in a notification (not a ptrace stop) and is released exactly on each grant', async (t) => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'paced');
  const { app, go } = await startAfterStdin(['fwrite', file, String(3 * CHUNK), String(CHUNK)]);
  const s = app.session;
  try {
    if (!s.hello.features.userNotif) return t.skip('no seccomp user notification on this kernel');
    await s.setLimitMode('disk', 'credit');
    go();
    let seen = await firstDemand(app, CHUNK);
    for (let i = 0; i < 3; i++) {
      await waitFor('held in the write', () => procState(app.appPid) === 'S' && blockedIn(app.appPid) === SYS_WRITE);
      await sleep(100);
      assert.equal(procState(app.appPid), 'S', 'a held notification is a sleep in the kernel');
      assert.equal(statSync(file).size, i * CHUNK);
      const u = await app.usage();
      assert.equal(u.heldDisk, CHUNK);
      assert.equal(u.heldCalls, 1);
      assert.equal(u.diskWrite, i * CHUNK);
      await s.grant('disk', CHUNK);
      await waitFor(`write ${i + 1}`, () => statSync(file).size === (i + 1) * CHUNK);
      if (i < 2) {
        await waitFor('next demand', () => app.demands.length > seen);
        seen = app.demands.length;
        assert.deepEqual(app.demands.at(-1), { resource: 'disk', bytes: CHUNK });
      }
      await sleep(100);
      assert.equal(statSync(file).size, (i + 1) * CHUNK, 'more than the credit was written');
    }
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(s.lastUsage!.diskWrite, 3 * CHUNK);
    assert.equal(s.lastUsage!.heldCalls, 0);
  } finally {
    await app.cleanup();
    remove();
  }
});

test('credit settlement: read(fd, buf, 1 MiB) of a 100-byte file not in the page cache reserves 1 MiB and is charged its page', async (t) => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const src = path.join(dir, 'small');
  writeFileSync(src, Buffer.alloc(100, 1));
  execFileSync('/bin/sh', ['-c', dropCache(src)]); // (read from storage: its one page)
  const MIB = 1 << 20;
  const { app, go } = await startAfterStdin(['fcopy', src, '/dev/null', String(MIB)]);
  const s = app.session;
  try {
    if (!s.hello.features.userNotif) return t.skip('no seccomp user notification on this kernel');
    await s.setLimitMode('disk', 'credit');
    go();
    const seen = await firstDemand(app, MIB);
    const before = await app.usage();
    assert.equal(before.heldDisk, MIB);
    // exactly 1 MiB: the read reserves it all and reads one page from storage; only the
    // refund of the other 1 MiB - 4 KiB lets the second read (EOF) pass
    await s.grant('disk', MIB);
    assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
    assert.equal(app.demands.length, seen, `demands after the grant: ${JSON.stringify(app.demands.slice(seen))}`);
    const u = s.lastUsage!;
    assert.equal(u.diskRead - before.diskRead, 4096);
    assert.equal(u.diskWrite, 0); // /dev/null is not charged
  } finally {
    await app.cleanup();
    remove();
  }
});

test('a held notification interrupted by CPU stops, slices and job control keeps its place and is released exactly once', async (t) => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'held');
  const { app, go } = await startAfterStdin(['fwrite', file, String(CHUNK), String(CHUNK)]);
  const s = app.session;
  try {
    if (!s.hello.features.userNotif) return t.skip('no seccomp user notification on this kernel');
    await s.setLimitMode('disk', 'credit');
    go();
    const seen = await firstDemand(app, CHUNK);
    const held = () => procState(app.appPid) === 'S' && blockedIn(app.appPid) === SYS_WRITE;
    await waitFor('held in the write', held);

    // CPU stop: a thread asleep in its held call is not interrupted (stops are transparent) ...
    await s.stop();
    assert.ok(held(), `a stop took the held thread out of its call (${procState(app.appPid)})`);
    let u = await app.usage();
    assert.equal(u.heldCalls, 1, 'a stopped held call stays held');
    assert.equal(u.heldDisk, CHUNK);
    // ... and stays held through slices
    await s.free();
    await waitFor('held again', held);
    for (let i = 0; i < 3; i++) await s.runSlice(5);
    await s.free();
    await waitFor('held again after slices', held);

    // job control from outside: the thread leaves the notification for a ptrace stop, and its
    // call restarts as a new notification that takes its place
    process.kill(app.appPid, 'SIGSTOP');
    await waitFor('job-stopped', () => procState(app.appPid) === 't' || procState(app.appPid) === 'T');
    u = await app.usage();
    assert.equal(u.heldCalls, 1);
    process.kill(app.appPid, 'SIGCONT');
    await waitFor('held after SIGCONT', held);

    await sleep(100);
    assert.equal(app.demands.length, seen, 'the restarted call was reported again');
    assert.equal(statSync(file).size, 0);
    u = await app.usage();
    assert.equal(u.heldCalls, 1);
    assert.equal(u.diskWrite, 0);

    // a grant while stopped: released when the tree runs again, exactly once
    await s.stop();
    await s.grant('disk', CHUNK);
    await sleep(100);
    assert.equal(statSync(file).size, 0, 'a stopped thread wrote');
    await s.free();
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(statSync(file).size, CHUNK);
    assert.equal(s.lastUsage!.diskWrite, CHUNK);
    assert.equal(s.lastUsage!.heldCalls, 0);
  } finally {
    await app.cleanup();
    remove();
  }
});

// Credit mode with ample credit: every read/write form goes through
// reservations settled by the I/O window (notifications) or by exit stops
// (ptrace fallback); both exact.
for (const [label, env] of [['notifications', {}], ['ptrace fallback', { INTERCEPTOR_HELPER_NO_UNOTIF: '1' }]] as const) {
  test(`credit mode (${label}): every read/write form is charged exactly and unused reservations come back`, async () => {
    requireBuilt();
    const base = await (async () => {
      const a = await startApp(bin('io'), ['noop'], { env });
      try {
        await a.exited;
        return a.session.lastUsage!.diskRead;
      } finally {
        await a.cleanup();
      }
    })();
    const { dir, remove } = tmpDir();
    const app = await startApp(bin('io'), ['file', dir], { free: false, env });
    const s = app.session;
    try {
      await s.setLimitMode('disk', 'credit');
      await s.grant('disk', 200000); // ample: no call is held
      await s.free();
      assert.deepEqual(await app.exited, { code: 0, signal: null }, app.stderr());
      const u = s.lastUsage!;
      assert.equal(u.diskWrite, 16500);
      assert.equal(u.diskRead - base, storedBytes(await app.output())); // (what the kernel read from storage for it)
      assert.equal(app.demands.length, 0, JSON.stringify(app.demands));
    } finally {
      await app.cleanup();
      remove();
    }
  });
}

test('read on the notification path: a thread reading a file in a loop with credit is paced exactly', async (t) => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const src = path.join(dir, 'src');
  writeFileSync(src, Buffer.alloc(4 * CHUNK, 2));
  execFileSync('/bin/sh', ['-c', dropCache(src)]); // (each read from storage: readahead is off in fcopy)
  const { app, go } = await startAfterStdin(['fcopy', src, '/dev/null', String(CHUNK)]);
  const s = app.session;
  try {
    if (!s.hello.features.userNotif) return t.skip('no seccomp user notification on this kernel');
    await s.setLimitMode('disk', 'credit');
    go();
    await firstDemand(app, CHUNK);
    const before = await app.usage();
    for (let i = 1; i <= 4; i++) {
      await waitFor('held in the read', () => blockedIn(app.appPid) === SYS_READ && procState(app.appPid) === 'S');
      await s.grant('disk', CHUNK);
      const end = Date.now() + 5000;
      for (;;) {
        const got = (await app.usage()).diskRead - before.diskRead;
        if (got >= i * CHUNK || Date.now() > end) {
          assert.equal(got, i * CHUNK);
          break;
        }
        await sleep(20);
      }
    }
    // the EOF read asks CHUNK with no credit left: one more grant
    await waitFor('EOF read held', () => blockedIn(app.appPid) === SYS_READ || procState(app.appPid) === null);
    await s.setLimitMode('disk', 'unlimited');
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(s.lastUsage!.diskRead - before.diskRead, 4 * CHUNK);
  } finally {
    await app.cleanup();
    remove();
  }
});

test('the seccomp listener never reaches the app (close-on-exec in the child)', async () => {
  requireBuilt();
  const app = await startApp('/bin/sh', ['-c', 'ls -l /proc/$$/fd/; true']);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    const out = await app.output();
    assert.ok(out.length > 0, 'no output');
    assert.ok(!out.includes('seccomp'), out);
  } finally {
    await app.cleanup();
  }
});
