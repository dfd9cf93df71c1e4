// CPU dispatch: stop/continue of every thread verified by the tree's CPU time
// (kernel clocks, not wall time), run-slices ended by the helper's timer,
// job-control stops sent by others, and CPU of reaped children.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { bin, cleanupAll, procState, requireBuilt, sleep, sliceUntilExit, startApp, waitFor } from './harness.js';

after(cleanupAll);

const MS = 1e6;
const threadStates = (pid: number): string[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => procState(Number(tid)) ?? '-');

test('stop and run-slices of a 4-thread process, verified by its CPU time', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['4']);
  const s = app.session;
  try {
    await waitFor('4 threads', () => s.lastUsage?.threads === 4);
    const before = (await app.usage()).cpuNs;
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - before > 50 * MS, 'free spinner did not get CPU');

    await s.stop();
    assert.ok(threadStates(app.appPid).every((st) => st === 't'), `threads not all stopped: ${threadStates(app.appPid)}`);
    const c1 = await app.usage();
    assert.equal(c1.cpuState, 'stopped');
    await sleep(500);
    const c2 = await app.usage();
    assert.ok(c2.cpuNs - c1.cpuNs < 1 * MS, `stopped tree consumed ${(c2.cpuNs - c1.cpuNs) / MS} ms`);

    const r = await s.runSlice(200);
    assert.equal(r.ended, 'timer');
    assert.ok(r.wallNs >= 200 * MS, `slice wall ${r.wallNs / MS} ms`);
    assert.ok(r.cpuNs > 20 * MS, `slice gave only ${r.cpuNs / MS} ms of CPU`);
    assert.ok(r.cpuNs <= r.wallNs * s.hello.ncpu * 1.02 + 2 * MS, `slice CPU ${r.cpuNs / MS} ms exceeds wall x cores`);
    const c3 = await app.usage();
    assert.ok(Math.abs(c3.cpuNs - c2.cpuNs - r.cpuNs) < 1 * MS, 'slice CPU does not match the tree clock');
    await sleep(300);
    const c4 = await app.usage();
    assert.ok(c4.cpuNs - c3.cpuNs < 1 * MS, 'the tree ran after its slice ended');

    // a stop ends a running slice early
    const long = s.runSlice(10000);
    await sleep(200);
    await s.stop();
    const r2 = await long;
    assert.equal(r2.ended, 'stop');
    assert.ok(r2.wallNs < 5000 * MS);
    const c5 = await app.usage();
    await sleep(200);
    assert.ok((await app.usage()).cpuNs - c5.cpuNs < 1 * MS);

    await s.free();
    await sleep(200);
    assert.ok((await app.usage()).cpuNs - c5.cpuNs > 20 * MS, 'free did not resume the tree');
  } finally {
    await app.cleanup();
  }
});

test('job-control stops sent by others are honoured and never confused with the helper own stops', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['3']);
  const s = app.session;
  try {
    await waitFor('3 threads', () => s.lastUsage?.threads === 3);
    process.kill(app.appPid, 'SIGSTOP');
    await waitFor('group stop', () => threadStates(app.appPid).every((st) => st === 't' || st === 'T'));
    const a = await app.usage();
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - a.cpuNs < 2 * MS, 'SIGSTOP from outside was not honoured');

    // the engine stops the tree; a SIGCONT from outside must not let it run
    await s.stop();
    process.kill(app.appPid, 'SIGCONT');
    const b = await app.usage();
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - b.cpuNs < 2 * MS, 'SIGCONT from outside overrode the engine stop');

    // released by the engine: it runs again (the SIGCONT has ended the job stop)
    await s.free();
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - b.cpuNs > 30 * MS, 'tree did not run after free');

    // SIGSTOP again then SIGCONT while free: stops and resumes
    process.kill(app.appPid, 'SIGSTOP');
    await waitFor('group stop 2', () => threadStates(app.appPid).every((st) => st === 't' || st === 'T'));
    const c = await app.usage();
    await sleep(200);
    assert.ok((await app.usage()).cpuNs - c.cpuNs < 2 * MS);
    process.kill(app.appPid, 'SIGCONT');
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - c.cpuNs > 30 * MS, 'SIGCONT did not resume a free tree');
    assert.ok(app.logs.some((l) => l.includes('job-control stop')), app.logs.join('\n'));
  } finally {
    await app.cleanup();
  }
});

test('tree CPU time includes reaped children, precisely', async () => {
  requireBuilt();
  const io = bin('io');
  const app = await startApp('/bin/sh', ['-c', `${io} burn 150; ${io} burn 150 & ${io} burn 150; wait`]);
  try {
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    const cpu = app.session.lastUsage!.cpuNs;
    assert.ok(cpu >= 450 * MS, `tree CPU ${cpu / MS} ms < 450 ms burnt by children`);
    assert.ok(cpu < 450 * MS + 150 * MS, `tree CPU ${cpu / MS} ms far above what was burnt`);
  } finally {
    await app.cleanup();
  }
});

test('threads created while the tree is stopped are stopped too; slices cover them', async () => {
  requireBuilt();
  // the spinner creates its threads right after start: release it for a tiny slice
  const app = await startApp(bin('spinner'), ['4'], { free: false });
  const s = app.session;
  try {
    let threads = 0;
    for (let i = 0; i < 50 && threads < 4; i++) {
      await s.runSlice(5);
      threads = (await app.usage()).threads;
    }
    assert.equal(threads, 4);
    const a = await app.usage();
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - a.cpuNs < 1 * MS, 'a thread escaped the stop');
    const r = await s.runSlice(100);
    assert.ok(r.cpuNs > 10 * MS);
  } finally {
    await app.cleanup();
  }
});

