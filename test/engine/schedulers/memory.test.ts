// Memory scheduler: ceilings from the cap and nominal shares; denials as events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryScheduler } from '../../../electron/engine/schedulers/memory.js';
import { createSchedulers } from '../../../electron/engine/schedulers/index.js';
import { FakeSession, VirtualClock } from './fakes.js';

const MiB = 1024 * 1024;

test('ceiling = share + equal part of the unreserved remainder; Σ ceilings ≤ cap', () => {
  const clock = new VirtualClock();
  const mem = new MemoryScheduler();
  const a = new FakeSession(clock, 2, 'a');
  const b = new FakeSession(clock, 2, 'b');
  const c = new FakeSession(clock, 2, 'c');
  mem.addApp('a', a, 100 * MiB);
  mem.addApp('b', b, 200 * MiB);
  assert.equal(a.memCeiling, null, 'no cap: no ceiling');
  mem.setCap(600 * MiB);
  assert.equal(a.memCeiling, 250 * MiB);
  assert.equal(b.memCeiling, 350 * MiB);
  mem.addApp('c', c, 0);
  assert.equal(a.memCeiling, 200 * MiB);
  assert.equal(b.memCeiling, 300 * MiB);
  assert.equal(c.memCeiling, 100 * MiB, 'a zero share still gets part of the remainder');
  // Shares beyond the cap are scaled down to fit.
  mem.setShare('c', 300 * MiB);
  mem.setCap(300 * MiB);
  const sum = [a, b, c].reduce((s, x) => s + (x.memCeiling ?? 0), 0);
  assert.ok(sum <= 300 * MiB, `Σ ceilings ${sum}`);
  assert.equal(a.memCeiling, 50 * MiB);
  assert.equal(mem.appStatus('b')!.ceiling, 100 * MiB);
  // An app that exits frees its part.
  c.exit();
  mem.setCap(300 * MiB + 8192);
  assert.equal(a.memCeiling! + b.memCeiling!, 300 * MiB + 8192);
  mem.removeApp('a');
  assert.equal(a.memCeiling, null, 'a removed app loses its ceiling');
  mem.setCap(null);
  assert.equal(b.memCeiling, null);
  mem.dispose();
  for (const s of [a, b, c]) s.close();
});

test('denials are reported as memDenied events', () => {
  const clock = new VirtualClock();
  const mem = new MemoryScheduler();
  const a = new FakeSession(clock, 2, 'a');
  const seen: string[] = [];
  mem.on('memDenied', (id, bytes, syscall) => seen.push(`${id} ${bytes} ${syscall}`));
  mem.addApp('a', a, MiB);
  mem.setCap(MiB);
  a.deny(4096, 'brk');
  assert.deepEqual(seen, ['a 4096 brk']);
  mem.removeApp('a');
  a.deny(4096, 'mmap');
  assert.equal(seen.length, 1, 'no events after removal');
  a.close();
});

test('createSchedulers builds all five with the requested policies', () => {
  const clock = new VirtualClock();
  const set = createSchedulers({ clock, ncpu: 2, cpuSliceMs: 10, policies: { cpu: 'stride', net: 'pns', disk: 'stride' } });
  assert.equal(set.cpu.policy.name, 'stride');
  assert.equal(set.cpu.sliceMs, 10);
  assert.equal(set.netUp.policy.name, 'pns');
  assert.equal(set.netDown.policy.name, 'pns');
  assert.notEqual(set.netUp.policy, set.netDown.policy);
  assert.equal(set.disk.policy.name, 'stride');
  assert.deepEqual([set.cpu.resource, set.netUp.resource, set.netDown.resource, set.disk.resource, set.mem.resource], ['cpu', 'netUp', 'netDown', 'disk', 'mem']);
  for (const s of Object.values(set)) s.dispose();
});
