// Ceilings in policy files, pure: written as the owner types them ("2MB/s", "none"), absent = no
// ceiling, errors name the field, the plan changes only the ceilings that differ, an export reads
// back to itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_CEILINGS } from '../../../electron/common/model.js';
import { parsePolicyText, printPolicy } from '../../../electron/engine/policy/file.js';
import { countChanges, planPolicy, policyOf } from '../../../electron/engine/policy/plan.js';
import { PolicyError, readPolicy } from '../../../electron/engine/policy/schema.js';
import { state, view } from './fixtures.js';

test('ceilings read as typed; absent ones are none; a wrong one names its field', () => {
  const policy = readPolicy({ apps: [{ name: 'A', command: 'a', ceilings: { netUp: '2MB/s', cpu: '20%', mem: 'none' } }, { name: 'B', command: 'b' }] });
  assert.deepEqual(policy.apps![0]!.ceilings, { ...NO_CEILINGS, netUp: 2e6, cpu: 0.2 });
  assert.deepEqual(policy.apps![1]!.ceilings, NO_CEILINGS);
  const wrong = (ceilings: unknown, message: RegExp) =>
    assert.throws(() => readPolicy({ apps: [{ name: 'A', command: 'a', ceilings }] }), (e: Error) => e instanceof PolicyError && message.test(e.message), String(message));
  wrong({ netDown: 'fast' }, /^apps\[0\]\.ceilings\.netDown: expected a rate such as 500kB\/s or 2MB\/s, or "none"$/);
  wrong({ cpu: 1.5 }, /^apps\[0\]\.ceilings\.cpu: Number must be less than or equal to 1$/);
  wrong({ gpu: '1' }, /^apps\[0\]\.ceilings: Unrecognized key/);
});

test('the plan changes only the ceilings that differ, as a partial patch of updateApp', () => {
  const current = state([view('a', 'A', {}, { netUp: 1e6, cpu: 0.3 })]);
  const plan = planPolicy(current, readPolicy({ apps: [{ name: 'A', command: '/bin/true', ceilings: { netUp: '2MB/s', cpu: '30%' } }] }));
  assert.deepEqual(plan.steps, [{ name: 'updateApp', args: { id: 'a', patch: { ceilings: { netUp: 2e6 } } } }]);
  assert.match(plan.changes[0]!.detail, /ceilings\.netUp 1 MB\/s -> 2 MB\/s/);
  // a ceiling left out of the file is lifted: the file is the whole app
  const lifted = planPolicy(current, readPolicy({ apps: [{ name: 'A', command: '/bin/true', ceilings: { netUp: '1MB/s' } }] }));
  assert.deepEqual(lifted.steps, [{ name: 'updateApp', args: { id: 'a', patch: { ceilings: { cpu: null } } } }]);
});

test('an exported policy with ceilings reads back to itself, in JSON and YAML; an app without any has no key', () => {
  const current = state([view('a', 'A', { netUp: 5e5 }, { netUp: 1234567, mem: 512e6, cpu: 0.25 }), view('b', 'B')]);
  for (const format of ['json', 'yaml'] as const) {
    const text = printPolicy(policyOf(current), format);
    const plan = planPolicy(current, parsePolicyText(text, format));
    assert.deepEqual(plan.steps, [], `${format}:\n${text}`);
    assert.equal(countChanges(plan.changes).unchanged, plan.changes.length);
    const doc = parsePolicyText(text, format);
    assert.deepEqual(doc.apps![0]!.ceilings, current.apps[0]!.definition.ceilings);
  }
  const yaml = printPolicy(policyOf(current), 'yaml');
  assert.match(yaml, /ceilings:\n\s+cpu: 25%\n\s+netUp: 1234567\n\s+mem: 512MB/);
  assert.equal(yaml.match(/ceilings:/g)!.length, 1, 'B has no ceilings key');
});
