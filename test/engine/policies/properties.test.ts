// Property tests on a simulated CPU with a cap (C2 by a token bucket, one allocation per
// time unit when the bucket allows): random shares and random blocking over many epochs.
// Seeded PRNG: deterministic, never flaky.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy } from '../../../electron/engine/policies/index.js';
import type { Policy, PolicyName } from '../../../electron/engine/policies/policy.js';
import { prng } from './sim.js';

interface App {
  id: string;
  share: number; // S(Pi) as a fraction of the machine
  av: number; // Av in allocations (epoch 100 of the P2P budget)
  alwaysReady: boolean;
  blockedUntil: number;
  received: number;
  ready: boolean;
}

interface Scenario {
  cap: number;
  apps: App[];
  steps: number;
  blockingUntil: number; // blockers stop blocking after this time (then everyone is ready)
  blockChance: number; // per step, for a ready blocker
  maxBlock: number; // steps
}

function scenario(rand: () => number, blockers: boolean, blockChance = 0.01, maxBlock = 800, blockingFraction = 0.5): Scenario {
  const n = 2 + Math.floor(rand() * 6);
  const cap = 0.1 + rand() * 0.8;
  const w = Array.from({ length: n }, () => 0.05 + rand());
  const sum = w.reduce((a, b) => a + b, 0);
  const apps = w.map((x, i) => {
    const share = (cap * x) / sum; // Σ S(Pi) = S(P2P)
    return { id: `p${i}`, share, av: (100 * share) / cap, alwaysReady: !blockers || i === 0 || rand() < 0.3, blockedUntil: 0, received: 0, ready: false };
  });
  const steps = 40_000;
  return { cap, apps, steps, blockingUntil: steps * blockingFraction, blockChance, maxBlock };
}

/** Runs a scenario; calls check(t, p2pTotal) after every step. */
function simulate(name: PolicyName, sc: Scenario, rand: () => number, check: (t: number, total: number) => void, catchUpEpochs: number | null = null): Policy {
  const policy = createPolicy(name, { epoch: 100, catchUpEpochs });
  for (const a of sc.apps) policy.add(a.id, a.share / sc.cap); // the schedulers normalise to the cap
  let tokens = 0;
  let total = 0;
  for (let t = 1; t <= sc.steps; t++) {
    for (const a of sc.apps) {
      const shouldBeReady = a.alwaysReady || t >= sc.blockingUntil || t >= a.blockedUntil;
      if (!a.alwaysReady && t < sc.blockingUntil && a.ready && rand() < sc.blockChance) a.blockedUntil = t + Math.floor(rand() * sc.maxBlock);
      const ready = shouldBeReady && !(t < a.blockedUntil);
      if (ready !== a.ready) {
        a.ready = ready;
        if (ready) policy.ready(a.id);
        else policy.blocked(a.id);
      }
    }
    tokens = Math.min(tokens + sc.cap, 2); // small bucket: at most one allocation of burst
    if (tokens >= 1 - 1e-9) {
      const id = policy.next();
      if (id !== null) {
        // PNS invariant: the app served has the least Done among ready apps (catch-up first).
        const done = policy.status(id)?.done;
        if (done != null) {
          for (const a of sc.apps) if (a.ready && a.share > 0) assert.ok((policy.status(a.id)?.done ?? Infinity) >= done, 'least Done served first');
        }
        tokens -= 1;
        total += 1;
        policy.consumed(id, 1);
        sc.apps.find((a) => a.id === id)!.received += 1;
      }
    }
    check(t, total);
  }
  return policy;
}

test('PNS, always-ready apps, random shares: |lag| within one epoch quota and total within the cap', () => {
  const rand = prng(12345);
  for (let trial = 0; trial < 20; trial++) {
    const sc = scenario(rand, false);
    let worst = 0;
    simulate('pns', sc, rand, (t, total) => {
      assert.ok(total <= sc.cap * t + 2 + 1e-9, `C2 at ${t}: ${total} > ${sc.cap * t}`);
      if (t % 1000 !== 0) return;
      for (const a of sc.apps) {
        const lagAllocations = a.received - a.share * t; // (R − S)·T
        assert.ok(Math.abs(lagAllocations) <= a.av + 2, `trial ${trial} t ${t} ${a.id}: lag ${lagAllocations} allocations, Av ${a.av}`);
        worst = Math.max(worst, Math.abs(lagAllocations / t));
      }
    });
    // Over the whole run every app is within 0.5 % of the machine of its share.
    for (const a of sc.apps) assert.ok(Math.abs(a.received / sc.steps - a.share) < 0.005, `trial ${trial} ${a.id}`);
    assert.ok(worst < 0.05);
  }
});

