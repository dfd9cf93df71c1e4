// Policy files, pure: validation with the contract's field schemas (errors name the field),
// the plan of changes (added, changed, removed, unchanged) and its commands, and the printed
// policy reading back to exactly the same values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FullState } from '../../../electron/common/model.js';
import { parsePolicyText, printPolicy, readableValue } from '../../../electron/engine/policy/file.js';
import { countChanges, formatPlan, planPolicy, policyOf, type PolicyState } from '../../../electron/engine/policy/plan.js';
import { PolicyError, readPolicy } from '../../../electron/engine/policy/schema.js';
import { state, view } from './fixtures.js';

test('readable values become the contract\'s numbers; "none" lifts a cap; absent shares are 0', () => {
  const policy = readPolicy({
    profile: 'idle',
    caps: { inUse: { cpu: '25%', netUp: '8Mbit/s', mem: 'none' }, idle: { disk: 1000 } },
    apps: [{ name: 'A', command: 'a', shares: { cpu: '10%', netDown: '2MB/s' } }],
  });
  assert.deepEqual(policy.caps, { inUse: { cpu: 0.25, netUp: 1e6, mem: null }, idle: { disk: 1000 } });
  assert.deepEqual(policy.apps![0]!.shares, { cpu: 0.1, netUp: 0, netDown: 2e6, disk: 0, mem: 0 });
  assert.deepEqual(policy.apps![0]!.args, []);
  assert.equal(policy.profile, 'idle');
});

test('errors name the field by its path and say what was expected', () => {
  const wrong = (doc: unknown, message: RegExp) => assert.throws(() => readPolicy(doc), (e: Error) => e instanceof PolicyError && message.test(e.message), String(message));
  const apps = (third: unknown) => ({ apps: [{ name: 'A', command: 'a' }, { name: 'B', command: 'b' }, third] });
  wrong(apps({ name: 'C', command: 'c', shares: { netDown: 'fast' } }), /^apps\[2\]\.shares\.netDown: expected a rate such as 500kB\/s or 2MB\/s$/);
  wrong(apps({ name: 'C', command: 'c', shares: { cpu: 2 } }), /^apps\[2\]\.shares\.cpu: Number must be less than or equal to 1$/);
  wrong(apps({ name: 'C', command: 'c', shares: { cpu: 'none' } }), /^apps\[2\]\.shares\.cpu: expected a percentage/);
  wrong(apps({ name: 'C', command: 'c', caps: {} }), /^apps\[2\]: Unrecognized key\(s\) in object: 'caps'$/);
  wrong(apps({ name: 'C' }), /^apps\[2\]\.command: Required$/);
  wrong(apps({ name: 'A', command: 'c' }), /^apps\[2\]\.name: a second app with name "A"$/);
  wrong({ caps: { inUse: { netUp: '2000TB/s' } } }, /^caps\.inUse\.netUp: expected a rate .*below 1 PB\/s.*, or "none"$/);
  wrong({ caps: { weekend: {} } }, /^caps: Unrecognized key/);
  wrong({ profile: 'night' }, /^profile: Invalid enum value/);
  wrong({ apps: [{ id: 'Bad Id', name: 'A', command: 'a' }] }, /^apps\[0\]\.id: invalid app id$/);
  wrong({ apps: [{ name: 'A', command: 'a', env: { 'a-b': 'x' } }] }, /^apps\[0\]\.env\.a-b: invalid variable name$/);
  assert.throws(() => parsePolicyText('apps: [', 'yaml'), /not valid YAML/);
  assert.throws(() => parsePolicyText('{"apps": }', 'json'), /not valid JSON/);
  assert.throws(() => parsePolicyText('- a\n- b\n', 'yaml'), /a policy is a mapping/);
});

