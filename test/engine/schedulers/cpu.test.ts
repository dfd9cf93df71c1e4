// CPU scheduler decision logic against fake helpers on a virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuScheduler } from '../../../electron/engine/schedulers/cpu.js';
import { createPolicy } from '../../../electron/engine/policies/index.js';
import { FakeSession, VirtualClock } from './fakes.js';

function setup(ncpu = 2, policy: 'pns' | 'stride' = 'pns') {
  const clock = new VirtualClock();
  const cpu = new CpuScheduler({ clock, ncpu, sliceMs: 20, policy: createPolicy(policy, { epoch: 20, tieBreak: 'leastUsed' }) });
  const sessions: FakeSession[] = [];
  const add = (id: string, share: number, cores = 1) => {
    const s = new FakeSession(clock, ncpu, id);
    s.cores = cores;
    sessions.push(s);
    cpu.addApp(id, s, share);
    return s;
  };
  const done = () => {
    cpu.dispose();
    for (const s of sessions) s.close();
  };
  return { clock, cpu, add, done };
}

/** Fraction of the machine used by a session over the last `ms`. */
async function measure(clock: VirtualClock, sessions: FakeSession[], ms: number, ncpu = 2): Promise<number[]> {
  const before = sessions.map((s) => s.cpuNs);
  await clock.advance(ms);
  return sessions.map((s, i) => (s.cpuNs - before[i]!) / 1e6 / (ms * ncpu));
}

for (const policy of ['pns', 'stride'] as const) {
  test(`${policy}: shares 0.2 and 0.1 under a cap of 0.3 on 2 cores (single-threaded apps)`, async () => {
    const { clock, cpu, add, done } = setup(2, policy);
    cpu.setCap(0.3);
    const a = add('a', 0.2);
    const b = add('b', 0.1);
    await clock.advance(1000); // warm-up
    const [ra, rb] = await measure(clock, [a, b], 10_000);
    assert.ok(Math.abs(ra! - 0.2) < 0.005, `a got ${ra}`);
    assert.ok(Math.abs(rb! - 0.1) < 0.005, `b got ${rb}`);
    done();
  });
}

test('multi-threaded apps are charged measured CPU: 0.6/0.3 of the machine under 0.9 with 2-core apps', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.9);
  const a = add('a', 0.6, 2);
  const b = add('b', 0.3, 2);
  await clock.advance(1000);
  const [ra, rb] = await measure(clock, [a, b], 10_000);
  assert.ok(Math.abs(ra! - 0.6) < 0.01, `a got ${ra}`);
  assert.ok(Math.abs(rb! - 0.3) < 0.01, `b got ${rb}`);
  const st = cpu.stats();
  assert.ok(st.tokensMs <= st.bucketMs);
  done();
});

test('C2: total never exceeds the cap (+ one bucket) at any time, many apps', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.25);
  const apps = Array.from({ length: 7 }, (_, i) => add(`p${i}`, 0.25 / 7, i % 2 ? 2 : 1));
  for (let t = 1; t <= 50; t++) {
    await clock.advance(200);
    const total = apps.reduce((s, x) => s + x.cpuNs, 0) / 1e6;
    assert.ok(total <= 0.25 * 2 * clock.now() + cpu.stats().bucketMs + 2 * 20 * 2, `at ${clock.now()}: ${total} CPU-ms`);
  }
  const used = apps.map((x) => x.cpuNs / 1e6 / (clock.now() * 2));
  const sum = used.reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(sum - 0.25) < 0.005, `total ${sum}`);
  for (const u of used) assert.ok(Math.abs(u - 0.25 / 7) < 0.004, `each ${u}`);
  done();
});

test('work conservation: an app that cannot use its share leaves the rest to the others', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.9);
  const a = add('a', 0.8, 1); // single-threaded: at most 0.5 of a 2-core machine
  const b = add('b', 0.1, 1);
  await clock.advance(1000);
  const [ra, rb] = await measure(clock, [a, b], 10_000);
  assert.ok(ra! > 0.45, `a got ${ra}`);
  assert.ok(ra! + rb! > 0.85 && ra! + rb! < 0.91, `total ${ra! + rb!}`);
  done();
});

