// PNS with upper bounds (per-app ceilings) on a virtual clock: one allocation per ms of a fully
// available resource, handed out by PNS among the apps not at their ceiling. Each app receives
// what ceiledAllocation says (PNS proportions, no app past its ceiling, the rest to the others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CeilingBuckets, ceiledAllocation, rejoin } from '../../../electron/engine/policies/ceilings.js';
import { createPolicy } from '../../../electron/engine/policies/index.js';
import type { Policy, PolicyName } from '../../../electron/engine/policies/policy.js';

interface Sim {
  policy: Policy;
  buckets: CeilingBuckets;
  now: number;
  got: Map<string, number>;
}

function sim(shares: Record<string, number>, ceilings: Record<string, number | null>, name: PolicyName = 'pns'): Sim {
  const policy = createPolicy(name, { epoch: 20, tieBreak: 'leastUsed' });
  const buckets = new CeilingBuckets(40);
  for (const [id, s] of Object.entries(shares)) {
    policy.add(id, s);
    policy.ready(id);
    buckets.set(id, ceilings[id] ?? null, 0);
  }
  return { policy, buckets, now: 0, got: new Map(Object.keys(shares).map((id) => [id, 0])) };
}

/** `ms` allocations of one unit, one per ms: the head of PNS among the apps with a unit of ceiling left. */
function run(s: Sim, ms: number): Map<string, number> {
  const got = new Map([...s.got.keys()].map((id) => [id, 0]));
  for (let i = 0; i < ms; i++) {
    s.now += 1;
    const id = s.policy.next(s.buckets.excluded(() => 1, s.now));
    if (id === null) continue; // everyone at a ceiling: the unit goes unused
    s.policy.consumed(id, 1);
    s.buckets.charge(id, 1, s.now);
    got.set(id, got.get(id)! + 1);
  }
  return new Map([...got].map(([id, n]) => [id, n / ms]));
}

function assertNear(got: Map<string, number>, want: Map<string, number>, tol: number): void {
  for (const [id, w] of want) assert.ok(Math.abs(got.get(id)! - w) <= tol, `${id}: received ${got.get(id)!.toFixed(4)}, expected ${w.toFixed(4)}`);
}

const shares = { A: 0.5, B: 0.3, C: 0.2 };

test('a ceiling below its fair part bounds the app; the others share what it leaves in PNS proportions', () => {
  const s = sim(shares, { A: 0.2 });
  const got = run(s, 20_000);
  const want = ceiledAllocation(1, new Map(Object.entries(shares)), new Map([['A', 0.2]]));
  assert.deepEqual([...want].map(([id, v]) => [id, +v.toFixed(3)]), [['A', 0.2], ['B', 0.48], ['C', 0.32]]);
  assertNear(got, want, 0.005);
  assert.ok(got.get('A')! <= 0.2 + 1e-3, 'never past the ceiling');
});

test('a ceiling above the fair part changes nothing: PNS shares exactly', () => {
  const got = run(sim(shares, { C: 0.25 }), 20_000);
  assertNear(got, new Map(Object.entries(shares)), 0.002);
});

test('ceilings on every app that sum below the capacity: each gets its ceiling, the rest is left unused', () => {
  const got = run(sim(shares, { A: 0.1, B: 0.1, C: 0.05 }), 20_000);
  assertNear(got, new Map([['A', 0.1], ['B', 0.1], ['C', 0.05]]), 0.002);
});

test('two ceilings: water filling, the unbounded app takes the rest', () => {
  const c = { A: 0.3, B: 0.1 };
  const got = run(sim(shares, c), 20_000);
  const want = ceiledAllocation(1, new Map(Object.entries(shares)), new Map(Object.entries(c)));
  assertNear(got, want, 0.005);
  assert.ok(Math.abs(want.get('C')! - 0.6) < 1e-9);
});

test('a ceiling of 0 gives the app nothing; its part goes to the others', () => {
  const got = run(sim(shares, { B: 0 }), 10_000);
  assert.equal(got.get('B'), 0);
  assertNear(got, new Map([['A', 0.5 / 0.7], ['C', 0.2 / 0.7]]), 0.005);
});

