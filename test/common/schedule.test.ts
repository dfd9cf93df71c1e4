// The week schedule's evaluator, pure, in explicit zones: which slot an instant falls in and
// when the schedule next changes, across both DST switches of Europe/Berlin and
// America/New_York (an hour that does not exist, an hour that happens twice), in a zone
// with a half-hour offset; and the schedule as a person types it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCHEDULE_SLOTS, emptySchedule, localDayHour, nextChange, slotAt, type Schedule, type ScheduleSlot } from '../../electron/common/schedule.js';
import { dayRuns, formatInstant, readDayRuns, readDays, readHours, readSlot } from '../../electron/common/schedule-text.js';

const utc = (iso: string) => Date.parse(`${iso}Z`);
const iso = (ms: number | undefined) => (ms === undefined ? 'none' : new Date(ms).toISOString().slice(0, 16));

/** An enabled schedule with `slot` at each (day, hour) given, auto elsewhere. */
function grid(cells: Array<[day: number, hour: number, slot: ScheduleSlot]>): Schedule {
  const s = emptySchedule();
  s.enabled = true;
  for (const [d, h, slot] of cells) s.slots[d * 24 + h] = slot;
  return s;
}

test('local day and hour: Monday is day 0, in the zone asked for', () => {
  const t = utc('2026-03-23T07:30'); // a Monday
  assert.deepEqual(localDayHour(t, 'UTC'), { day: 0, hour: 7 });
  assert.deepEqual(localDayHour(t, 'Europe/Berlin'), { day: 0, hour: 8 });
  assert.deepEqual(localDayHour(t, 'America/New_York'), { day: 0, hour: 3 });
  assert.deepEqual(localDayHour(utc('2026-03-22T23:30'), 'UTC'), { day: 6, hour: 23 });
  assert.deepEqual(localDayHour(utc('2026-03-22T23:30'), 'Europe/Berlin'), { day: 0, hour: 0 }, 'past midnight in Berlin: Monday');
});

test('off, or the same every hour: no slot, no change', () => {
  const off = grid([[0, 9, 'idle']]);
  off.enabled = false;
  assert.equal(slotAt(off, utc('2026-03-23T08:30'), 'Europe/Berlin'), null);
  assert.equal(nextChange(off, utc('2026-03-23T08:30'), 'Europe/Berlin'), null);
  const same = emptySchedule();
  same.enabled = true;
  same.slots.fill('paused');
  assert.equal(slotAt(same, 0, 'UTC'), 'paused');
  assert.equal(nextChange(same, 0, 'UTC'), null);
});

const ZONES = {
  // [zone, spring-forward Sunday 00:00 UTC-ish anchor, the local hour that is skipped / repeated, UTC of the repeated hour's two starts]
  'Europe/Berlin': { saturdayBeforeSpring: '2026-03-28T12:00', springNextWeek: '2026-04-05T00:00', saturdayBeforeFall: '2026-10-24T12:00', skipped: 2, repeated: 2, fallStart: '2026-10-25T00:00', fallEnd: '2026-10-25T02:00' },
  'America/New_York': { saturdayBeforeSpring: '2026-03-07T12:00', springNextWeek: '2026-03-15T06:00', saturdayBeforeFall: '2026-10-31T12:00', skipped: 2, repeated: 1, fallStart: '2026-11-01T05:00', fallEnd: '2026-11-01T07:00' },
} as const;

for (const [zone, z] of Object.entries(ZONES)) {
  test(`${zone}: the hour DST skips never comes that Sunday; the next one is a week later`, () => {
    const s = grid([[6, z.skipped, 'paused']]);
    const next = nextChange(s, utc(z.saturdayBeforeSpring), zone);
    assert.equal(iso(next?.at), z.springNextWeek);
    assert.equal(next?.slot, 'paused');
    assert.equal(slotAt(s, next!.at, zone), 'paused');
    assert.equal(slotAt(s, next!.at - 1, zone), 'auto');
  });

  test(`${zone}: the hour DST repeats lasts two real hours`, () => {
    const s = grid([[6, z.repeated, 'idle']]);
    const start = nextChange(s, utc(z.saturdayBeforeFall), zone);
    assert.equal(iso(start?.at), z.fallStart);
    assert.equal(start?.slot, 'idle');
    assert.equal(slotAt(s, start!.at + 90 * 60_000, zone), 'idle', 'still idle 90 min later: the same local hour again');
    const end = nextChange(s, start!.at, zone);
    assert.equal(iso(end?.at), z.fallEnd);
    assert.equal(end?.slot, 'auto');
  });
}

