// The dashboard's capacity helpers (renderer/src/lib/capacity.ts) and the limits
// slice's capacity: cap as a share of the capacity, the cap slider's range, typed
// capacities, the source in words; and that they agree with electron/common/model.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Capacity } from '../../electron/common/model.js';
import { PEAK_OBSERVED_METHOD as MODEL_PEAK, capacityLimit as modelCapacityLimit } from '../../electron/common/model.js';
import {
  PEAK_OBSERVED_METHOD,
  capacityLimit,
  capShare,
  capSliderMax,
  capacityWords,
  formatCapacity,
  formatCapShare,
  isLowerBound,
  parseCapacity,
  usageBarScale,
} from '../../renderer/src/lib/capacity.js';
import { MACHINE_MAX } from '../../renderer/src/lib/constraints.js';
import { createAppStore } from '../../renderer/src/store/store.js';
import { selectCapacity } from '../../renderer/src/store/selectors.js';
import { capacities, fullState } from './fixtures.js';

const LINK: Capacity = { bytesPerSec: 125e6, source: 'measured', measuredAt: new Date(2026, 10, 22, 14, 5, 9).getTime(), method: 'eth0 link speed 1000 Mb/s' };
const PEAK: Capacity = { bytesPerSec: 4e6, source: 'measured', measuredAt: 1, method: 'peak observed on wlan0' };
const OWNER: Capacity = { bytesPerSec: 50e6, source: 'owner', measuredAt: null, method: null };
const UNKNOWN: Capacity = { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null };

test('same rule as the engine for which capacity bounds a cap', () => {
  assert.equal(PEAK_OBSERVED_METHOD, MODEL_PEAK);
  for (const c of [LINK, PEAK, OWNER, UNKNOWN, undefined]) assert.equal(capacityLimit(c), modelCapacityLimit(c), JSON.stringify(c));
  assert.equal(isLowerBound(PEAK), true);
  assert.equal(isLowerBound(LINK), false);
});

test('the cap slider goes up to a known capacity, otherwise the usual range', () => {
  assert.equal(capSliderMax('netUp', LINK), 125e6);
  assert.equal(capSliderMax('disk', OWNER), 50e6);
  assert.equal(capSliderMax('netDown', UNKNOWN), MACHINE_MAX.netDown);
  assert.equal(capSliderMax('netDown', PEAK), MACHINE_MAX.netDown, 'a lower bound does not shorten the slider');
  assert.equal(capSliderMax('disk', undefined), MACHINE_MAX.disk);
});

test('a cap as a share of the capacity: "% of link" / "% of disk"', () => {
  assert.equal(capShare(25e6, LINK), 0.2);
  assert.equal(capShare(null, LINK), null, 'no cap');
  assert.equal(capShare(1e6, UNKNOWN), null);
  assert.equal(formatCapShare('netUp', 50e6, LINK), '40% of link');
  assert.equal(formatCapShare('netDown', 1.25e6, LINK), '1% of link');
  assert.equal(formatCapShare('netDown', 0.5e6, LINK), '0.4% of link');
  assert.equal(formatCapShare('disk', 12.5e6, OWNER), '25% of disk');
  assert.equal(formatCapShare('netDown', 2e6, PEAK), '≤ 50% of link', 'a lower bound: the share is at most that');
  assert.equal(formatCapShare('netDown', 4e6, PEAK), '≤ 100% of link');
  assert.equal(formatCapShare('netDown', 2e6, UNKNOWN), null);
  assert.equal(formatCapShare('netDown', 0, LINK), '0% of link');
});

test('a typed capacity: a positive rate with units, or a message saying what to type', () => {
  assert.deepEqual(parseCapacity('netUp', '12.5MB/s'), { ok: true, value: 12.5e6 });
  assert.deepEqual(parseCapacity('disk', '1 GB/s'), { ok: true, value: 1e9 });
  for (const bad of ['0', '0MB/s', 'fast', '-5MB/s', '5PB/s', '']) {
    const r = parseCapacity('netDown', bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.error, /^Type /);
  }
});

