// The week schedule in the engine, on a virtual clock in Europe/Berlin: transitions at the
// boundaries, both DST switches, the wall clock set forward and back, a suspend longer than a
// slot, a manual pick that holds until the schedule's next change, a restart, the contract
// refusing bad grids by field; and, on the real clock, a real app paused by the schedule.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { EventLogEntry } from '../../electron/common/model.js';
import type { ScheduleSlot } from '../../electron/common/schedule.js';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { ManualClock } from './fake-clock.js';
import { requireHelper, tempDir, testEngine, until } from './helpers.js';
import { ManualSource } from './power/fakes.js';

const utc = (iso: string) => Date.parse(`${iso}Z`);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** Weekdays 09–18 in use, every night 22–24 paused, Sunday 02–03 on battery; auto elsewhere. */
function weekGrid(): ScheduleSlot[] {
  const s: ScheduleSlot[] = Array(168).fill('auto');
  for (let d = 0; d < 5; d++) s.fill('inUse', d * 24 + 9, d * 24 + 18);
  for (let d = 0; d < 7; d++) s.fill('paused', d * 24 + 22, d * 24 + 24);
  s[6 * 24 + 2] = 'battery';
  return s;
}

/** An engine whose idle and power detection says "idle", on a virtual clock at `wallIso` (UTC). */
function options(wallIso: string) {
  const clock = new ManualClock(utc(wallIso));
  const power = new ManualSource();
  power.reading = { onBattery: false, idleSeconds: 10_000, locked: false };
  return { clock, power, timeZone: 'Europe/Berlin', sampleNetwork: false };
}

async function start(t: { after: (fn: () => unknown) => void }, wallIso: string, withGrid = true) {
  const opts = options(wallIso);
  const { engine, dir } = await testEngine(t, opts);
  await engine.invoke('updateSettings', { snapshotHz: 0.2 }); // fewer virtual timers to step through
  if (withGrid) await engine.invoke('setSchedule', { enabled: true, slots: weekGrid() });
  const log: EventLogEntry[] = [];
  engine.on('log', (e) => log.push(e));
  return { engine, dir, clock: opts.clock, log, state: () => engine.invoke('getState', {}) };
}

test('transitions at the boundaries: detection, the schedule\'s profile, detection, a scheduled pause', async (t) => {
  const { clock, log, state } = await start(t, '2026-03-23T07:30'); // Monday 08:30 CET
  let s = await state();
  assert.equal(s.schedule.timeZone, 'Europe/Berlin');
  assert.deepEqual([s.profile, s.schedule.reason, s.schedule.now, s.schedule.paused], ['idle', 'detection', 'auto', false]);
  assert.deepEqual(s.schedule.next, { at: utc('2026-03-23T08:00'), slot: 'inUse' });

  await clock.advance(30 * MIN + 100);
  s = await state();
  assert.deepEqual([s.profile, s.schedule.reason, s.schedule.now], ['inUse', 'schedule', 'inUse'], '09:00: the schedule forces "in use"');
  assert.deepEqual(s.schedule.next, { at: utc('2026-03-23T17:00'), slot: 'auto' });

  await clock.advance(9 * HOUR);
  s = await state();
  assert.deepEqual([s.profile, s.schedule.reason], ['idle', 'detection'], '18:00: detection decides again');

  await clock.advance(4 * HOUR);
  s = await state();
  assert.deepEqual([s.schedule.now, s.schedule.paused, s.profile], ['paused', true, 'idle']);
  assert.deepEqual([s.limits.cpu, s.limits.netUp, s.limits.netDown, s.limits.disk], [0, 0, 0, 0], 'a scheduled pause: the caps in force are zero');
  assert.ok(log.some((e) => e.message === 'schedule: Paused from Mon 22:00'), log.map((e) => e.message).join('\n'));
});

test('DST spring forward: Sunday 02:00 does not exist, so the battery slot never comes', async (t) => {
  const { engine, clock, state } = await start(t, '2026-03-28T22:30'); // Saturday 23:30 CET, paused
  const seen = new Set<string>();
  engine.on('state', (s) => seen.add(s.profile));
  assert.equal((await state()).schedule.paused, true);
  assert.deepEqual((await state()).schedule.next, { at: utc('2026-03-28T23:00'), slot: 'auto' });
  await clock.advance(31 * MIN);
  assert.equal((await state()).schedule.paused, false, 'Sunday 00:00: no longer paused');
  await clock.advance(4 * HOUR); // 01:00 UTC the clocks went from 02:00 to 03:00
  const s = await state();
  assert.ok(!seen.has('battery'), 'the skipped hour was never in force');
  assert.deepEqual([s.profile, s.schedule.now], ['idle', 'auto']);
  assert.deepEqual(s.schedule.next, { at: utc('2026-03-29T20:00'), slot: 'paused' }, 'Sunday 22:00 CEST');
});

