// Quota rules and periods, pure: the contract's schema range-checks every field and names it;
// days and months (from the reset day) in local time; what a direction counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandArgs } from '../../electron/common/contract.js';
import { quotaCounted, quotaName, quotaPeriod } from '../../electron/common/quotas.js';

const rule = { appId: 'seeder', period: 'day', direction: 'up', bytes: 1e9, action: 'pause' };

test('setQuotas is range-checked; errors name the field', () => {
  const bad = (args: unknown, re: RegExp) => assert.throws(() => parseCommandArgs('setQuotas', args), (e: Error) => re.test(e.message), String(re));
  bad({ resetDay: 29 }, /^setQuotas: resetDay: Number must be less than or equal to 28$/);
  bad({ resetDay: 0 }, /^setQuotas: resetDay: /);
  bad({ resetDay: 1.5 }, /^setQuotas: resetDay: Expected integer/);
  bad({ rules: [{ ...rule, bytes: 0 }] }, /^setQuotas: rules\[0\]\.bytes: Number must be greater than 0$/);
  bad({ rules: [{ ...rule, bytes: 2e15 }] }, /^setQuotas: rules\[0\]\.bytes: /);
  bad({ rules: [rule, { ...rule, period: 'week' }] }, /^setQuotas: rules\[1\]\.period: Invalid enum value/);
  bad({ rules: [{ ...rule, direction: 'sideways' }] }, /^setQuotas: rules\[0\]\.direction: /);
  bad({ rules: [{ ...rule, action: 'slow' }] }, /^setQuotas: rules\[0\]\.slowTo: a rate exactly when the action is "slow"$/);
  bad({ rules: [{ ...rule, slowTo: 1000 }] }, /^setQuotas: rules\[0\]\.slowTo: a rate exactly/);
  bad({ rules: [{ ...rule, action: 'slow', slowTo: -1 }] }, /^setQuotas: rules\[0\]\.slowTo: /);
  bad({ rules: [{ ...rule, appId: '../x' }] }, /^setQuotas: rules\[0\]\.appId: invalid app id$/);
  bad({ rules: [{ ...rule, extra: 1 }] }, /^setQuotas: rules\[0\]: Unrecognized key/);
  bad({ rules: Array(65).fill(rule) }, /^setQuotas: rules: /);
  assert.deepEqual(parseCommandArgs('setQuotas', { rules: [{ ...rule, appId: null, action: 'slow', slowTo: 1e5 }] }).rules![0], { ...rule, appId: null, action: 'slow', slowTo: 1e5 });
  assert.deepEqual(parseCommandArgs('setQuotas', { resetDay: 15 }), { resetDay: 15 }, 'what is left out stays as it is');
});

test('periods: the local day; the month from the reset day, across the year', () => {
  const at = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min).getTime();
  assert.deepEqual(quotaPeriod('day', at(2026, 12, 1, 13, 30), 1), { start: at(2026, 12, 1), end: at(2026, 12, 2) });
  assert.deepEqual(quotaPeriod('day', at(2026, 12, 31, 23, 59), 1), { start: at(2026, 12, 31), end: at(2027, 1, 1) });
  assert.deepEqual(quotaPeriod('month', at(2026, 12, 1, 0, 0), 1), { start: at(2026, 12, 1), end: at(2027, 1, 1) });
  assert.deepEqual(quotaPeriod('month', at(2026, 12, 14, 23), 15), { start: at(2026, 11, 15), end: at(2026, 12, 15) });
  assert.deepEqual(quotaPeriod('month', at(2026, 12, 15), 15), { start: at(2026, 12, 15), end: at(2027, 1, 15) });
  assert.deepEqual(quotaPeriod('month', at(2027, 1, 3), 28), { start: at(2026, 12, 28), end: at(2027, 1, 28) });
  assert.deepEqual(quotaPeriod('month', at(2027, 2, 28), 28), { start: at(2027, 2, 28), end: at(2027, 3, 28) });
});

test('directions count up, down or both; names read as a person says them', () => {
  assert.equal(quotaCounted('up', { up: 3, down: 4 }), 3);
  assert.equal(quotaCounted('down', { up: 3, down: 4 }), 4);
  assert.equal(quotaCounted('both', { up: 3, down: 4 }), 7);
  assert.equal(quotaName({ period: 'month', direction: 'both' }), 'monthly upload + download quota');
  assert.equal(quotaName({ period: 'day', direction: 'down' }), 'daily download quota');
});