test('a peak observed on an idle link is never turned into an absurd percentage', () => {
  const idle: Capacity = { bytesPerSec: 3521, source: 'measured', measuredAt: 1, method: 'peak observed on eth0' };
  assert.equal(formatCapShare('netUp', 1e6, idle), null, 'not "≤ 28398% of link"');
  assert.equal(formatCapShare('netUp', 1e3, idle), '≤ 28% of link', 'a cap under the lower bound: a true upper estimate');
  assert.equal(formatCapShare('netUp', null, idle), null, 'no cap');
});

test('where a capacity came from, in words; unknown said once, with the action that fixes it', () => {
  const now = new Date(2026, 10, 22, 18, 0, 0).getTime();
  assert.deepEqual(capacityWords('netUp', LINK, now), { label: 'Link capacity', value: '125 MB/s', source: 'measured: eth0 link speed 1000 Mb/s, 14:05:09', action: null });
  assert.deepEqual(capacityWords('disk', OWNER, now), { label: 'Disk capacity', value: '50 MB/s', source: 'given by you', action: null });
  assert.deepEqual(capacityWords('netDown', PEAK, now), {
    label: 'Link speed',
    value: '≥ 4 MB/s',
    source: 'the most seen on wlan0 so far',
    action: 'The link may be faster: set its speed to see the cap as a share of it.',
  });
  for (const c of [UNKNOWN, undefined]) {
    const disk = capacityWords('disk', c, now);
    assert.deepEqual(disk, { label: 'Disk capacity unknown', value: null, source: null, action: 'Measure it, or set it, to see the cap as a share of the disk.' });
    const link = capacityWords('netUp', c, now);
    assert.equal(`${link.label} ${link.value ?? ''} ${link.source ?? ''}`.match(/unknown/g)?.length, 1, 'unknown is said once');
    assert.match(link.action ?? '', /^Set your link's speed/);
  }
  assert.equal(formatCapacity('netUp', LINK), '125 MB/s');
  assert.equal(formatCapacity('netUp', PEAK), '≥ 4 MB/s');
  assert.equal(formatCapacity('disk', UNKNOWN), 'unknown');
});

test('a usage bar measures against the cap, else the machine or a known capacity, else nothing (never drawn full)', () => {
  assert.equal(usageBarScale('disk', 10e6, 2e6, UNKNOWN), 10e6);
  assert.equal(usageBarScale('disk', 10e6, 12e6, UNKNOWN), 12e6, 'over the cap: the bar is full and the mark inside');
  assert.equal(usageBarScale('cpu', null, 0.3, undefined), 1, 'the CPU without a cap: the whole machine');
  assert.equal(usageBarScale('netUp', null, 1e6, LINK), 125e6, 'without a cap: the link');
  assert.equal(usageBarScale('disk', null, 7e3, UNKNOWN), null, 'an uncapped disk of unknown capacity: no bar, not a full one');
  assert.equal(usageBarScale('mem', null, 705e3, undefined), null, 'an uncapped memory: no bar');
  assert.equal(usageBarScale('netDown', null, 2e3, PEAK), null, 'a lower bound is not a scale');
  assert.equal(usageBarScale('netUp', 0, 0, LINK), 1, 'a zero cap (paused) does not divide by zero');
});

test('limits slice: the capacity from the engine state and from the capacity commands, stable when equal', () => {
  const store = createAppStore();
  const s = () => store.getState();
  assert.equal(s().capacity, null);
  assert.equal(selectCapacity('netUp')(s()), undefined);
  s().setEngineState(fullState([], { capacity: capacities({ netUp: LINK, netDown: LINK }) }));
  assert.deepEqual(selectCapacity('netUp')(s()), LINK);
  assert.equal(selectCapacity('cpu')(s()), undefined, 'no capacity for cpu');
  assert.equal(selectCapacity('mem')(s()), undefined);
  const before = s().capacity;
  s().setEngineState(fullState([], { capacity: capacities({ netUp: { ...LINK }, netDown: { ...LINK } }) }));
  assert.equal(s().capacity, before, 'same content: same object');
  s().setCapacity(capacities({ netUp: LINK, netDown: LINK, disk: OWNER }));
  assert.deepEqual(selectCapacity('disk')(s()), OWNER);
  assert.notEqual(s().capacity, before);
});
