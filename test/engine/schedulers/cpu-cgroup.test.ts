// The CPU scheduler on the kernel's bandwidth control, on a virtual clock against fake helpers
// and a fixture cgroup v2 directory (what the scheduler writes is what the kernel would read):
// the quota is the cap, weights are the policy shares, PNS catch-up boosts an app that is behind,
// no app's weight is 0, pauses and a cap of 0 stop through the helper, limit hits follow the
// kernel's throttling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CgroupTree } from '../../../electron/engine/cgroups/tree.js';
import { CgroupCpuScheduler } from '../../../electron/engine/schedulers/cpu-cgroup.js';
import { splitBudget } from '../../../electron/engine/schedulers/shares.js';
import { FakeSession, VirtualClock } from './fakes.js';

function fixtureTree(): { tree: CgroupTree; dir: string; cleanup: () => void } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'cgsched-'));
  const dir = path.join(base, 'interceptor-1-1');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 0\nnr_periods 0\nnr_throttled 0\n');
  const tree = CgroupTree.create(2, dir, base, 'fixture');
  return { tree, dir, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

const read = (dir: string, ...p: string[]) => readFileSync(path.join(dir, ...p), 'utf8').trim();

test('the quota is the cap (cores × period, a longer period under the kernel\'s 1 ms), none without a cap', () => {
  const { tree, dir, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock: new VirtualClock(), ncpu: 2, tree });
  try {
    assert.equal(read(dir, 'cpu.weight'), '100', 'uncapped apps compete fairly with the owner');
    assert.equal(read(dir, 'cpu.max'), 'max 20000');
    cpu.setCap(0.3);
    assert.equal(read(dir, 'cpu.max'), '12000 20000');
    assert.equal(read(dir, 'cpu.weight'), '10000', 'capped: dual priority, the highest weight against the owner');
    cpu.setCap(0.01);
    assert.equal(read(dir, 'cpu.max'), '1000 50000');
    cpu.setCap(null);
    assert.equal(read(dir, 'cpu.max'), 'max 20000');
    assert.equal(read(dir, 'cpu.weight'), '100');
    assert.throws(() => cpu.setCap(1.5), RangeError);
  } finally {
    cpu.dispose();
    cleanup();
  }
});

test('apps join their cgroup before they run; weights are the policy shares; a share of 0 is never weight 0', async () => {
  const clock = new VirtualClock();
  const { tree, dir, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree, boost: 1 });
  const [a, b, c] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b'), new FakeSession(clock, 2, 'c')];
  try {
    cpu.setCap(0.3);
    cpu.addApp('a', a, 0.2);
    cpu.addApp('b', b, 0.1);
    assert.equal(read(dir, 'a', 'cgroup.procs'), String(a.hello.appPid));
    assert.deepEqual(a.log.slice(0, 2), [`cgroup ${path.join(dir, 'a')} ${dir}`, 'free']);
    const w = cpu.weights();
    assert.ok(Math.abs(w.a! / w.b! - 2) < 1e-9, JSON.stringify(w));
    assert.equal(read(dir, 'a', 'cpu.weight'), String(Math.round(w.a! * 1000)));
    cpu.addApp('c', c, 0);
    const w2 = cpu.weights();
    assert.ok(w2.c! > 0, `share 0 got weight ${w2.c}`);
    assert.ok(w2.a! / w2.b! > 1.9, 'the others keep their ratio');
  } finally {
    for (const s of [a, b, c]) s.close();
    cpu.dispose();
    cleanup();
  }
});

test('PNS catch-up: an app that was idle is behind in Done, and its weight is boosted until it catches up', async () => {
  const clock = new VirtualClock();
  const { tree, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree, boost: 8 });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  try {
    cpu.setCap(0.5);
    a.cores = 1;
    b.cores = 0; // idle: uses no CPU
    cpu.addApp('a', a, 0.25);
    cpu.addApp('b', b, 0.25);
    await clock.advance(3000);
    const ahead = cpu.weights();
    // a uses more than its part: its weight is the boosted share (it leads, the only app asking);
    // b, idle, is within its part: it would come first the moment it asks
    assert.ok(Math.abs(ahead.a! - 0.5 * 8 * 0.1) < 1e-9 && ahead.b === 1000, `a leads, b lends: ${JSON.stringify(ahead)}`);
    b.setCores(1); // b wakes up, far behind in Done
    await clock.advance(300);
    const catching = cpu.weights();
    assert.ok(Math.abs(catching.b! - 8 * catching.a!) < 1e-9, `b catches up: ${JSON.stringify(catching)}`);
    assert.ok(cpu.policy.status('b')!.done! < cpu.policy.status('a')!.done!);
  } finally {
    a.close();
    b.close();
    cpu.dispose();
    cleanup();
  }
});

test('owner pause and a cap of 0 stop the app through its helper; resume and a cap free it', () => {
  const clock = new VirtualClock();
  const { tree, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree });
  const a = new FakeSession(clock, 2, 'a');
  try {
    cpu.setCap(0.3);
    cpu.addApp('a', a, 0.1);
    cpu.setPaused('a', true);
    cpu.setPaused('a', false);
    cpu.setCap(0);
    cpu.setCap(0.2);
    cpu.removeApp('a');
    assert.deepEqual(a.log.filter((l) => l === 'stop' || l === 'free'), ['free', 'stop', 'free', 'stop', 'free', 'free']);
  } finally {
    a.close();
    cpu.dispose();
    cleanup();
  }
});

