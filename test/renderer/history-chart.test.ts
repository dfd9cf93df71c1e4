// Chart rows of a longer range (pure): apps stacked from their means, the rest in one band
// (apps removed since included), the cap per bucket, a row for every bucket with figures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UsageHistory, UsagePoint } from '../../electron/common/history.js';
import { CAP_KEY, OTHER_KEY } from '../../renderer/src/lib/chart.js';
import { busiestInHistory, rangeAxis, usageRows } from '../../renderer/src/lib/historyChart.js';

const H = 3_600_000;
const point = (t: number, app: string | null, cpu: number): UsagePoint => ({ t, app, seconds: 60, avg: { cpu, netUp: 0, netDown: 0, disk: 0, mem: 0 }, max: { cpu, netUp: 0, netDown: 0, disk: 0, mem: 0 } });
const cap = (t: number, cpu: number | null) => ({ t, cap: { cpu, netUp: null, netDown: null, disk: null, mem: null } });
const history: UsageHistory = {
  range: '24h',
  stepMs: 2 * H,
  from: 0,
  to: 6 * H,
  appId: null,
  persistent: true,
  points: [point(0, 'a', 0.2), point(0, 'gone', 0.1), point(0, null, 0.3), point(2 * H, 'b', 0.4), point(2 * H, null, 0.4), point(4 * H, null, 0)],
  caps: [cap(0, 0.5), cap(2 * H, 0.5), cap(4 * H, null)],
};

test('usageRows: shown apps by their mean, others (and removed apps) in one band, the cap, x before the end', () => {
  const rows = usageRows(history, 'cpu', new Set(['a', 'b']));
  assert.deepEqual(rows, [
    { t: 0, x: -6 * H, a: 0.2, b: 0, [OTHER_KEY]: 0.1, [CAP_KEY]: 0.5 },
    { t: 2 * H, x: -4 * H, a: 0, b: 0.4, [OTHER_KEY]: 0, [CAP_KEY]: 0.5 },
    { t: 4 * H, x: -2 * H, a: 0, b: 0, [OTHER_KEY]: 0, [CAP_KEY]: null },
    { t: 6 * H, x: 0, a: 0, b: 0, [OTHER_KEY]: 0, [CAP_KEY]: null },
  ], 'the last bucket holds until its end');
});

test('usageRows: a bucket without figures (the engine was off) is a gap, not a slope', () => {
  const sparse: UsageHistory = { ...history, points: [point(0, 'a', 0.2), point(0, null, 0.2), point(4 * H, 'a', 0.6), point(4 * H, null, 0.6)], caps: [] };
  const rows = usageRows(sparse, 'cpu', new Set(['a']));
  assert.deepEqual(rows.map((r) => [r.t, r.a]), [[0, 0.2], [2 * H, 0.2], [2 * H, null], [4 * H, 0.6], [6 * H, 0.6]], 'a step to its end, then nothing');
  assert.equal(rows[2]![CAP_KEY], null);
});

test('busiestInHistory keeps the heaviest apps in their order; rangeAxis ticks the range', () => {
  assert.deepEqual(busiestInHistory(history, 'cpu', ['a', 'b', 'c'], 2), ['a', 'b']);
  assert.deepEqual(busiestInHistory(history, 'cpu', ['c', 'b', 'a'], 1), ['b']);
  const axis = rangeAxis('30d');
  assert.deepEqual(axis.domain, [-30 * 24 * H, 0]);
  assert.equal(axis.ticks.length, 7);
  assert.equal(axis.format(-10 * 24 * H), '−10 d');
  assert.equal(axis.format(0), 'now');
  assert.equal(rangeAxis('24h').format(-4 * H), '−4 h');
});