test('office hours across a switch: 09:00 local is 08:00 UTC one week and 07:00 UTC the next (Berlin), 14:00 then 13:00 (New York)', () => {
  const s = grid(Array.from({ length: 9 }, (_, i) => [0, 9 + i, 'inUse'] as [number, number, ScheduleSlot]));
  assert.equal(iso(nextChange(s, utc('2026-03-21T12:00'), 'Europe/Berlin')?.at), '2026-03-23T08:00');
  assert.equal(iso(nextChange(s, utc('2026-03-28T12:00'), 'Europe/Berlin')?.at), '2026-03-30T07:00');
  assert.equal(iso(nextChange(s, utc('2026-03-02T16:00'), 'America/New_York')?.at), '2026-03-02T23:00', 'Monday 18:00 EST: back to auto');
  assert.equal(iso(nextChange(s, utc('2026-03-07T12:00'), 'America/New_York')?.at), '2026-03-09T13:00');
});

test('a half-hour zone: the change falls on the half hour of UTC', () => {
  const s = grid([[0, 9, 'idle']]);
  const next = nextChange(s, utc('2026-03-01T00:00'), 'Asia/Kolkata');
  assert.equal(iso(next?.at), '2026-03-02T03:30');
});

test('the change after an instant is strictly later, even exactly at a boundary', () => {
  const s = grid([[0, 9, 'idle']]);
  const at = utc('2026-03-23T09:00');
  assert.equal(slotAt(s, at, 'UTC'), 'idle');
  assert.equal(iso(nextChange(s, at, 'UTC')?.at), '2026-03-23T10:00');
  assert.equal(formatInstant(at, 'UTC'), 'Mon 09:00');
  assert.equal(formatInstant(at, 'Europe/Berlin'), 'Mon 10:00');
});

test('as a person types it: slots, days, hours and runs, which read back exactly', () => {
  assert.deepEqual(readSlot('in-use'), { ok: true, value: 'inUse' });
  assert.deepEqual(readSlot('On battery'), { ok: true, value: 'battery' });
  assert.match((readSlot('turbo') as { error: string }).error, /one of auto, in-use, idle, battery, paused/);
  assert.deepEqual(readDays('mon-fri'), { ok: true, value: [0, 1, 2, 3, 4] });
  assert.deepEqual(readDays('fri-mon'), { ok: true, value: [0, 4, 5, 6] });
  assert.deepEqual(readDays('weekend,wed'), { ok: true, value: [2, 5, 6] });
  assert.deepEqual(readDays('Sunday'), { ok: true, value: [6] });
  assert.equal(readDays('someday').ok, false);
  assert.deepEqual(readHours('09-18'), { ok: true, value: [9, 18] });
  assert.deepEqual(readHours('9'), { ok: true, value: [9, 10] });
  assert.deepEqual(readHours('22-24'), { ok: true, value: [22, 24] });
  assert.deepEqual(readHours('all'), { ok: true, value: [0, 24] });
  for (const bad of ['18-09', '24', '9-9', 'noon', '-1']) assert.equal(readHours(bad).ok, false, bad);
  const day: ScheduleSlot[] = Array(24).fill('auto');
  day.fill('inUse', 9, 18);
  day[23] = 'paused';
  const text = dayRuns(day);
  assert.equal(text, '00-09 auto, 09-18 in-use, 18-23 auto, 23-24 paused');
  assert.deepEqual(readDayRuns(text), { ok: true, value: day });
  assert.deepEqual(readDayRuns('09-18 in-use, 23 paused'), { ok: true, value: day }, 'hours no run names are auto');
  assert.match((readDayRuns('09-18 in-use, 17-19 idle') as { error: string }).error, /17:00 is already in another run/);
  assert.match((readDayRuns('09-18') as { error: string }).error, /expected HOURS SLOT/);
  assert.equal(emptySchedule().slots.length, SCHEDULE_SLOTS);
});