test('DST fall back: Sunday 02:00 happens twice, so the battery slot lasts two hours', async (t) => {
  const { clock, state } = await start(t, '2026-10-24T21:30'); // Saturday 23:30 CEST
  await clock.advance(2 * HOUR + 30 * MIN + 100); // 00:00 UTC = 02:00 CEST
  let s = await state();
  assert.deepEqual([s.profile, s.schedule.reason], ['battery', 'schedule']);
  assert.deepEqual(s.schedule.next, { at: utc('2026-10-25T02:00'), slot: 'auto' }, '03:00 CET, two hours later');
  await clock.advance(HOUR + 30 * MIN); // 02:30 CET, the second time
  assert.equal((await state()).profile, 'battery');
  await clock.advance(31 * MIN);
  s = await state();
  assert.deepEqual([s.profile, s.schedule.reason], ['idle', 'detection']);
});

test('the wall clock set forward and back: noticed within a minute, said in the log', async (t) => {
  const { clock, log, state } = await start(t, '2026-03-23T07:30'); // Monday 08:30
  clock.setWall(utc('2026-03-23T09:30')); // 10:30, the monotonic clock unmoved
  assert.equal((await state()).profile, 'idle', 'not yet looked at');
  await clock.advance(MIN);
  assert.deepEqual([(await state()).profile, (await state()).schedule.reason], ['inUse', 'schedule']);
  assert.ok(log.some((e) => /wall clock moved ahead 7200 s/.test(e.message)), log.map((e) => e.message).join('\n'));
  clock.setWall(utc('2026-03-23T07:00')); // back to 08:00
  await clock.advance(MIN);
  assert.deepEqual([(await state()).profile, (await state()).schedule.reason], ['idle', 'detection']);
  assert.ok(log.some((e) => /wall clock moved back \d+ s/.test(e.message)));
});

test('a suspend longer than a slot: on resume the slot of now, within a minute', async (t) => {
  const { clock, state } = await start(t, '2026-03-23T16:30'); // Monday 17:30, in use
  assert.equal((await state()).profile, 'inUse');
  clock.setWall(utc('2026-03-23T21:30')); // five hours asleep: 18:00 (auto) passed unseen, now 22:30
  await clock.advance(MIN);
  const s = await state();
  assert.deepEqual([s.schedule.paused, s.profile, s.schedule.reason], [true, 'idle', 'detection']);
});

test('a manual pick overrides the schedule — its profile and its pause — until the schedule\'s next change', async (t) => {
  const { engine, clock, log, state } = await start(t, '2026-03-23T07:30'); // Monday 08:30
  let s = await engine.invoke('setProfile', { profile: 'battery' });
  assert.deepEqual([s.profile, s.schedule.reason, s.schedule.pickUntil], ['battery', 'manual', utc('2026-03-23T08:00')]);
  await clock.advance(29 * MIN);
  assert.equal((await state()).profile, 'battery');
  await clock.advance(2 * MIN);
  s = await state();
  assert.deepEqual([s.profileChoice, s.profile, s.schedule.reason, s.schedule.pickUntil], ['auto', 'inUse', 'schedule', null]);
  assert.ok(log.some((e) => e.message.startsWith('the pick of "On battery" ended')));

  await clock.advance(13 * HOUR); // Monday 22:01: paused
  assert.equal((await state()).schedule.paused, true);
  s = await engine.invoke('setProfile', { profile: 'inUse' });
  assert.deepEqual([s.schedule.paused, s.profile, s.limits.cpu, s.schedule.pickUntil], [false, 'inUse', null, utc('2026-03-23T23:00')], 'the pick lifts the pause until Tuesday 00:00');
  await clock.advance(HOUR);
  assert.equal((await state()).profile, 'inUse', 'Monday 23:01: the pick still holds');
  await clock.advance(HOUR);
  s = await state();
  assert.deepEqual([s.profileChoice, s.profile, s.schedule.paused], ['auto', 'idle', false]);

  // with the schedule off a pick holds until changed, as without schedules
  await engine.invoke('setSchedule', { enabled: false });
  s = await engine.invoke('setProfile', { profile: 'battery' });
  assert.deepEqual([s.schedule.reason, s.schedule.pickUntil, s.schedule.next], ['manual', null, null]);
  await clock.advance(2 * HOUR);
  assert.equal((await state()).profile, 'battery');
  // turned on again, the standing pick gets the schedule's next change as its end
  s = await engine.invoke('setSchedule', { enabled: true });
  assert.equal(s.schedule.pickUntil, utc('2026-03-24T08:00'));
});

