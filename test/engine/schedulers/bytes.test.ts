// Byte-rate scheduler decision logic (netUp/netDown/disk) against fake helpers on a virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteScheduler } from '../../../electron/engine/schedulers/bytes.js';
import { createPolicy } from '../../../electron/engine/policies/index.js';
import type { CreditResource } from '../../../electron/engine/catcher/session.js';
import { FakeSession, VirtualClock } from './fakes.js';

function setup(resource: CreditResource = 'netUp') {
  const clock = new VirtualClock();
  const sched = new ByteScheduler(resource, { clock });
  const sessions: FakeSession[] = [];
  const add = (id: string, share: number) => {
    const s = new FakeSession(clock, 2, id);
    sessions.push(s);
    sched.addApp(id, s, share);
    return s;
  };
  const done = () => {
    sched.dispose();
    for (const s of sessions) s.close();
  };
  return { clock, sched, add, done };
}

async function rates(clock: VirtualClock, sessions: FakeSession[], r: CreditResource, ms: number): Promise<number[]> {
  const before = sessions.map((s) => s.moved[r]);
  await clock.advance(ms);
  return sessions.map((s, i) => ((s.moved[r] - before[i]!) * 1000) / ms);
}

const MB = 1e6;

for (const r of ['netUp', 'netDown', 'disk'] as const) {
  test(`${r}: one app capped at 1 MB/s stays within 1 % and is paced smoothly (100 ms windows)`, async () => {
    const { clock, sched, add, done } = setup(r);
    sched.setCap(1 * MB);
    const a = add('a', 1 * MB);
    a.startTransfer(r, 16 * 1024, 100_000); // 100 MB/s link
    await clock.advance(500);
    const windows: number[] = [];
    for (let i = 0; i < 100; i++) windows.push((await rates(clock, [a], r, 100))[0]!);
    const mean = windows.reduce((s, x) => s + x, 0) / windows.length;
    const sd = Math.sqrt(windows.reduce((s, x) => s + (x - mean) ** 2, 0) / windows.length);
    assert.ok(Math.abs(mean / MB - 1) < 0.01, `mean ${mean}`);
    assert.ok(sd / mean < 0.1, `stddev/mean ${sd / mean}`);
    assert.equal(a.mode[r], 'credit');
    done();
  });
}

test('two apps with shares 2:1 split the cap 2:1; total within the cap', async () => {
  const { clock, sched, add, done } = setup('netDown');
  sched.setCap(3 * MB);
  const a = add('a', 2 * MB);
  const b = add('b', 1 * MB);
  a.startTransfer('netDown', 16 * 1024, 100_000);
  b.startTransfer('netDown', 16 * 1024, 100_000);
  await clock.advance(500);
  const [ra, rb] = await rates(clock, [a, b], 'netDown', 10_000);
  assert.ok(Math.abs(ra! / (2 * MB) - 1) < 0.02, `a ${ra}`);
  assert.ok(Math.abs(rb! / (1 * MB) - 1) < 0.02, `b ${rb}`);
  assert.ok(ra! + rb! <= 3 * MB * 1.01);
  done();
});

test('an app without demand gets nothing; the one with demand gets the whole cap', async () => {
  const { clock, sched, add, done } = setup();
  sched.setCap(2 * MB);
  const a = add('a', 1 * MB);
  const b = add('b', 1 * MB);
  a.startTransfer('netUp', 8 * 1024, 100_000);
  await clock.advance(500);
  const [ra] = await rates(clock, [a], 'netUp', 5000);
  assert.ok(Math.abs(ra! / (2 * MB) - 1) < 0.02, `a ${ra}`);
  assert.equal(b.log.filter((l) => l.startsWith('grant')).length, 0);
  done();
});