test('PNS, random blocking: C1 for always-ready apps at all times, C2, least Done always served first', () => {
  const rand = prng(987654);
  for (let trial = 0; trial < 20; trial++) {
    const sc = scenario(rand, true);
    simulate('pns', sc, rand, (t, total) => {
      assert.ok(total <= sc.cap * t + 2 + 1e-9, `C2 at ${t}`);
      if (t % 500 !== 0) return;
      for (const a of sc.apps) {
        if (!a.alwaysReady) continue;
        // C1: blockers leave surplus to the others, never a deficit (within one epoch quota).
        assert.ok(a.received >= a.share * t - a.av - 2, `trial ${trial} t ${t} ${a.id}: ${a.received} < ${a.share * t}`);
      }
    });
  }
});

test('PNS, short random blocking: blocked apps catch up, so every lag is ≈ 0 at the end', () => {
  const rand = prng(55555);
  for (let trial = 0; trial < 20; trial++) {
    const sc = scenario(rand, true, 0.002, 100, 0.25);
    simulate('pns', sc, rand, (t, total) => {
      assert.ok(total <= sc.cap * t + 2 + 1e-9, `C2 at ${t}`);
      if (t % 500 !== 0) return;
      for (const a of sc.apps) {
        if (!a.alwaysReady) continue;
        // C1: never behind by more than one epoch quota (+ rounding) — blockers leave surplus, never a deficit.
        assert.ok(a.received >= a.share * t - a.av - 2, `trial ${trial} t ${t} ${a.id}: ${a.received} < ${a.share * t}`);
      }
    });
    // After the blocking phase everyone is ready: blocked apps have caught up, every lag ≈ 0.
    for (const a of sc.apps) {
      const lagAllocations = a.received - a.share * sc.steps;
      assert.ok(Math.abs(lagAllocations) <= a.av + 2, `trial ${trial} ${a.id} (alwaysReady ${a.alwaysReady}): lag ${lagAllocations}, Av ${a.av}`);
    }
  }
});

test('stride (classical): proportional for always-ready apps, but a blocked app never catches up', () => {
  const rand = prng(4242);
  for (let trial = 0; trial < 10; trial++) {
    const sc = scenario(rand, false);
    simulate('stride', sc, rand, (t, total) => {
      assert.ok(total <= sc.cap * t + 2 + 1e-9);
      if (t % 1000 !== 0) return;
      for (const a of sc.apps) assert.ok(Math.abs(a.received - a.share * t) <= 2 + 1 / (a.share / sc.cap), `stride trial ${trial} ${a.id}`);
    });
  }
  // The Fig. 4 scenario under stride: B's missed allocations are lost.
  const p = createPolicy('stride');
  p.add('A', 0.17);
  p.add('B', 0.33);
  p.add('C', 0.5);
  for (const id of ['A', 'B', 'C']) p.ready(id);
  const got: Record<string, number> = { A: 0, B: 0, C: 0 };
  for (let t = 1; t <= 1000; t++) {
    if (t === 48) p.blocked('B');
    if (t === 101) p.ready('B');
    const id = p.next()!;
    p.consumed(id, 1);
    got[id]! += 1;
  }
  assert.ok(got.B! < 330 - 10, `stride B: ${got.B} (it lost what it missed while blocked)`);
  // PNS on the same scenario gives B its 330.
  const q = createPolicy('pns', { epoch: 100 });
  q.add('A', 0.17);
  q.add('B', 0.33);
  q.add('C', 0.5);
  for (const id of ['A', 'B', 'C']) q.ready(id);
  const got2: Record<string, number> = { A: 0, B: 0, C: 0 };
  for (let t = 1; t <= 1000; t++) {
    if (t === 48) q.blocked('B');
    if (t === 101) q.ready('B');
    const id = q.next()!;
    q.consumed(id, 1);
    got2[id]! += 1;
  }
  assert.deepEqual(got2, { A: 170, B: 330, C: 500 });
});

test('stride: order() marks clients within one head allocation as level', () => {
  const p = createPolicy('stride');
  p.add('A', 0.2);
  p.add('B', 0.1);
  p.ready('A');
  p.ready('B');
  assert.deepEqual(p.order().map((o) => o.concurrentWithHead), [true, true]);
  p.consumed('A', 1); // pass A = 5, B = 0
  p.consumed('B', 1); // pass B = 10
  const o = p.order();
  assert.deepEqual(o.map((x) => x.id), ['A', 'B']);
  assert.deepEqual(o.map((x) => x.concurrentWithHead), [true, false]);
});

test('policies are deterministic: the same inputs give the same trace', () => {
  const run = (name: PolicyName) => {
    const rand = prng(7);
    const sc = scenario(rand, true);
    sc.steps = 5000;
    const trace: number[] = [];
    simulate(name, sc, rand, (_t, total) => trace.push(total));
    return sc.apps.map((a) => a.received).join(',') + '|' + trace.length;
  };
  assert.equal(run('pns'), run('pns'));
  assert.equal(run('stride'), run('stride'));
});
