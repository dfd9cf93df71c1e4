// The contract's argument schemas for the capacity commands: what is accepted and
// what is refused (both bridges validate with parseCommandArgs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMAND_NAMES, CommandError, ERROR_CODES, parseCommandArgs } from '../../electron/common/contract.js';
import { CapacitySchema, capacityIsLowerBound, capacityLimit } from '../../electron/common/model.js';

test('setCapacity and measureCapacity are commands of the contract (both bridges derive their lists from it)', () => {
  assert.ok(COMMAND_NAMES.includes('setCapacity'));
  assert.ok(COMMAND_NAMES.includes('measureCapacity'));
  assert.ok(ERROR_CODES.includes('capExceedsCapacity'));
});

test('setCapacity: a positive rate up to 1 PB, or null, for netUp, netDown or disk', () => {
  assert.deepEqual(parseCommandArgs('setCapacity', { resource: 'netUp', bytesPerSec: 12.5e6 }), { resource: 'netUp', bytesPerSec: 12.5e6 });
  assert.deepEqual(parseCommandArgs('setCapacity', { resource: 'disk', bytesPerSec: null }), { resource: 'disk', bytesPerSec: null });
  assert.deepEqual(parseCommandArgs('setCapacity', { resource: 'netDown', bytesPerSec: 1e15 }).bytesPerSec, 1e15);
  for (const bad of [
    { resource: 'cpu', bytesPerSec: 1 },
    { resource: 'mem', bytesPerSec: 1 },
    { resource: 'net', bytesPerSec: 1 },
    { resource: 'netUp', bytesPerSec: -1 },
    { resource: 'netUp', bytesPerSec: 0 },
    { resource: 'netUp', bytesPerSec: Number.NaN },
    { resource: 'netUp', bytesPerSec: Number.POSITIVE_INFINITY },
    { resource: 'disk', bytesPerSec: 1e15 + 1 },
    { resource: 'disk', bytesPerSec: '5MB/s' },
    { resource: 'disk' },
    { resource: 'disk', bytesPerSec: 1, source: 'measured' },
  ]) {
    assert.throws(() => parseCommandArgs('setCapacity', bad), (e: unknown) => e instanceof CommandError && e.code === 'invalid' && /^setCapacity: /.test(e.message), JSON.stringify(bad));
  }
});

test('measureCapacity: net or disk, nothing else', () => {
  assert.deepEqual(parseCommandArgs('measureCapacity', { resource: 'net' }), { resource: 'net' });
  assert.deepEqual(parseCommandArgs('measureCapacity', { resource: 'disk' }), { resource: 'disk' });
  for (const bad of [{ resource: 'netUp' }, { resource: 'cpu' }, {}, { resource: 'disk', bytes: 1 }]) {
    assert.throws(() => parseCommandArgs('measureCapacity', bad), (e: unknown) => e instanceof CommandError && e.code === 'invalid', JSON.stringify(bad));
  }
});

test('a capacity record: value exactly when known; a peak observed is a lower bound and limits no cap', () => {
  assert.ok(CapacitySchema.safeParse({ bytesPerSec: null, source: 'unknown', measuredAt: null, method: null }).success);
  assert.ok(!CapacitySchema.safeParse({ bytesPerSec: 1, source: 'unknown', measuredAt: null, method: null }).success);
  assert.ok(!CapacitySchema.safeParse({ bytesPerSec: null, source: 'measured', measuredAt: 1, method: 'x' }).success);
  assert.ok(!CapacitySchema.safeParse({ bytesPerSec: 1, source: 'owner', measuredAt: -1, method: null }).success);
  assert.ok(!CapacitySchema.safeParse({ bytesPerSec: 1, source: 'owner', measuredAt: null, method: 'x'.repeat(201) }).success);
  const peak = { bytesPerSec: 5e6, source: 'measured', measuredAt: 1, method: 'peak observed on wlan0' } as const;
  const link = { bytesPerSec: 125e6, source: 'measured', measuredAt: 1, method: 'eth0 link speed 1000 Mb/s' } as const;
  assert.equal(capacityIsLowerBound(peak), true);
  assert.equal(capacityLimit(peak), null);
  assert.equal(capacityLimit(link), 125e6);
  assert.equal(capacityLimit({ bytesPerSec: 3e6, source: 'owner', measuredAt: null, method: null }), 3e6);
  assert.equal(capacityLimit(undefined), null);
});