test('limit hits follow the kernel throttling the parent', async () => {
  const clock = new VirtualClock();
  const { tree, dir, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree });
  const a = new FakeSession(clock, 2, 'a');
  const hits: string[] = [];
  cpu.on('limitHit', (id, r) => hits.push(`${id} ${r}`));
  try {
    cpu.setCap(0.3);
    a.cores = 1;
    cpu.addApp('a', a, 0.3);
    await clock.advance(500);
    assert.deepEqual(hits, []);
    writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 0\nnr_periods 50\nnr_throttled 20\n');
    await clock.advance(200);
    assert.deepEqual(hits, ['a cpu']);
  } finally {
    a.close();
    cpu.dispose();
    cleanup();
  }
});

test('splitBudget: guarantees by weight, the unused part of the others water-filled up to each demand', () => {
  const claims = (list: [string, number, number][]) => new Map(list.map(([id, weight, demand]) => [id, { share: weight, weight, demand }]));
  const close = (m: Map<string, number>, want: Record<string, number>) => {
    for (const [id, v] of Object.entries(want)) assert.ok(Math.abs(m.get(id)! - v) < 1e-9, `${id}: ${m.get(id)} vs ${v} (${JSON.stringify([...m])})`);
  };
  // all hungry: the weights
  close(splitBudget(0.6, claims([['a', 2, Infinity], ['b', 1, Infinity]])), { a: 0.4, b: 0.2 });
  // b uses little: a gets the rest, b keeps its guarantee for when it asks
  close(splitBudget(0.6, claims([['a', 1, Infinity], ['b', 1, 0.05]])), { a: 0.55, b: 0.3 });
  // the pool goes by weight and stops at each demand
  close(splitBudget(1, claims([['a', 1, 0.1], ['b', 1, 0.35], ['c', 2, Infinity]])), { a: 0.25, b: 0.3, c: 0.6 });
  // never more than the budget to one app
  const one = splitBudget(0.3, claims([['a', 1, Infinity], ['b', 1, 0]]));
  assert.ok(one.get('a')! <= 0.3 + 1e-12);
});

test('per-app quotas: CPU-bound apps get their shares of the cap; what an idle one leaves goes to the others', async () => {
  const clock = new VirtualClock();
  const { tree, dir, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree, boost: 1 });
  const [a, b] = [new FakeSession(clock, 2, 'a'), new FakeSession(clock, 2, 'b')];
  try {
    cpu.setCap(0.3);
    a.cores = 1;
    b.cores = 1;
    cpu.addApp('a', a, 0.2);
    cpu.addApp('b', b, 0.1);
    const close = (x: number | null | undefined, want: number) => x !== null && x !== undefined && Math.abs(x - want) < 1e-3;
    let q = cpu.quotas();
    assert.ok(close(q.a, 0.4) && close(q.b, 0.2), `0.6 cores split 2:1: ${JSON.stringify(q)}`);
    // both want more than their parts: periods as the parent's
    assert.equal(read(dir, 'a', 'cpu.max'), '8000 20000');
    b.setCores(0);
    await clock.advance(1000);
    q = cpu.quotas();
    assert.ok(q.b! >= 0.2, `an idle app keeps at least its part: ${JSON.stringify(q)}`);
    assert.ok(q.a! > 0.4 && q.a! <= 0.6, `a takes what b leaves: ${JSON.stringify(q)}`);
    assert.equal(cpu.weights().b, 1000, 'within its part, b comes first when it asks');
    assert.match(read(dir, 'a', 'cpu.max'), / 10000$/, 'beside a lender, a borrower takes its quota in 10 ms periods');
  } finally {
    a.close();
    b.close();
    cpu.dispose();
    cleanup();
  }
});

test('splitBudget: a catch-up boost takes from what others leave unused, never from their guarantees', () => {
  const m = splitBudget(0.6, new Map([
    ['hog', { share: 0.78, weight: 0.78 * 8, demand: Infinity }],
    ['printer', { share: 0.11, weight: 0.11, demand: 0.03 }],
    ['curl', { share: 0.11, weight: 0.11, demand: 0.03 }],
  ]));
  assert.ok(Math.abs(m.get('printer')! - 0.066) < 1e-9, `printer keeps its part: ${JSON.stringify([...m])}`);
  assert.ok(Math.abs(m.get('hog')! - (0.6 - 0.06)) < 1e-9, `the hog gets what the others leave: ${JSON.stringify([...m])}`);
});

test('small parts get longer periods, never a quota under the kernel\'s 1 ms (ten apps at 1 % each)', async () => {
  const clock = new VirtualClock();
  const { tree, dir, cleanup } = fixtureTree();
  const cpu = new CgroupCpuScheduler({ clock, ncpu: 2, tree });
  const apps = Array.from({ length: 10 }, (_, i) => new FakeSession(clock, 2, `a${i}`));
  try {
    cpu.setCap(0.1);
    apps.forEach((s, i) => cpu.addApp(`a${i}`, s, 0.01));
    for (let i = 0; i < 10; i++) {
      const [quota, period] = read(dir, `a${i}`, 'cpu.max').split(' ').map(Number);
      assert.ok(quota! >= 1000, `a${i}: quota ${quota}`);
      assert.ok(Math.abs(quota! / period! - 0.02) < 1e-3, `a${i}: ${quota}/${period} is not its 0.02 cores`);
    }
  } finally {
    apps.forEach((s) => s.close());
    cpu.dispose();
    cleanup();
  }
});
