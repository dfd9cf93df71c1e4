// Per-app ceilings in every scheduler, on a virtual clock against fake helpers: an app never
// receives more than its ceiling, what it leaves goes to the others (PNS among them), a ceiling
// works with and without an owner's cap, changes take effect at once, and lifting one releases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CgroupTree } from '../../../electron/engine/cgroups/tree.js';
import { createPolicy } from '../../../electron/engine/policies/index.js';
import { ByteScheduler } from '../../../electron/engine/schedulers/bytes.js';
import { CgroupCpuScheduler } from '../../../electron/engine/schedulers/cpu-cgroup.js';
import { CpuScheduler } from '../../../electron/engine/schedulers/cpu.js';
import { MemoryScheduler } from '../../../electron/engine/schedulers/memory.js';
import { FakeSession, VirtualClock } from './fakes.js';

const MB = 1e6;
const MiB = 1024 * 1024;

async function byteRates(clock: VirtualClock, sessions: FakeSession[], ms: number): Promise<number[]> {
  const before = sessions.map((s) => s.moved.netUp);
  await clock.advance(ms);
  return sessions.map((s, i) => ((s.moved.netUp - before[i]!) * 1000) / ms);
}

test('bytes: under a 4 MB/s cap, equal shares, one app with a 1 MB/s ceiling: 1 and 3 MB/s', async () => {
  const clock = new VirtualClock();
  const sched = new ByteScheduler('netUp', { clock });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  try {
    sched.setCap(4 * MB);
    sched.addApp('a', a, 0, 1 * MB);
    sched.addApp('b', b, 0);
    a.startTransfer('netUp', 16 * 1024, 100_000);
    b.startTransfer('netUp', 16 * 1024, 100_000);
    await clock.advance(500);
    const [ra, rb] = await byteRates(clock, [a, b], 10_000);
    assert.ok(Math.abs(ra! / MB - 1) < 0.02, `a at its ceiling: ${ra}`);
    assert.ok(Math.abs(rb! / (3 * MB) - 1) < 0.02, `b takes what a leaves: ${rb}`);
    assert.equal(sched.appStatus('a')!.ceiling, 1 * MB);
    // lifted: back to equal parts of the cap, a does not catch up
    sched.setCeiling('a', null);
    await clock.advance(200);
    const [ra2, rb2] = await byteRates(clock, [a, b], 5_000);
    assert.ok(Math.abs(ra2! / (2 * MB) - 1) < 0.03 && Math.abs(rb2! / (2 * MB) - 1) < 0.03, `lifted: ${ra2} ${rb2}`);
  } finally {
    sched.dispose();
    a.close();
    b.close();
  }
});

test('bytes: a ceiling without an owner cap bounds that app alone; the others run unlimited', async () => {
  const clock = new VirtualClock();
  const sched = new ByteScheduler('netUp', { clock });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  try {
    sched.addApp('a', a, 0, 500_000);
    sched.addApp('b', b, 0);
    assert.equal(a.mode.netUp, 'credit');
    assert.equal(b.mode.netUp, 'unlimited');
    a.startTransfer('netUp', 16 * 1024, 100_000);
    b.startTransfer('netUp', 16 * 1024, 10_000);
    await clock.advance(500);
    const [ra, rb] = await byteRates(clock, [a, b], 10_000);
    assert.ok(Math.abs(ra! / 500_000 - 1) < 0.02, `a at its ceiling: ${ra}`);
    assert.ok(rb! > 9 * MB, `b unlimited: ${rb}`);
    sched.setCeiling('a', null);
    assert.equal(a.mode.netUp, 'unlimited', 'lifting the ceiling releases the app');
    sched.setCeiling('a', 200_000);
    assert.equal(a.mode.netUp, 'credit');
    await clock.advance(200);
    const [ra2] = await byteRates(clock, [a], 5_000);
    assert.ok(Math.abs(ra2! / 200_000 - 1) < 0.03, `a new ceiling takes effect: ${ra2}`);
  } finally {
    sched.dispose();
    a.close();
    b.close();
  }
});

async function cpuShares(clock: VirtualClock, sessions: FakeSession[], ms: number): Promise<number[]> {
  const before = sessions.map((s) => s.cpuNs);
  await clock.advance(ms);
  return sessions.map((s, i) => (s.cpuNs - before[i]!) / 1e6 / (ms * 2));
}

test('cpu (ptrace slices): cap 0.8 on 2 cores, shares 0.3/0.3, a ceiling of 0.15: 0.15 and 0.65', async () => {
  const clock = new VirtualClock();
  const cpu = new CpuScheduler({ clock, ncpu: 2, sliceMs: 20, policy: createPolicy('pns', { epoch: 20, tieBreak: 'leastUsed' }) });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  a.cores = 1;
  b.cores = 2;
  try {
    cpu.setCap(0.8);
    cpu.addApp('a', a, 0.3, 0.15);
    cpu.addApp('b', b, 0.3);
    await clock.advance(1000);
    const [ra, rb] = await cpuShares(clock, [a, b], 10_000);
    assert.ok(Math.abs(ra! - 0.15) < 0.01, `a at its ceiling: ${ra}`);
    assert.ok(Math.abs(rb! - 0.65) < 0.02, `b takes what a leaves: ${rb}`);
    assert.equal(cpu.appStatus('a')!.ceiling, 0.15);
  } finally {
    cpu.dispose();
    a.close();
    b.close();
  }
});

