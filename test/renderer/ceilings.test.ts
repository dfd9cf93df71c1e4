// The bounds of an app's ceiling slider: from its nominal share to the owner's loosest cap (the
// machine's maximum where a profile has no cap), never an empty range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ceilingBounds } from '../../renderer/src/lib/ceilings.js';
import { MACHINE_MAX } from '../../renderer/src/lib/constraints.js';
import { limits } from './fixtures.js';

test('ceiling bounds: the share below, the loosest cap above', () => {
  const profiles = { inUse: limits({ netUp: 1e6 }), idle: limits({ netUp: 4e6 }), battery: limits({ netUp: 5e5 }) };
  assert.deepEqual(ceilingBounds('netUp', 2e5, profiles), { min: 2e5, max: 4e6 });
  assert.deepEqual(ceilingBounds('netUp', 2e5, { ...profiles, idle: limits({ netUp: null }) }), { min: 2e5, max: MACHINE_MAX.netUp });
  assert.deepEqual(ceilingBounds('cpu', 0.6, { inUse: limits({ cpu: 0.5 }) }), { min: 0.6, max: 0.6 }, 'a share above every cap: the range is the share');
  assert.deepEqual(ceilingBounds('mem', 0, null), { min: 0, max: MACHINE_MAX.mem }, 'before the state arrived');
});