test('I/O-bound app: detected as blocked, charged what it used, the CPU-bound app gets the budget', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.3);
  const a = add('a', 0.15, 1);
  const io = add('io', 0.15, 0.02);
  await clock.advance(1000);
  const [ra, rio] = await measure(clock, [a, io], 10_000);
  assert.ok(rio! < 0.01, `io used ${rio}`);
  assert.ok(Math.abs(ra! - 0.29) < 0.015, `a got ${ra}`);
  const st = cpu.appStatus('io')!;
  assert.ok(st.done !== null && st.done < cpu.appStatus('a')!.done!, 'the I/O-bound app keeps a lower Done (it can catch up)');
  done();
});

test('a wake that reaches the engine with the end of its slice is not lost (the app is not left blocked for idleRetryMs)', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.5);
  const runs = (s: FakeSession) => s.log.filter((l) => l.startsWith('run')).length;
  const woken = add('woken', 0.2, 0.05);
  woken.runnable = 0; // asleep when each slice ends...
  woken.wakesAtSliceEnd = true; // ...and awake again at once
  const quiet = add('quiet', 0.2, 0.05);
  quiet.runnable = 0; // asleep, and no wake: offered the CPU again after idleRetryMs (1000)
  await clock.advance(2500);
  assert.ok(runs(quiet) <= 3, `quiet ran ${runs(quiet)} slices`);
  assert.ok(runs(woken) >= 50, `woken ran ${runs(woken)} slices in 2.5 s (a lost wake leaves it blocked 1 s each time)`);
  done();
});

test('cap change mid-run takes effect; cap null frees every app; cap again stops and slices them', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.2);
  const a = add('a', 0.1);
  const b = add('b', 0.1);
  await clock.advance(500);
  let [ra, rb] = await measure(clock, [a, b], 5000);
  assert.ok(Math.abs(ra! + rb! - 0.2) < 0.005, `total ${ra! + rb!}`);
  cpu.setCap(0.6);
  await clock.advance(100);
  [ra, rb] = await measure(clock, [a, b], 5000);
  assert.ok(Math.abs(ra! + rb! - 0.6) < 0.01, `total after raise ${ra! + rb!}`);
  assert.ok(Math.abs(ra! - rb!) < 0.01);
  cpu.setCap(null);
  await clock.advance(50);
  assert.equal(a.cpuState, 'free');
  assert.equal(b.cpuState, 'free');
  const runsBefore = a.log.filter((l) => l.startsWith('run')).length;
  [ra, rb] = await measure(clock, [a, b], 1000);
  assert.equal(a.log.filter((l) => l.startsWith('run')).length, runsBefore, 'no slices without a cap');
  assert.ok(ra! > 0.49 && rb! > 0.49, 'free apps run unthrottled');
  cpu.setCap(0.1);
  assert.equal(a.log.at(-2) === 'stop' || a.log.at(-1) === 'stop' || a.log.includes('stop'), true);
  await clock.advance(200);
  [ra, rb] = await measure(clock, [a, b], 5000);
  assert.ok(Math.abs(ra! + rb! - 0.1) < 0.005, `total after lowering ${ra! + rb!}`);
  done();
});

test('pause: a paused app is stopped and never dispatched; removing an app frees it', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.5);
  const a = add('a', 0.25);
  const b = add('b', 0.25);
  await clock.advance(200);
  cpu.setPaused('a', true);
  await clock.advance(50);
  const before = a.cpuNs;
  const runs = a.log.filter((l) => l.startsWith('run')).length;
  await clock.advance(2000);
  assert.equal(a.cpuNs, before);
  assert.equal(a.log.filter((l) => l.startsWith('run')).length, runs);
  assert.equal(a.cpuState, 'stopped');
  assert.ok(cpu.appStatus('a')!.paused);
  // b gets the whole budget meanwhile (work conservation within the cap).
  const [rb] = await measure(clock, [b], 2000);
  assert.ok(Math.abs(rb! - 0.5) < 0.01, `b ${rb}`);
  cpu.setCap(null);
  await clock.advance(10);
  assert.equal(a.cpuState, 'stopped', 'paused stays stopped without a cap');
  assert.equal(b.cpuState, 'free');
  cpu.setCap(0.5);
  cpu.setPaused('a', false);
  await clock.advance(1000);
  assert.ok(a.cpuNs > before);
  cpu.removeApp('a');
  await clock.advance(100);
  assert.equal(a.log.at(-1), 'free', 'a removed app is left running free');
  assert.equal(cpu.appStatus('a'), null);
  done();
});