test('cpu (ptrace slices): without a cap, the app with a ceiling runs in slices of it, the others free; lifted, it runs free', async () => {
  const clock = new VirtualClock();
  const cpu = new CpuScheduler({ clock, ncpu: 2, sliceMs: 20 });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  a.cores = 1;
  b.cores = 1;
  try {
    cpu.addApp('a', a, 0, 0.1);
    cpu.addApp('b', b, 0);
    assert.equal(b.cpuState, 'free', 'b has no ceiling: it runs free, as without any');
    await clock.advance(1000);
    const [ra, rb] = await cpuShares(clock, [a, b], 10_000);
    assert.ok(Math.abs(ra! - 0.1) < 0.01, `a at its ceiling: ${ra}`);
    assert.ok(rb! > 0.49, `b runs as much as it can (one core): ${rb}`);
    assert.equal(b.log.filter((l) => l.startsWith('run')).length, 0, 'b is never sliced');
    cpu.setCeiling('a', null);
    await clock.advance(10);
    assert.equal(a.cpuState, 'free');
    assert.equal(b.cpuState, 'free');
    // a cap and then no cap again: the ceiled app back in slices, the other free
    cpu.setCeiling('a', 0.2);
    cpu.setCap(0.8);
    await clock.advance(200);
    cpu.setCap(null);
    await clock.advance(10);
    assert.equal(b.cpuState, 'free');
    const [ra2] = await cpuShares(clock, [a], 5_000);
    assert.ok(Math.abs(ra2! - 0.2) < 0.01, `a at its new ceiling: ${ra2}`);
  } finally {
    cpu.dispose();
    a.close();
    b.close();
  }
});

test('cpu (cgroup quotas): the app\'s own quota is its ceiling, its part goes to the other; a ceiling of 0 stops it', () => {
  const clock = new VirtualClock();
  const base = mkdtempSync(path.join(os.tmpdir(), 'cgceil-'));
  const dir = path.join(base, 'interceptor-1-1');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 0\nnr_periods 0\nnr_throttled 0\n');
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree: CgroupTree.create(2, dir, base, 'fixture'), boost: 1 });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  try {
    cpu.setCap(0.6);
    cpu.addApp('a', a, 0.3, 0.1);
    cpu.addApp('b', b, 0.3);
    let q = cpu.quotas();
    assert.ok(Math.abs(q.a! - 0.2) < 1e-3, `a's quota is its ceiling, 0.2 cores: ${JSON.stringify(q)}`);
    assert.ok(Math.abs(q.b! - 1.0) < 1e-3, `b gets the rest of 1.2 cores: ${JSON.stringify(q)}`);
    cpu.setCap(null);
    q = cpu.quotas();
    assert.ok(Math.abs(q.a! - 0.2) < 1e-3 && q.b === null, `without a cap only the ceiling bounds: ${JSON.stringify(q)}`);
    cpu.setCeiling('a', 0);
    assert.equal(a.cpuState, 'stopped');
    cpu.setCeiling('a', null);
    assert.equal(a.cpuState, 'free');
    assert.equal(cpu.quotas().a, null);
  } finally {
    a.close();
    b.close();
    cpu.dispose();
    rmSync(base, { recursive: true, force: true });
  }
});

test('memory: an app\'s ceiling bounds its part; what it leaves goes to the others; without a cap it is the ceiling', () => {
  const clock = new VirtualClock();
  const mem = new MemoryScheduler();
  const [a, b, c] = ['a', 'b', 'c'].map((id) => new FakeSession(clock, 2, id));
  mem.addApp('a', a!, 0, 64 * MiB);
  mem.addApp('b', b!, 100 * MiB);
  assert.equal(a!.memCeiling, 64 * MiB, 'no cap: its own ceiling');
  assert.equal(b!.memCeiling, null);
  mem.setCap(600 * MiB);
  assert.equal(a!.memCeiling, 64 * MiB);
  assert.equal(b!.memCeiling, 536 * MiB, 'b gets what a leaves of the remainder');
  mem.addApp('c', c!, 0);
  assert.equal(a!.memCeiling, 64 * MiB);
  assert.equal(b!.memCeiling! + c!.memCeiling!, 536 * MiB);
  assert.equal(b!.memCeiling! - c!.memCeiling!, 100 * MiB, 'equal parts of the rest beside the share');
  mem.setCeiling('a', null);
  assert.equal(a!.memCeiling, Math.floor((500 * MiB) / 3 / 4096) * 4096, 'lifted: an equal part of the remainder again');
  assert.throws(() => mem.setCeiling('a', -1), RangeError);
  mem.dispose();
});
