// Creation, tracing of the whole tree, exit status, and the hello handshake.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CatcherServer, helperArgs } from '../../electron/engine/catcher/index.js';
import { bin, cleanupAll, HELPER, requireBuilt, SANITIZED_HELPER, sleep, startApp, tmpDir, waitFor } from './harness.js';

after(cleanupAll);

test('hello reports version, pids and probed kernel features', async () => {
  requireBuilt();
  const app = await startApp(bin('io'), ['noop']);
  try {
    const h = app.session.hello;
    assert.equal(h.version, 1);
    assert.equal(h.helperPid, app.helper.pid);
    assert.ok(h.appPid > 0 && h.appPid !== h.helperPid);
    assert.equal(h.features.seccomp, true);
    assert.equal(h.features.ptraceSeize, true);
    assert.equal(typeof h.features.userNotif, 'boolean');
    assert.equal(h.features.pidfd, true);
    assert.ok(h.ncpu >= 1);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  } finally {
    await app.cleanup();
  }
});

/** The nice value of a task (/proc/<pid>/task/<tid>/stat, field 19). */
function niceOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test("the helper's threads run at nice -5 (as root: each trapped call waits for one of them); the app keeps its own", async () => {
  requireBuilt();
  assert.equal(process.getuid?.(), 0, 'these tests run as root, as CI does');
  const app = await startApp('/bin/sleep', ['1']);
  try {
    const { helperPid, appPid } = app.session.hello;
    const tids = readdirSync(`/proc/${helperPid}/task`).map(Number);
    assert.ok(tids.length >= 2, `helper threads: ${tids}`);
    const nice = tids.map((t) => niceOf(helperPid, t));
    // (a ThreadSanitizer build has a thread of its own, started before main: one other at most)
    const atMinus5 = nice.filter((n) => n === -5).length;
    assert.ok(niceOf(helperPid, helperPid) === -5 && atMinus5 >= nice.length - (SANITIZED_HELPER ? 1 : 0), `nice values ${nice}`);
    assert.equal(niceOf(appPid, appPid), niceOf(process.pid, process.pid), 'the app runs at the nice value it was launched with');
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  } finally {
    await app.cleanup();
  }
});

test('the app stays stopped until the first cpu command, then runs and its exit status propagates', async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'out');
  const app = await startApp(bin('io'), ['fwrite', file, '1000', '1000'], { free: false });
  try {
    await sleep(300);
    assert.equal(existsSync(file), false, 'the app ran before the engine released it');
    assert.equal(app.session.lastUsage?.cpuState ?? 'stopped', 'stopped');
    await app.session.free();
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.equal(statSync(file).size, 1000);
    assert.equal(app.session.lastUsage?.diskWrite, 1000);
    assert.equal((await app.helperExited).code, 0);
  } finally {
    await app.cleanup();
    remove();
  }
});

test('--release-at-once: the app runs with no command from the engine; its held session loses no message', async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'out');
  const server = await CatcherServer.listen();
  try {
    // (as `interceptor run -- CMD` launches an app with no cap while its engine loads)
    const { token, session } = server.expect({ held: true });
    const argv = helperArgs({ controlPath: server.path, untrappedUntilCapped: true, releaseAtOnce: true }, bin('io'), ['fwrite', file, '1000', '1000']);
    const helper = spawn(HELPER, argv, { env: { ...process.env, INTERCEPTOR_HELPER_TOKEN: token }, stdio: 'ignore' });
    const helperExit = new Promise<number | null>((resolve) => helper.once('exit', (code) => resolve(code)));
    const s = await session;
    assert.equal(await helperExit, 0);
    assert.equal(statSync(file).size, 1000, 'the app ran, nobody having said a word to its helper');
    await sleep(50); // (the connection's end has reached the server)
    assert.equal(s.closed, false, 'the close waits for the messages before it');
    const seen: string[] = [];
    s.on('tree', (t) => seen.push(`tree ${t.event}`));
    s.on('exit', (e) => seen.push(`exit ${e.code}`));
    s.on('close', () => seen.push('close'));
    s.deliver();
    await waitFor('the session closed', () => s.closed);
    assert.equal(seen[0], 'tree spawn', seen.join(', '));
    assert.deepEqual(seen.slice(-2), ['exit 0', 'close']);
    assert.ok((s.lastUsage?.diskWrite ?? 0) >= 1000, 'its usage came too (untrapped: by the page)');
  } finally {
    await server.close();
    remove();
  }
});

test('exit code and killing signal of the app are reported and become the helper status', async () => {
  requireBuilt();
  const a = await startApp('/bin/sh', ['-c', 'exit 7']);
  try {
    assert.deepEqual(await a.exited, { code: 7, signal: null });
    assert.equal((await a.helperExited).code, 7);
  } finally {
    await a.cleanup();
  }
  const b = await startApp('/bin/sh', ['-c', 'kill -USR1 $$']);
  try {
    assert.deepEqual(await b.exited, { code: null, signal: 'SIGUSR1' });
    assert.equal((await b.helperExited).code, 128 + 10);
  } finally {
    await b.cleanup();
  }
});