test('a process whose main thread has exited (zombie leader) is stopped and sliced promptly', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['2', 'leader-exits']);
  const s = app.session;
  try {
    await waitFor('leader gone', () => procState(app.appPid) === 'Z');
    const t0 = Date.now();
    await s.stop();
    assert.ok(Date.now() - t0 < 900, 'stop waited for the zombie leader');
    const a = await app.usage();
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - a.cpuNs < 1 * MS, 'the tree ran while stopped');
    const r = await s.runSlice(100);
    assert.equal(r.ended, 'timer');
    assert.ok(r.wallNs < 900 * MS, `slice took ${r.wallNs / MS} ms of wall time`);
    assert.ok(r.cpuNs > 10 * MS);
  } finally {
    await app.cleanup();
  }
});

test('an exec from a non-leader thread keeps the process traced and stoppable', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['1', 'thread-exec', bin('spinner'), '2']);
  const s = app.session;
  try {
    await waitFor('exec', () => app.tree.some((t) => t.event === 'exec' && t.pid === app.appPid));
    await waitFor('2 threads after exec', () => s.lastUsage?.threads === 2 && s.lastUsage.processes === 1);
    const t0 = Date.now();
    await s.stop();
    assert.ok(Date.now() - t0 < 900, 'stop waited for a vanished thread');
    const a = await app.usage();
    await sleep(300);
    assert.ok((await app.usage()).cpuNs - a.cpuNs < 1 * MS, 'the tree ran while stopped');
    const r = await s.runSlice(100);
    assert.ok(r.cpuNs > 10 * MS && r.wallNs < 900 * MS);
  } finally {
    await app.cleanup();
  }
});

test('threads that come and go under stops leave no /proc file open in the helper (each stop keeps one per thread)', { timeout: 60_000 }, async () => {
  requireBuilt();
  // 150 rounds of two threads alive 20 ms each: every one is stopped (or watched) several times
  const churn = `import threading, time, sys
for _ in range(150):
    ts = [threading.Thread(target=time.sleep, args=(0.02,)) for _ in range(2)]
    for t in ts: t.start()
    for t in ts: t.join()
print('churned', flush=True)
sys.stdin.read()`;
  const app = await startApp('python3', ['-c', churn], { free: false, stdin: 'pipe' });
  const helperFds = () => readdirSync(`/proc/${app.helper.pid}/fd`).length;
  try {
    await app.session.runSlice(5);
    const before = helperFds();
    for (let i = 0; i < 3000 && !app.stdout().includes('churned'); i++) await app.session.runSlice(5);
    assert.ok(app.stdout().includes('churned'), 'the churn did not end under 5-ms slices');
    await app.session.runSlice(5);
    const after = helperFds();
    // (its main thread's two kept files, and a few of the app's: 300 threads leaking would be 300 and more)
    assert.ok(after - before <= 6, `the helper has ${after - before} more fds open after 300 threads came and went`);
  } finally {
    app.helper.stdin?.end();
    await app.cleanup();
  }
});

test('slices end without a usage report (the report keeps its period); a stop the engine asks for sends one', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['2'], { free: false, usagePeriodMs: 60_000 });
  const s = app.session;
  try {
    let reports = 0;
    s.on('usage', () => reports++);
    for (let i = 0; i < 20; i++) assert.ok((await s.runSlice(5)).cpuNs > 0);
    assert.equal(reports, 0, 'a usage report at a slice end');
    const r = s.runSlice(1000);
    await sleep(50);
    await s.stop();
    assert.equal((await r).ended, 'stop');
    await waitFor('the stop\'s report', () => reports === 1);
    assert.equal(s.lastUsage!.cpuState, 'stopped');
  } finally {
    await app.cleanup();
  }
});

test('vfork parents (posix_spawn) never delay a stop; slices stay on time', async () => {
  requireBuilt();
  const app = await startApp(bin('io'), ['spawnloop', '200'], { free: false });
  try {
    const { slices, worstNs, done } = await sliceUntilExit(app, 3, 2000);
    assert.ok(done || slices === 2000);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.ok(worstNs < 500 * MS, `a stop waited ${worstNs / MS} ms for a vfork parent; ${app.logs.join(' | ')}`);
    assert.equal(app.tree.filter((t) => t.event === 'exec').length, 200);
  } finally {
    await app.cleanup();
  }
});

/** Scheduling policy of every thread of pid (stat field 41: 0 SCHED_OTHER, 2 SCHED_RR). */
const policies = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => {
    const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[38]);
  });

test('dual priority (--rt): SCHED_RR only while dispatched in slices; a free tree is SCHED_OTHER and never starves the owner', async () => {
  requireBuilt();
  const app = await startApp(bin('spinner'), ['3'], { rt: true, free: false });
  const s = app.session;
  try {
    assert.ok(s.hello.features.rt, 'these tests run as root: SCHED_RR is permitted');
    await s.runSlice(20);
    await waitFor('3 threads', () => s.lastUsage?.threads === 3);
    await s.runSlice(20);
    assert.deepEqual(policies(app.appPid), [2, 2, 2], 'dispatched threads are SCHED_RR');
    await s.free();
    assert.deepEqual(policies(app.appPid), [0, 0, 0], 'a free tree runs as the owner\'s processes do');
    await s.runSlice(20);
    assert.deepEqual(policies(app.appPid), [2, 2, 2]);
  } finally {
    await app.cleanup();
  }
});
