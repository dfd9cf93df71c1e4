// The paper's Fig. 3 and Fig. 4 (section 3.3) as unit tests on a simulated CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PnsPolicy } from '../../../electron/engine/policies/pns.js';
import { createPolicy } from '../../../electron/engine/policies/index.js';
import { count, runAllocations } from './sim.js';

function fig3Policy(catchUpEpochs: number | null = null): PnsPolicy {
  const p = new PnsPolicy({ epoch: 100, catchUpEpochs });
  p.add('A', 0.17);
  p.add('B', 0.33);
  p.add('C', 0.5);
  for (const id of ['A', 'B', 'C']) p.ready(id);
  return p;
}

test('Fig. 3: every epoch gives exactly 17/33/50 allocations; A finishes first, then B, C ends alone', () => {
  const p = fig3Policy();
  const trace = runAllocations(p, 500);
  for (let epoch = 0; epoch < 5; epoch++) {
    const from = epoch * 100 + 1;
    const to = from + 99;
    assert.equal(count(trace, 'A', from, to), 17, `epoch ${epoch}: A`);
    assert.equal(count(trace, 'B', from, to), 33, `epoch ${epoch}: B`);
    assert.equal(count(trace, 'C', from, to), 50, `epoch ${epoch}: C`);
    const last = (id: string) => from - 1 + trace.slice(from - 1, to).lastIndexOf(id) + 1;
    assert.ok(last('A') < last('B'), `epoch ${epoch}: A completes before B`);
    assert.ok(last('B') < last('C'), `epoch ${epoch}: B completes before C`);
    // Round robin among the three until A is done (paper: time 46; here 49 = 3·16 + 1).
    assert.deepEqual(trace.slice(from - 1, from - 1 + 48), Array.from({ length: 48 }, (_, i) => 'ABC'[i % 3]));
    assert.equal(last('A'), from + 48);
    // Then B and C multiplexed until B is done (paper: 82), then C alone to the end (paper: 83..100).
    assert.equal(last('B'), from + 81);
    assert.deepEqual(trace.slice(from + 82 - 1, to), Array(18).fill('C'), `epoch ${epoch}: C's 18 consecutive allocations`);
    for (let t = from + 49; t < from + 81; t += 2) {
      assert.notEqual(trace[t - 1], trace[t], `B and C alternate at ${t}`);
    }
  }
  assert.deepEqual(
    ['A', 'B', 'C'].map((id) => p.status(id)?.done),
    [5, 5, 5],
  );
});

test('Fig. 4: B blocks from 48 to 100, then catches up alone until ~118, then all three multiplex', () => {
  const p = fig3Policy();
  const trace = runAllocations(p, 200, (t) => {
    if (t === 48) p.blocked('B');
    if (t === 101) p.ready('B');
  });
  const bBefore = count(trace, 'B', 1, 47);
  assert.equal(bBefore, 16);
  // A completes its quota right after B blocks.
  const aDoneAt = trace.slice(0, 100).lastIndexOf('A') + 1;
  const aFirstEpochEnd = (() => {
    let n = 0;
    for (let t = 1; t <= 100; t++) if (trace[t - 1] === 'A' && ++n === 17) return t;
    return -1;
  })();
  assert.ok(aFirstEpochEnd >= 46 && aFirstEpochEnd <= 50, `A's quota done at ${aFirstEpochEnd}`);
  // Once A's quota is done, C runs alone (Done(C) = 0 < Done(A) = 1) until its epoch completes (paper: time 84).
  let cEpochEnd = -1;
  for (let t = aFirstEpochEnd + 1; t <= 100; t++) {
    if (trace[t - 1] !== 'C') break;
    if (count(trace, 'C', 1, t) === 50) {
      cEpochEnd = t;
      break;
    }
  }
  assert.ok(cEpochEnd >= 82 && cEpochEnd <= 86, `C completes its epoch alone at ${cEpochEnd}`);
  // Then A and C multiplex until B wakes at 101.
  for (let t = cEpochEnd + 1; t <= 100; t++) assert.ok(trace[t - 1] === 'A' || trace[t - 1] === 'C');
  for (let t = cEpochEnd + 1; t < 100; t++) assert.notEqual(trace[t - 1], trace[t], `A and C alternate at ${t}`);
  assert.ok(aDoneAt === 100 || aDoneAt === 99);
  // B on waking runs alone until it has its 33 allocations of epoch 1 (paper: until 118).
  let bCatchUpEnd = -1;
  for (let t = 101; t <= 200; t++) {
    if (trace[t - 1] !== 'B') {
      bCatchUpEnd = t - 1;
      break;
    }
  }
  assert.equal(count(trace, 'B', 1, bCatchUpEnd), 33, 'B got exactly its missing allocations');
  assert.ok(bCatchUpEnd >= 115 && bCatchUpEnd <= 120, `B caught up until ${bCatchUpEnd} (paper: 118)`);
  // Then all three multiplex.
  const after = trace.slice(bCatchUpEnd, bCatchUpEnd + 12);
  for (const id of ['A', 'B', 'C']) assert.ok(after.includes(id), `${id} runs after the catch-up: ${after.join('')}`);
  assert.equal(count(trace, 'B', 1, 200), 16 + 17 + count(trace, 'B', bCatchUpEnd + 1, 200));
});