test('an app that exits is dropped without disturbing the others; limitHit is reported', async () => {
  const { clock, cpu, add, done } = setup(2);
  const hits: string[] = [];
  cpu.on('limitHit', (id, r) => hits.push(`${id}:${r}`));
  cpu.setCap(0.2);
  const a = add('a', 0.1);
  const b = add('b', 0.1);
  await clock.advance(500);
  a.exit();
  await clock.advance(50);
  const runs = a.log.filter((l) => l.startsWith('run')).length;
  const [rb] = await measure(clock, [b], 3000);
  assert.equal(a.log.filter((l) => l.startsWith('run')).length, runs);
  assert.ok(Math.abs(rb! - 0.2) < 0.01);
  assert.ok(hits.includes('b:cpu'));
  done();
});

test('dispose frees every app that is not paused', async () => {
  const { clock, cpu, add } = setup(2);
  cpu.setCap(0.3);
  const a = add('a', 0.1);
  const b = add('b', 0.1);
  cpu.setPaused('b', true);
  await clock.advance(300);
  cpu.dispose();
  await clock.advance(10);
  assert.equal(a.cpuState, 'free');
  assert.equal(b.cpuState, 'stopped');
  a.close();
  b.close();
});

test('options are validated', () => {
  const clock = new VirtualClock();
  const cpu = new CpuScheduler({ clock, ncpu: 2 });
  assert.throws(() => cpu.setCap(1.5));
  assert.throws(() => cpu.setCap(-0.1));
  assert.throws(() => new CpuScheduler({ clock, ncpu: 2, sliceMs: 0 }));
  cpu.dispose();
});

test('catch-up on real dispatch (Fig. 4 at the scheduler level): an app that was I/O-bound gets the budget first when it turns CPU-bound', async () => {
  const { clock, cpu, add, done } = setup(2);
  cpu.setCap(0.3);
  const a = add('a', 0.15, 1);
  const b = add('b', 0.15, 0.02); // blocked on I/O most of the time
  await clock.advance(5000);
  const doneA = cpu.appStatus('a')!.done!;
  const doneB = cpu.appStatus('b')!.done!;
  assert.ok(doneA > doneB + 5, `a ahead: ${doneA} vs ${doneB}`);
  b.cores = 1; // turns CPU-bound
  const [ra, rb] = await measure(clock, [a, b], 1500);
  assert.ok(rb! > 0.25 && ra! < 0.05, `b catches up alone: a ${ra} b ${rb}`);
  // Once level, they share again.
  await clock.advance(5000);
  const [ra2, rb2] = await measure(clock, [a, b], 3000);
  assert.ok(Math.abs(ra2! - 0.15) < 0.01 && Math.abs(rb2! - 0.15) < 0.01, `level again: a ${ra2} b ${rb2}`);
  done();
});

test('bounded catch-up at the scheduler level (catchUpEpochs = 1)', async () => {
  const clock = new VirtualClock();
  const cpu = new CpuScheduler({ clock, ncpu: 2, policy: createPolicy('pns', { epoch: 20, tieBreak: 'leastUsed', catchUpEpochs: 1 }) });
  const a = new FakeSession(clock, 2, 'a');
  const b = new FakeSession(clock, 2, 'b');
  cpu.setCap(0.3);
  cpu.addApp('a', a, 0.15);
  cpu.addApp('b', b, 0.15);
  b.cores = 0.02;
  await clock.advance(5000);
  b.cores = 1;
  // Unbounded, b would run alone for ~14 epochs (≈ 4.7 s); bounded, it catches up at most
  // about two epoch quotas (≈ 0.7 s) and then they share.
  const [ra, rb] = await measure(clock, [a, b], 3000);
  assert.ok(ra! > 0.09 && rb! < 0.21, `a keeps most of its share: a ${ra} b ${rb}`);
  cpu.dispose();
  a.close();
  b.close();
});