test('a cap change takes effect within one interval; removing the cap releases held calls at once', async () => {
  const { clock, sched, add, done } = setup();
  sched.setCap(1 * MB);
  const a = add('a', 0);
  a.startTransfer('netUp', 16 * 1024, 100_000);
  await clock.advance(1000);
  let [ra] = await rates(clock, [a], 'netUp', 2000);
  assert.ok(Math.abs(ra! / MB - 1) < 0.02, `before ${ra}`);
  sched.setCap(4 * MB);
  [ra] = await rates(clock, [a], 'netUp', 100); // the very next 100 ms
  assert.ok(ra! > 3.5 * MB && ra! < 4.5 * MB, `first 100 ms after raise ${ra}`);
  sched.setCap(0.5 * MB);
  [ra] = await rates(clock, [a], 'netUp', 100);
  assert.ok(ra! < 0.5 * MB * 1.5, `first 100 ms after lowering ${ra}`);
  [ra] = await rates(clock, [a], 'netUp', 2000);
  assert.ok(Math.abs(ra! / (0.5 * MB) - 1) < 0.03, `after lowering ${ra}`);
  assert.ok(a.held.netUp > 0, 'a call is held at the cap');
  sched.setCap(null);
  assert.equal(a.held.netUp, 0, 'held call released at once');
  assert.equal(a.mode.netUp, 'unlimited');
  [ra] = await rates(clock, [a], 'netUp', 1000);
  assert.ok(ra! > 50 * MB, `uncapped ${ra}`);
  done();
});

test('calls bigger than a chunk overshoot but the long-run rate holds (debt is paid)', async () => {
  const { clock, sched, add, done } = setup('disk');
  sched.setCap(1 * MB);
  const a = add('a', 1 * MB);
  a.startTransfer('disk', 256 * 1024, 100_000);
  await clock.advance(1000);
  const [ra] = await rates(clock, [a], 'disk', 20_000);
  assert.ok(Math.abs(ra! / MB - 1) < 0.03, `rate ${ra}`);
  done();
});

// The stall a cached read's readahead once caused: debt charged before the scheduler's first
// usage was invisible to its mirror of the credit, which granted one chunk and waited for the
// app to use it while the helper still held the call.
test('debt the helper charged on its own before any usage is paid first, then the cap holds', async () => {
  const { clock, sched, add, done } = setup('disk');
  sched.setCap(1 * MB);
  const a = add('a', 1 * MB);
  a.charge('disk', 500_000);
  a.startTransfer('disk', 16 * 1024, 100_000);
  await clock.advance(5000);
  assert.ok(Math.abs(a.moved.disk / (5 * MB) - 1) < 0.02, `moved ${a.moved.disk} in 5 s, the debt included`);
  const [ra] = await rates(clock, [a], 'disk', 5000);
  assert.ok(Math.abs(ra! / MB - 1) < 0.02, `rate ${ra}`);
  done();
});

test('pause: a paused app receives nothing until resumed; stride is selectable', async () => {
  const clock = new VirtualClock();
  const sched = new ByteScheduler('netUp', { clock, policy: createPolicy('stride') });
  const a = new FakeSession(clock, 2, 'a');
  const b = new FakeSession(clock, 2, 'b');
  sched.setCap(2 * MB);
  sched.addApp('a', a, 1 * MB);
  sched.addApp('b', b, 1 * MB);
  a.startTransfer('netUp', 16 * 1024, 100_000);
  b.startTransfer('netUp', 16 * 1024, 100_000);
  await clock.advance(500);
  let [ra, rb] = await rates(clock, [a, b], 'netUp', 4000);
  assert.ok(Math.abs(ra! / MB - 1) < 0.03 && Math.abs(rb! / MB - 1) < 0.03, `${ra} ${rb}`);
  sched.setPaused('a', true);
  await clock.advance(200);
  [ra, rb] = await rates(clock, [a, b], 'netUp', 2000);
  assert.equal(ra, 0);
  assert.ok(Math.abs(rb! / (2 * MB) - 1) < 0.03, `b alone ${rb}`);
  sched.setPaused('a', false);
  await clock.advance(200);
  [ra] = await rates(clock, [a], 'netUp', 2000);
  assert.ok(ra! > 0.5 * MB);
  sched.removeApp('a');
  assert.equal(a.mode.netUp, 'unlimited', 'removed app released');
  sched.dispose();
  assert.equal(b.mode.netUp, 'unlimited', 'dispose releases');
  a.close();
  b.close();
});

test('limitHit is reported (rate-limited) while demand waits at the cap', async () => {
  const { clock, sched, add, done } = setup();
  const hits: number[] = [];
  sched.on('limitHit', () => hits.push(clock.now()));
  sched.setCap(100_000);
  const a = add('a', 0);
  a.startTransfer('netUp', 16 * 1024, 100_000);
  await clock.advance(3000);
  assert.ok(hits.length >= 2 && hits.length <= 4, `${hits.length} hits`);
  done();
});