test('bounded catch-up: catchUpEpochs = 0 makes a woken app rejoin level with the others', () => {
  const p = fig3Policy(0);
  const trace = runAllocations(p, 100, (t) => {
    if (t === 48) p.blocked('B');
  });
  p.ready('B');
  assert.equal(p.status('B')?.done, 1, 'B was moved up to Done = 1 (it forfeits its missed allocations)');
  trace.push(...runAllocations(p, 100));
  // B does not run alone: within the first 6 allocations after waking, others run too.
  const after = trace.slice(100, 106);
  assert.ok(after.includes('A') || after.includes('C'), `no exclusive catch-up: ${after.join('')}`);
});

test('bounded catch-up: with bound k the woken app runs alone for at most (k+1)·Av allocations', () => {
  const p = new PnsPolicy({ epoch: 10, catchUpEpochs: 2 });
  p.add('X', 0.5);
  p.add('Y', 0.5);
  p.ready('X');
  // Y is blocked for 20 epochs of X.
  runAllocations(p, 100);
  assert.equal(p.status('X')?.done, 20);
  p.ready('Y');
  const trace = runAllocations(p, 100);
  const alone = trace.findIndex((id) => id !== 'Y');
  assert.ok(alone > 0 && alone <= 3 * 5, `Y ran alone ${alone} allocations`);
});

test('an app added later joins level with the others (no catch-up for time it was absent)', () => {
  const p = new PnsPolicy({ epoch: 10 });
  p.add('X', 0.5);
  p.ready('X');
  runAllocations(p, 100);
  p.add('Y', 0.5);
  p.ready('Y');
  const trace = runAllocations(p, 20);
  assert.ok(count(trace, 'X') >= 9 && count(trace, 'Y') >= 9, trace.join(''));
});

test('fractional measured consumption keeps exact long-run ratios (Rem carries over)', () => {
  const p = new PnsPolicy({ epoch: 100 });
  p.add('A', 0.2);
  p.add('B', 0.1);
  p.ready('A');
  p.ready('B');
  const used: Record<string, number> = { A: 0, B: 0 };
  for (let i = 0; i < 30000; i++) {
    const id = p.next()!;
    const amount = id === 'A' ? 0.93 : 0.71; // e.g. measured CPU of a 20 ms slice
    p.consumed(id, amount);
    used[id]! += amount;
  }
  const ratio = used.A! / used.B!;
  assert.ok(Math.abs(ratio - 2) < 0.01, `ratio ${ratio}`);
});

test('order(): apps with the same Done are level with the head; others are not', () => {
  const p = fig3Policy();
  runAllocations(p, 49); // A has completed its epoch
  const order = p.order();
  assert.deepEqual(order.map((o) => o.id), ['B', 'C', 'A']);
  assert.deepEqual(order.map((o) => o.concurrentWithHead), [true, true, false]);
  assert.equal(p.next(new Set(['B', 'C'])), 'A');
  assert.equal(p.next(new Set(['A', 'B', 'C'])), null);
});

test('share 0 is background; setShare keeps the progress of the current epoch', () => {
  const p = new PnsPolicy({ epoch: 10 });
  p.add('A', 0.5);
  p.add('Z', 0);
  p.ready('A');
  p.ready('Z');
  assert.deepEqual(runAllocations(p, 3), Array(3).fill('A'));
  p.blocked('A');
  assert.equal(p.next(), 'Z');
  p.ready('A');
  p.setShare('A', 0.8); // Av 5 → 8, 3 used: Rem 5
  assert.equal(p.status('A')?.rem, 5);
  assert.equal(p.status('A')?.done, 0);
  p.setShare('A', 0.2); // Av 2 < used 3: the epoch is complete, 1 carried over
  assert.equal(p.status('A')?.done, 1);
  assert.equal(p.status('A')?.rem, 1);
  assert.throws(() => p.add('A', 0.1));
  assert.throws(() => p.setShare('A', -1));
  p.remove('A');
  assert.equal(p.status('A'), null);
});

test('tieBreak leastUsed: same-Done apps are served by least used of their epoch (byte rule)', () => {
  const p = new PnsPolicy({ epoch: 100, tieBreak: 'leastUsed' });
  p.add('A', 0.5);
  p.add('B', 0.5);
  p.ready('A');
  p.ready('B');
  p.consumed('A', 10); // e.g. a big chunk
  const trace = runAllocations(p, 10);
  assert.deepEqual(trace, Array(10).fill('B'));
  assert.equal(p.next(), 'A');
});

test('factory: createPolicy selects by name', () => {
  assert.equal(createPolicy('pns').name, 'pns');
  assert.equal(createPolicy('stride').name, 'stride');
  assert.throws(() => createPolicy('lottery' as never));
});
