// Transfer quotas in policy files, pure: sizes and rates as the owner types them, errors that
// name the field, the plan (one setQuotas after the apps, or nothing), an export reading back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuotaConfig } from '../../../electron/common/quotas.js';
import { parsePolicyText, printPolicy } from '../../../electron/engine/policy/file.js';
import { planPolicy, policyOf } from '../../../electron/engine/policy/plan.js';
import { PolicyError, readPolicy } from '../../../electron/engine/policy/schema.js';
import { state, view } from './fixtures.js';

const rule = { appId: 'a', period: 'month', direction: 'both', bytes: 50e9, action: 'slow', slowTo: 1e5 } as const;
const current = (quotas: QuotaConfig) => ({ ...state([view('a', 'A')]), quotas });

test('quota sizes and rates read as typed; errors name the field', () => {
  const policy = readPolicy({ quotas: { resetDay: 15, rules: [{ appId: 'a', period: 'month', direction: 'both', bytes: '50GB', action: 'slow', slowTo: '800kbit' }] } });
  assert.deepEqual(policy.quotas, { resetDay: 15, rules: [rule] });
  const wrong = (quotas: unknown, re: RegExp) => assert.throws(() => readPolicy({ quotas }), (e: Error) => e instanceof PolicyError && re.test(e.message), String(re));
  wrong({ rules: [{ ...rule, bytes: 'lots' }] }, /^quotas\.rules\[0\]\.bytes: expected a size such as 512MB or 2GB$/);
  wrong({ rules: [{ ...rule, slowTo: 'fast' }] }, /^quotas\.rules\[0\]\.slowTo: expected a rate/);
  wrong({ rules: [{ ...rule, action: 'pause' }] }, /^quotas\.rules\[0\]\.slowTo: a rate exactly when the action is "slow"$/);
  wrong({ resetDay: 30 }, /^quotas\.resetDay: Number must be less than or equal to 28$/);
  wrong({ weekly: [] }, /^quotas: Unrecognized key/);
});

test('the plan: one setQuotas after the apps when the rules or the reset day differ; nothing when equal', () => {
  const policy = readPolicy({ apps: [{ name: 'B', command: 'b' }], quotas: { rules: [rule] } });
  const plan = planPolicy(current({ resetDay: 1, rules: [] }), policy);
  assert.deepEqual(plan.steps.map((s) => s.name), ['addApp', 'setQuotas']);
  assert.deepEqual(plan.steps[1], { name: 'setQuotas', args: { rules: [rule] } });
  assert.ok(plan.changes.some((c) => c.subject === 'quotas.rules' && c.detail === '0 rules -> 1 rule'));
  assert.deepEqual(planPolicy(current({ resetDay: 1, rules: [rule] }), readPolicy({ quotas: { resetDay: 1, rules: [rule] } })).steps, []);
  assert.deepEqual(planPolicy(current({ resetDay: 1, rules: [rule] }), readPolicy({ quotas: { resetDay: 5, rules: [rule] } })).steps, [{ name: 'setQuotas', args: { resetDay: 5 } }]);
  assert.deepEqual(planPolicy(current({ resetDay: 1, rules: [rule] }), readPolicy({})).steps, [], 'no quotas in the file: not managed');
});

test('an exported policy with quotas reads back to itself (sizes and rates readable)', () => {
  const s = current({ resetDay: 15, rules: [rule, { ...rule, appId: null, period: 'day', direction: 'up', bytes: 1234567, action: 'pause', slowTo: null }] });
  for (const format of ['json', 'yaml'] as const) {
    const text = printPolicy(policyOf(s), format);
    assert.deepEqual(planPolicy(s, parsePolicyText(text, format)).steps, [], `${format}:\n${text}`);
  }
  assert.match(printPolicy(policyOf(s), 'yaml'), /bytes: 50GB\n\s+action: slow\n\s+slowTo: 100kB\/s/);
});
