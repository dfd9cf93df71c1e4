// The grid editor's pure parts: a rectangle painted either way round, the keyboard's moves
// staying inside the week, and now/next in words from the engine's schedule state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptySchedule, type ScheduleState } from '../../electron/common/schedule.js';
import { describeNext, describeNow, moveCell, paintRect } from '../../renderer/src/lib/scheduleGrid.js';

test('a rectangle is painted from any corner to the opposite one, corners included', () => {
  const slots = emptySchedule().slots;
  const a = paintRect(slots, { day: 0, hour: 9 }, { day: 4, hour: 17 }, 'inUse');
  const b = paintRect(slots, { day: 4, hour: 17 }, { day: 0, hour: 9 }, 'inUse');
  assert.deepEqual(a, b);
  assert.equal(a.filter((s) => s === 'inUse').length, 5 * 9);
  assert.equal(a[9], 'inUse');
  assert.equal(a[4 * 24 + 17], 'inUse');
  assert.equal(a[4 * 24 + 18], 'auto');
  assert.equal(a[5 * 24 + 9], 'auto');
  assert.equal(slots[9], 'auto', 'the old grid is left as it was');
});

test('keys move the focus and stay inside the week', () => {
  assert.deepEqual(moveCell({ day: 0, hour: 0 }, 'ArrowLeft'), { day: 0, hour: 0 });
  assert.deepEqual(moveCell({ day: 0, hour: 0 }, 'ArrowUp'), { day: 0, hour: 0 });
  assert.deepEqual(moveCell({ day: 3, hour: 5 }, 'ArrowRight'), { day: 3, hour: 6 });
  assert.deepEqual(moveCell({ day: 3, hour: 5 }, 'ArrowDown'), { day: 4, hour: 5 });
  assert.deepEqual(moveCell({ day: 6, hour: 23 }, 'ArrowDown'), { day: 6, hour: 23 });
  assert.deepEqual(moveCell({ day: 3, hour: 5 }, 'End'), { day: 3, hour: 23 });
  assert.deepEqual(moveCell({ day: 3, hour: 5 }, 'Home'), { day: 3, hour: 0 });
  assert.deepEqual(moveCell({ day: 3, hour: 5 }, 'PageDown'), { day: 6, hour: 5 });
  assert.equal(moveCell({ day: 3, hour: 5 }, 'a'), null);
});

test('now and next in words: why the profile is in force, and the next change in the engine\'s zone', () => {
  const base: ScheduleState = { ...emptySchedule(), enabled: true, timeZone: 'Europe/Berlin', reason: 'schedule', now: 'inUse', paused: false, pickUntil: null, next: { at: Date.parse('2026-03-23T17:00Z'), slot: 'paused' } };
  assert.equal(describeNow(base, 'inUse', null), 'In use — forced by the schedule');
  assert.equal(describeNext(base), 'Mon 18:00: Paused');
  assert.equal(describeNow({ ...base, reason: 'manual', pickUntil: base.next!.at }, 'idle', null), 'Idle — picked by hand, until the schedule\'s change at Mon 18:00');
  assert.equal(describeNow({ ...base, reason: 'detection', now: 'paused', paused: true }, 'idle', { onBattery: false, idleSeconds: 0, locked: false, sources: [], at: 0 }), 'Idle — from idle and power detection; all apps paused by the schedule');
  assert.equal(describeNext({ ...base, enabled: false }), 'Nothing: the schedule is off.');
  assert.equal(describeNext({ ...base, next: null }), 'Nothing: every hour of the week is the same.');
});
