// Transfer quotas on a real transfer: an app uploading through the real helper reaches its daily
// upload quota and is paused (an event says so); the counters survive an engine restart (the app
// started again is paused again); at the end of the day — the engine's wall clock moved past
// midnight, the virtual part of this test — it resumes and counts from zero. The bytes are
// measured at the receiving end too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_CEILINGS, type EventLogEntry } from '../../../electron/common/model.js';
import { realClock, type EngineClock } from '../../../electron/engine/clock.js';
import { createEngine, type Engine } from '../../../electron/engine/index.js';
import { requireHelper, sleep, tempDir, until } from '../helpers.js';
import { SENDER, rate, sink, type Sink } from '../../../bench/lib/loopback.js';


let offset = 0;
/** Real time for everything that is timed; a wall clock this test can move to the end of the day. */
const clock: EngineClock = { now: () => realClock.now(), setTimeout: (cb, ms, o) => realClock.setTimeout(cb, ms, o), wallNow: () => Date.now() + offset };
const setWall = (ms: number) => (offset = ms - Date.now());

/** A config dir, a sink and an engine on this test's clock; all cleaned up after the test (and any engine pushed). */
async function setup(t: { after: (fn: () => unknown) => void }): Promise<{ dir: string; meter: Sink; engines: Engine[] }> {
  requireHelper();
  const { dir, cleanup } = tempDir();
  const meter = await sink();
  const engines = [await createEngine({ configDir: dir, autostart: false, clock })];
  t.after(async () => {
    for (const e of engines) await e.shutdown({ leaveRunning: false }).catch(() => {});
    await meter.close();
    cleanup();
  });
  return { dir, meter, engines };
}

const quotaEvents = async (engine: Engine): Promise<EventLogEntry[]> => (await engine.invoke('getEventLog', { sinceSeq: 0 })).filter((e) => e.kind === 'quota');
const appState = async (engine: Engine) => (await engine.invoke('getState', {})).apps[0]!.state;

test('a daily upload quota reached by a real transfer pauses the app, survives a restart, and ends at midnight', { timeout: 60_000 }, async (t) => {
  const { dir, meter, engines } = await setup(t);
  let engine = engines[0]!;
  setWall(new Date(2026, 11, 1, 12, 0).getTime()); // noon, 1 December
  await engine.invoke('setOwnerLimits', { limits: { netUp: 1e6 } });
  await engine.invoke('addApp', { name: 'Seeder', command: process.execPath, args: ['-e', SENDER, String(meter.port)], ceilings: NO_CEILINGS });
  const view = await engine.invoke('setQuotas', { rules: [{ appId: 'seeder', period: 'day', direction: 'up', bytes: 1.5e6, action: 'pause', slowTo: null }] });
  assert.equal(view.status[0]!.used, 0);
  await engine.invoke('startApp', { id: 'seeder' });

  // at 1 MB/s the quota is reached after about 1.5 s
  await until(async () => (await quotaEvents(engine)).length > 0, 15_000, 'the quota event');
  const [reached] = await quotaEvents(engine);
  assert.match(reached!.message, /^Seeder paused until .*: it reached its daily upload quota of 1.5 MB$/);
  assert.equal(reached!.appId, 'seeder');
  assert.equal(await appState(engine), 'paused');
  let status = (await engine.invoke('getQuotas', {})).status[0]!;
  assert.ok(status.reached && status.used >= 1.5e6 && status.used < 3e6, `used ${status.used}`);
  assert.equal(status.periodEnd, new Date(2026, 11, 2).getTime());
  await sleep(500); // what was in flight arrives
  const paused = await rate(meter.bytes, 1500);
  assert.ok(paused < 50_000, `paused: nothing more goes out (${paused} B/s)`);

  // a restart keeps the counters: started again, the app is paused again at once
  await engine.shutdown({ leaveRunning: false });
  engine = await createEngine({ configDir: dir, autostart: false, clock });
  engines.push(engine);
  status = (await engine.invoke('getQuotas', {})).status[0]!;
  assert.ok(status.reached && status.used >= 1.5e6, `kept across the restart: ${status.used}`);
  await engine.invoke('startApp', { id: 'seeder' });
  await until(async () => (await appState(engine)) === 'paused', 5_000, 'paused again after the restart');

  // midnight: a new day, the app resumes and counts from zero
  setWall(new Date(2026, 11, 2, 0, 0, 5).getTime());
  await until(async () => ['running', 'held'].includes(await appState(engine)), 5_000, 'resumed at the end of the day');
  assert.ok((await quotaEvents(engine)).some((e) => /^Seeder resumed: its quota period ended$/.test(e.message)));
  // (within the new day's 1.5 MB: at 1 MB/s the quota is reached again 1.5 s after midnight)
  const resumed = await rate(meter.bytes, 700);
  assert.ok(resumed > 0.4e6 && resumed < 1.6e6, `moving again, at the cap: ${resumed} B/s`);
  status = (await engine.invoke('getQuotas', {})).status[0]!;
  assert.ok(!status.reached && status.used < 1.5e6 && status.periodStart === new Date(2026, 11, 2).getTime(), JSON.stringify(status));
});

test('a monthly quota of all apps together, reached, slows every app to the chosen rate until the reset day', { timeout: 60_000 }, async (t) => {
  const { meter, engines } = await setup(t);
  const engine = engines[0]!;
  setWall(new Date(2026, 11, 14, 12, 0).getTime()); // the month runs from the 15th: it ends tomorrow
  await engine.invoke('setOwnerLimits', { limits: { netUp: 2e6 } });
  await engine.invoke('addApp', { name: 'Seeder', command: process.execPath, args: ['-e', SENDER, String(meter.port)] });
  await engine.invoke('setQuotas', { resetDay: 15, rules: [{ appId: null, period: 'month', direction: 'both', bytes: 2e6, action: 'slow', slowTo: 200_000 }] });
  await engine.invoke('startApp', { id: 'seeder' });
  await until(async () => (await quotaEvents(engine)).length > 0, 15_000, 'the quota event');
  const [slowed] = await quotaEvents(engine);
  assert.match(slowed!.message, /^all apps slowed to 200 kB\/s each way: together the apps reached the monthly upload \+ download quota of 2 MB, until /);
  assert.equal(slowed!.appId, null);
  await sleep(1000);
  const slow = await rate(meter.bytes, 3000);
  assert.ok(slow > 150_000 && slow < 250_000, `slowed to 200 kB/s: ${slow} B/s`);
  assert.ok(['held', 'running'].includes(await appState(engine)), 'still running, at the lower cap');
  // the reset day: full speed again
  setWall(new Date(2026, 11, 15, 0, 0, 1).getTime());
  await until(async () => (await quotaEvents(engine)).some((e) => /run at their caps again/.test(e.message)), 5_000, 'the end of the slow-down');
  // (the new month's 2 MB go in about a second at 2 MB/s: measured at once, then slowed again)
  await sleep(150);
  const full = await rate(meter.bytes, 500);
  console.log(`slowed ${slow.toFixed(0)} B/s, after the reset day ${full.toFixed(0)} B/s`);
  assert.ok(full > 1.2e6, `back at the cap of 2 MB/s: ${full} B/s`);
  await until(async () => (await quotaEvents(engine)).filter((e) => /^all apps slowed/.test(e.message)).length === 2, 10_000, 'the new month counted from zero, reached again');
});
