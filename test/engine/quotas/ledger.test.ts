// The quota counters, pure: per app and for all apps, per period; a new period starts from zero;
// rules reached; the counters read back from their JSON (what the keeper writes to disk).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuotaConfigSchema } from '../../../electron/common/model.js';
import { LedgerFileSchema, QuotaLedger } from '../../../electron/engine/quotas/ledger.js';

const at = (d: number, h = 12) => new Date(2026, 11, d, h).getTime(); // December 2026
const config = QuotaConfigSchema.parse({
  resetDay: 1,
  rules: [
    { appId: 'a', period: 'day', direction: 'up', bytes: 1000, action: 'pause' },
    { appId: null, period: 'month', direction: 'both', bytes: 5000, action: 'slow', slowTo: 100 },
    { appId: 'b', period: 'day', direction: 'down', bytes: 1000, action: 'pause' },
  ],
});

test('counts per app and in total; a rule is reached at its bytes; the next day starts from zero', () => {
  const l = new QuotaLedger();
  l.add('a', { up: 600, down: 100 }, at(1), 1);
  l.add('b', { up: 0, down: 900 }, at(1, 13), 1);
  let s = l.status(config, at(1, 14));
  assert.deepEqual(s.map((x) => [x.used, x.reached]), [[600, false], [1600, false], [900, false]]);
  assert.equal(s[0]!.periodEnd, new Date(2026, 11, 2).getTime());
  l.add('a', { up: 400, down: 0 }, at(1, 15), 1);
  s = l.status(config, at(1, 15));
  assert.deepEqual(s.map((x) => x.reached), [true, false, false], 'exactly the quota is reached');
  // the next day: the daily counters are new, the month goes on
  s = l.status(config, at(2, 0));
  assert.deepEqual(s.map((x) => [x.used, x.reached]), [[0, false], [2000, false], [0, false]]);
  l.add('a', { up: 3000, down: 0 }, at(2, 1), 1);
  assert.deepEqual(l.status(config, at(2, 2)).map((x) => x.reached), [true, true, false]);
  assert.deepEqual(l.moved('month', null, at(2, 2), 1), { up: 4000, down: 1000 });
});

test('the counters read back from JSON, and go on where they were', () => {
  const l = new QuotaLedger();
  l.add('a', { up: 700, down: 5 }, at(3), 1);
  const json = JSON.parse(JSON.stringify(l.toJSON()));
  const back = new QuotaLedger(LedgerFileSchema.parse(json));
  assert.deepEqual(back.moved('day', 'a', at(3, 20), 1), { up: 700, down: 5 });
  back.add('a', { up: 300, down: 0 }, at(3, 21), 1);
  assert.equal(back.status(config, at(3, 21))[0]!.reached, true);
  assert.throws(() => LedgerFileSchema.parse({ ...json, day: { ...json.day, all: { up: -1, down: 0 } } }));
});

test('changing the reset day starts a new month; nothing negative or empty is counted', () => {
  const l = new QuotaLedger();
  l.add('a', { up: 100, down: 100 }, at(10), 1);
  assert.deepEqual(l.moved('month', 'a', at(10), 1), { up: 100, down: 100 });
  assert.deepEqual(l.moved('month', 'a', at(10), 5), { up: 0, down: 0 });
  l.add('a', { up: -5, down: 10 }, at(10), 5);
  l.add('a', { up: 0, down: 0 }, at(10), 5);
  assert.deepEqual(l.moved('month', 'a', at(10), 5), { up: 0, down: 0 });
});
