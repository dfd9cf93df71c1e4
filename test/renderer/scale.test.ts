// Slider scales: every notch changes the value, values read back land on stable
// positions, and the values owners type most are on the grid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grid, maxPosition, positionToValue, steps, valueToPosition } from '../../renderer/src/lib/scale.js';
import { MACHINE_MAX } from '../../renderer/src/lib/constraints.js';
import { RESOURCES } from '../../renderer/src/lib/units.js';

test('each grid is strictly increasing from 0 to the machine maximum', () => {
  for (const r of RESOURCES) {
    const g = grid(r);
    assert.equal(g[0], 0);
    assert.equal(g[g.length - 1], MACHINE_MAX[r]);
    for (let i = 1; i < g.length; i++) assert.ok(g[i]! > g[i - 1]!, `${r}: ${g[i]} after ${g[i - 1]}`);
    assert.equal(steps(r), g.length - 1);
  }
});

test('position → value → position is the identity (no notch is stuck)', () => {
  for (const r of RESOURCES) {
    for (let p = 0; p <= steps(r); p++) assert.equal(valueToPosition(r, positionToValue(r, p)), p, `${r} @ ${p}`);
  }
});

test('common values are exact notches', () => {
  for (const [r, v] of [['netUp', 500e3], ['netDown', 2e6], ['disk', 10e6], ['mem', 500e6], ['mem', 2e9], ['cpu', 0.25], ['cpu', 0.005]] as const) {
    assert.equal(positionToValue(r, valueToPosition(r, v)), v, `${r} ${v}`);
  }
  assert.equal(steps('cpu'), 200); // 0.5 % per notch
});

test('off-grid values go to the nearest notch; ends pin', () => {
  assert.equal(positionToValue('netUp', valueToPosition('netUp', 510e3)), 500e3);
  assert.equal(positionToValue('netUp', valueToPosition('netUp', 1)), 0);
  assert.equal(valueToPosition('netUp', 1e12), steps('netUp'));
  assert.equal(valueToPosition('cpu', -1), 0);
  assert.equal(positionToValue('cpu', 9999), 1);
});

test('maxPosition is the last notch not past a limit', () => {
  assert.equal(positionToValue('cpu', maxPosition('cpu', 0.25)), 0.25);
  assert.equal(positionToValue('cpu', maxPosition('cpu', 0.2549)), 0.25);
  assert.equal(maxPosition('netUp', 0), 0);
  assert.ok(positionToValue('netUp', maxPosition('netUp', 750e3)) <= 750e3);
  assert.equal(maxPosition('mem', MACHINE_MAX.mem), steps('mem'));
});