test('lifting a ceiling: the app rejoins level with the others, it does not catch up on what the ceiling kept from it', () => {
  const s = sim(shares, { A: 0.1 });
  run(s, 20_000);
  s.buckets.set('A', null, s.now);
  rejoin(s.policy, 'A');
  // right after the lift: PNS proportions, not A alone catching up
  assertNear(run(s, 2_000), new Map(Object.entries(shares)), 0.02);
  assertNear(run(s, 10_000), new Map(Object.entries(shares)), 0.003);
});

/** Lifts A's ceiling and rejoins it while B and C are between two grants (not ready), then readies them. */
function liftWhileOthersBetweenGrants(s: Sim): void {
  s.buckets.set('A', null, s.now);
  s.policy.blocked('B');
  s.policy.blocked('C');
  rejoin(s.policy, 'A');
  s.policy.ready('B');
  s.policy.ready('C');
}

test('lifting a ceiling while no other app is ready (each between two grants): it still rejoins level', () => {
  // (seen on real senders: the lifted app took 3.8 of 4 MB/s for seconds, the other 0.2)
  const s = sim(shares, { A: 0.1 });
  run(s, 20_000);
  liftWhileOthersBetweenGrants(s);
  assertNear(run(s, 2_000), new Map(Object.entries(shares)), 0.02);
});

test('without rejoin, PNS would let the bounded app catch up: the reason rejoin exists', () => {
  const s = sim(shares, { A: 0.1 });
  run(s, 20_000);
  s.buckets.set('A', null, s.now);
  assert.ok(run(s, 2_000).get('A')! > 0.95, 'A takes (nearly) everything while it catches up');
});

test('a ceiling set mid-run takes effect at once, with no saved-up burst', () => {
  const s = sim(shares, {});
  run(s, 5_000);
  s.buckets.set('B', 0.05, s.now);
  const got = run(s, 1_000);
  assert.ok(got.get('B')! <= 0.05 + 1e-9, `B received ${got.get('B')} in the first second of its ceiling`);
});

test('ceiledAllocation: no ceilings is plain proportion; ceilings in other units are refused by the buckets', () => {
  assertNear(ceiledAllocation(10, new Map(Object.entries(shares)), new Map()), new Map([['A', 5], ['B', 3], ['C', 2]]), 1e-9);
  assert.throws(() => new CeilingBuckets(10).set('A', -1, 0), RangeError);
  assert.throws(() => new CeilingBuckets(0), RangeError);
});

test('apps of share 0 (they share what is spare): a ceiling bounds one, the others split the rest; lifted, it rejoins level', () => {
  const zero = { A: 0, B: 0, C: 0 };
  const s = sim(zero, { A: 0.1 });
  assertNear(run(s, 20_000), new Map([['A', 0.1], ['B', 0.45], ['C', 0.45]]), 0.005);
  s.buckets.set('A', null, s.now);
  rejoin(s.policy, 'A');
  assertNear(run(s, 3_000), new Map([['A', 1 / 3], ['B', 1 / 3], ['C', 1 / 3]]), 0.01);
});

test('apps of share 0: lifting a ceiling while no other app is ready still rejoins level', () => {
  const zero = { A: 0, B: 0, C: 0 };
  const s = sim(zero, { A: 0.1 });
  run(s, 20_000);
  liftWhileOthersBetweenGrants(s);
  assertNear(run(s, 3_000), new Map([['A', 1 / 3], ['B', 1 / 3], ['C', 1 / 3]]), 0.01);
});

test('stride scheduling with ceilings: the same bounds, and the same rejoin', () => {
  const s = sim(shares, { A: 0.2 }, 'stride');
  assertNear(run(s, 20_000), ceiledAllocation(1, new Map(Object.entries(shares)), new Map([['A', 0.2]])), 0.005);
  s.buckets.set('A', null, s.now);
  rejoin(s.policy, 'A');
  assertNear(run(s, 2_000), new Map(Object.entries(shares)), 0.02);
});