test('the plan: added, changed, removed only with prune, unchanged; commands in an order admission accepts', () => {
  const current = state([view('a', 'A', { cpu: 0.1 }), view('b', 'B'), view('old', 'Old')]);
  const policy = readPolicy({
    profile: 'inUse',
    caps: { inUse: { cpu: '20%', netUp: 'none' }, battery: { netUp: '1MB/s' } },
    apps: [
      { id: 'a', name: 'A', command: '/bin/true', shares: { cpu: '5%' } },
      { name: 'B', command: '/bin/true' },
      { name: 'New', command: 'new', args: ['--x'] },
    ],
  });
  const kept = planPolicy(current, policy);
  assert.deepEqual(countChanges(kept.changes), { added: 1, changed: 3, removed: 0, unchanged: 4 });
  assert.match(formatPlan(kept.changes), /^~ caps\.inUse\.cpu: 50% -> 20%$/m);
  assert.match(formatPlan(kept.changes), /^= caps\.inUse\.netUp: no cap$/m);
  assert.match(formatPlan(kept.changes), /^~ app a: shares\.cpu 10% -> 5%$/m);
  assert.match(formatPlan(kept.changes), /^\+ app New: New: new --x$/m);
  assert.match(formatPlan(kept.changes), /^= app old: Old \(not in the file; kept, --prune removes it\)$/m);
  assert.match(formatPlan(kept.changes), /^~ profile: auto -> inUse$/m);
  assert.match(formatPlan(kept.changes), /^1 added, 3 changed, 0 removed, 4 unchanged\.$/m);
  assert.deepEqual(
    kept.steps.map((s) => s.name),
    ['updateApp', 'addApp', 'setOwnerLimits', 'setProfile'],
  );
  const pruned = planPolicy(current, policy, { prune: true });
  assert.deepEqual(pruned.steps.map((s) => s.name), ['removeApp', 'updateApp', 'addApp', 'setOwnerLimits', 'setProfile']);
  assert.deepEqual(pruned.steps[0], { name: 'removeApp', args: { id: 'old' } });

  // a cap raised goes before the apps, a cap lowered after them
  const both = planPolicy(state(), readPolicy({ caps: { inUse: { cpu: '90%', mem: '1GB' } } }));
  assert.deepEqual(both.steps, [
    { name: 'setOwnerLimits', args: { profile: 'inUse', limits: { cpu: 0.9 } } },
    { name: 'setOwnerLimits', args: { profile: 'inUse', limits: { mem: 1e9 } } },
  ]);
});

test('an exported policy reads back to itself and plans no change, in JSON and YAML', () => {
  const odd = view('odd', 'Odd "quoted" name', { cpu: 0.123456, netUp: 1234567, mem: 3 * 1024 ** 3 });
  odd.definition.cwd = '/tmp';
  odd.definition.env = { A: 'x: y' };
  odd.definition.args = ['--flag', '- dash', '#hash'];
  const current = state([odd, view('b', 'B')]);
  for (const format of ['json', 'yaml'] as const) {
    const text = printPolicy(policyOf(current), format);
    const plan = planPolicy(current, parsePolicyText(text, format));
    assert.deepEqual(plan.steps, [], `${format}:\n${text}`);
    assert.equal(countChanges(plan.changes).unchanged, plan.changes.length);
  }
  assert.equal(readableValue('netUp', 2e6), '2MB/s');
  assert.equal(readableValue('netUp', 1234567), 1234567, 'not exact as text: the number');
  assert.equal(readableValue('cpu', 0.25), '25%');
  assert.equal(readableValue('mem', null), 'none');
});

test('apps match by id, else by name; an id that does not exist falls back to the name (the engine makes ids)', () => {
  const current = state([view('syncthing-2', 'Syncthing')]);
  const plan = planPolicy(current, readPolicy({ apps: [{ id: 'syncthing', name: 'Syncthing', command: '/bin/true' }] }));
  assert.deepEqual(plan.steps, []);
  const full = state() as FullState & PolicyState;
  assert.deepEqual(planPolicy(full, readPolicy({})).changes, [], 'an empty policy manages nothing');
});