test('the token never reaches the app and the helper never writes to its terminal', async () => {
  requireBuilt();
  const app = await startApp('/bin/sh', ['-c', 'echo "token=${INTERCEPTOR_HELPER_TOKEN:-none}"']);
  try {
    await app.exited;
    await app.helperExited;
    assert.equal(await app.output(), 'token=none\n');
    assert.equal(app.stderr(), '');
  } finally {
    await app.cleanup();
  }
});

test('fork, exec and exit of descendants are reported as tree events', async () => {
  requireBuilt();
  const app = await startApp('/bin/sh', ['-c', `${bin('io')} noop; ${bin('io')} noop & wait`]);
  try {
    await app.exited;
    const spawns = app.tree.filter((t) => t.event === 'spawn');
    const execs = app.tree.filter((t) => t.event === 'exec' && t.comm === 'io');
    const exits = app.tree.filter((t) => t.event === 'exit');
    assert.equal(spawns.length, 3, JSON.stringify(app.tree)); // sh + 2 children
    assert.equal(execs.length, 2);
    assert.equal(exits.length, 3);
    assert.equal(spawns[0]!.pid, app.appPid);
    for (const e of execs) assert.equal(app.tree.find((t) => t.event === 'spawn' && t.pid === e.pid)?.ppid, app.appPid);
    assert.equal(app.session.lastUsage?.processes, 0);
  } finally {
    await app.cleanup();
  }
});

test('a process that forks rapidly stays fully traced (every descendant and thread is charged)', async () => {
  requireBuilt();
  const { dir, remove } = tmpDir();
  const file = path.join(dir, 'forks');
  const n = 400;
  const app = await startApp(bin('forker'), [file, String(n)]);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    const expected = 100 * (n + n / 4); // every child, plus a grandchild of every 4th
    assert.equal(statSync(file).size, expected);
    assert.equal(app.session.lastUsage?.diskWrite, expected, 'some descendant escaped interception');
    assert.equal(app.tree.filter((t) => t.event === 'spawn').length, 1 + n + n / 4);
    assert.equal(app.tree.filter((t) => t.event === 'exit').length, 1 + n + n / 4);
  } finally {
    await app.cleanup();
    remove();
  }
});

test('setup errors: bad arguments, missing token, unreachable engine fail on stderr with non-zero status', () => {
  requireBuilt();
  const noTok = spawnSync(HELPER, ['--control', '/nonexistent/x.sock', '--', '/bin/true'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  assert.notEqual(noTok.status, 0);
  assert.match(noTok.stderr, /INTERCEPTOR_HELPER_TOKEN/);
  const noSock = spawnSync(HELPER, ['--control', '/nonexistent/x.sock', '--', '/bin/true'], {
    env: { PATH: process.env.PATH, INTERCEPTOR_HELPER_TOKEN: 'abc' },
    encoding: 'utf8',
  });
  assert.notEqual(noSock.status, 0);
  assert.match(noSock.stderr, /cannot connect/);
  const noCmd = spawnSync(HELPER, ['--control', '/x'], { env: { INTERCEPTOR_HELPER_TOKEN: 'abc' }, encoding: 'utf8' });
  assert.notEqual(noCmd.status, 0);
  assert.match(noCmd.stderr, /usage/);
});

test('a command that cannot be executed exits 127 and is reported', async () => {
  requireBuilt();
  const app = await startApp('/nonexistent/program', []);
  try {
    assert.deepEqual(await app.exited, { code: 127, signal: null });
    await waitFor('helper exit', () => app.helper.exitCode !== null);
    assert.equal(app.helper.exitCode, 127);
  } finally {
    await app.cleanup();
  }
});

test('--rt: the helper and the app get the paper\'s SCHED_RR priorities when permitted, and say so', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['1'], { rt: true, free: false });
  try {
    const policy = (pid: number) => {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return { prio: Number(f[37]), policy: Number(f[38]) }; // rt_priority, policy
    };
    if (app.session.hello.features.rt) {
      assert.deepEqual(policy(app.helper.pid!), { prio: 2, policy: 2 }); // SCHED_RR
      assert.deepEqual(policy(app.appPid), { prio: 1, policy: 2 });
    } else {
      assert.equal(policy(app.appPid).policy, 0);
    }
  } finally {
    await app.cleanup();
  }
});

// Where the kernel forces speculation mitigations on seccomp tasks (spec_store_bypass_disable and
// spectre_v2_user = seccomp, the default before Linux 5.16) an app under a plain filter runs with
// SSBD and an IBPB on every switch; SECCOMP_FILTER_FLAG_SPEC_ALLOW keeps the app's own settings.
// (On a kernel with the prctl default, like this CI's, both columns read the same either way.)
test('the app keeps its native speculation controls (the filter is a meter, not a sandbox)', async () => {
  requireBuilt();
  const script = 'grep -E "^Speculation|^Seccomp:" /proc/self/status';
  const native = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).stdout;
  const app = await startApp('/bin/sh', ['-c', script]);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    const traced = await app.output();
    const speculation = (s: string) => s.split('\n').filter((l) => l.startsWith('Speculation')).join('\n');
    assert.match(traced, /^Seccomp:\s+2$/m, 'the app runs under the filter');
    assert.ok(speculation(native).length > 0, native);
    assert.equal(speculation(traced), speculation(native));
  } finally {
    await app.cleanup();
  }
});