test('the schedule and a pick survive a restart; a pick that ended meanwhile is over', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const run = async (wallIso: string, fn: (engine: Engine) => Promise<void>) => {
    const engine = await createEngine({ configDir: dir, autostart: false, ...options(wallIso) });
    try {
      await fn(engine);
    } finally {
      await engine.shutdown({ leaveRunning: false });
    }
  };
  await run('2026-03-23T07:30', async (engine) => {
    await engine.invoke('setSchedule', { enabled: true, slots: weekGrid() });
    await engine.invoke('setProfile', { profile: 'battery' });
  });
  await run('2026-03-23T07:45', async (engine) => {
    const s = await engine.invoke('getState', {});
    assert.deepEqual(s.schedule.slots, weekGrid());
    assert.deepEqual([s.schedule.enabled, s.profile, s.schedule.reason, s.schedule.pickUntil], [true, 'battery', 'manual', utc('2026-03-23T08:00')]);
  });
  await run('2026-03-23T09:30', async (engine) => {
    const s = await engine.invoke('getState', {});
    assert.deepEqual([s.profileChoice, s.profile, s.schedule.reason], ['auto', 'inUse', 'schedule'], 'started past the pick\'s end, at 10:30');
  });
});

test('the contract refuses bad grids, naming the field; a bad grid in settings.json is moved aside', async (t) => {
  const { engine, dir } = await testEngine(t, { timeZone: 'Europe/Berlin' });
  const refused = (args: unknown, message: RegExp) => assert.rejects(engine.invoke('setSchedule', args), (e: Error & { code?: string }) => e.code === 'invalid' && message.test(e.message), String(message));
  const slots = (): unknown[] => Array(168).fill('auto');
  await refused({}, /^setSchedule: give enabled, slots or both$/);
  await refused({ slots: slots().slice(1) }, /^setSchedule: slots: expected 168 slots \(7 days × 24 hours, Monday 00:00 first\)$/);
  await refused({ slots: Object.assign(slots(), { 5: 'turbo' }) }, /^setSchedule: slots\[5\]: Invalid enum value\. Expected 'auto' \| 'inUse' \| 'idle' \| 'battery' \| 'paused', received 'turbo'$/);
  await refused({ enabled: 'yes' }, /^setSchedule: enabled: Expected boolean, received string$/);
  await refused({ enabled: true, days: [] }, /^setSchedule: Unrecognized key\(s\) in object: 'days'$/);
  assert.equal((await engine.invoke('getState', {})).schedule.enabled, false, 'nothing was changed');
  await engine.shutdown();

  const file = path.join(dir, 'settings.json');
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...saved, schedule: { enabled: true, slots: ['paused'] } }));
  const again = await createEngine({ configDir: dir, autostart: false });
  try {
    const log = await again.invoke('getEventLog', { sinceSeq: 0 });
    assert.ok(log.some((e) => e.kind === 'error' && /schedule\.slots: expected 168 slots/.test(e.message)), log.map((e) => e.message).join('\n'));
    assert.equal((await again.invoke('getState', {})).schedule.enabled, false);
  } finally {
    await again.shutdown();
  }
});

test('on the real clock, a real app started in a paused slot stays paused until the schedule lets it run', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  await engine.invoke('setSchedule', { enabled: true, slots: Array(168).fill('paused') });
  await engine.invoke('addApp', { name: 'sleeper', command: 'sleep', args: ['60'] });
  await engine.invoke('startApp', { id: 'sleeper' });
  await until(async () => (await engine.invoke('getState', {})).apps[0]!.state === 'paused', 5000, 'started paused');
  assert.equal((await engine.invoke('getState', {})).schedule.paused, true);
  await engine.invoke('setSchedule', { enabled: false });
  await until(async () => (await engine.invoke('getState', {})).apps[0]!.state === 'running', 5000, 'running once the schedule is off');
  await engine.invoke('setSchedule', { enabled: true });
  await until(async () => (await engine.invoke('getState', {})).apps[0]!.state === 'paused', 5000, 'paused again');
});

test('an unknown time zone: the schedule runs in UTC and the log says so', async (t) => {
  const { engine } = await testEngine(t, { timeZone: 'Mars/Olympus_Mons' });
  assert.equal((await engine.invoke('getState', {})).schedule.timeZone, 'UTC');
  const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
  assert.ok(log.some((e) => e.kind === 'warning' && e.message === 'schedule: unknown time zone "Mars/Olympus_Mons"; the schedule\'s hours are UTC'));
});
