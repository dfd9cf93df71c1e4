// The history's tiers on a virtual clock: seconds rolled up into minutes, hours and days with
// sums and peaks that compose, means over the seconds the engine recorded (a stopped app
// counts 0), each tier dropping only what the next one holds, and ranges read across tiers.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { HistoryRecorder } from '../../../electron/engine/history/recorder.js';
import { TIERS } from '../../../electron/engine/history/schema.js';
import { tempDir } from '../helpers.js';
import { EPOCH, WallClock, peek, snapshot } from './fakes.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function setup(t: { after: (fn: () => unknown) => void }, keepMs?: number[]) {
  const { dir, cleanup } = tempDir('interceptor-history-');
  const file = path.join(dir, 'history.db');
  const clock = new WallClock();
  const reports: string[] = [];
  // a flush every 10 s of virtual time keeps two days of it quick; the batching is the same
  const recorder = new HistoryRecorder({ clock, file, report: (m) => reports.push(m), flushMs: 10_000, ...(keepMs ? { keepMs } : {}) });
  recorder.open();
  recorder.startTimers();
  t.after(() => {
    recorder.close();
    cleanup();
  });
  return { file, clock, recorder, reports };
}

/** Records one snapshot every `everyMs` of virtual time until `untilMs` after the epoch. */
async function feed(clock: WallClock, recorder: HistoryRecorder, untilMs: number, everyMs: number, at: (offset: number) => Parameters<typeof snapshot>) {
  while (clock.now() < untilMs) {
    recorder.record(snapshot(...at(clock.now())));
    await clock.advance(everyMs);
  }
}

test('seconds roll up into minutes, hours and days: sums, peaks and means over the recorded seconds', async (t) => {
  const { file, clock, recorder, reports } = setup(t);
  // every 10 s for 49 hours: app a always (cpu 0.5, upload 1000 or 3000 B/s), app b the first hour only; a CPU cap of 80 % the first day
  await feed(clock, recorder, 49 * HOUR, 10_000, (off) => [
    EPOCH + off,
    { a: { cpu: 0.5, netUp: (off / 10_000) % 2 === 0 ? 1000 : 3000, mem: 1e6 }, b: { cpu: 0.5, state: off < HOUR ? 'running' : 'stopped' } },
    { cpu: off < DAY ? 0.8 : null },
  ]);
  recorder.rollup();
  assert.deepEqual(reports, []);
  const db = peek(file);
  t.after(() => db.close());
  const row = (table: string, at: number, app: string) => db.prepare(`SELECT * FROM ${table} WHERE t = ? AND app = ?`).get(at, app) as Record<string, number> | undefined;

  // day 0: 8640 samples of ten seconds; sums add up, the peak is the highest second
  const day0 = row('usage_d', EPOCH, 'a')!;
  assert.equal(day0.n, 8640);
  assert.equal(day0.cpu, 0.5 * 8640);
  assert.equal(day0.netUp, 2000 * 8640);
  assert.equal(day0.netUp_max, 3000);
  assert.equal(row('usage_d', EPOCH, 'b')!.n, 360, 'b ran the first hour: 360 samples');
  assert.equal(row('usage_d', EPOCH + DAY, 'b'), undefined, 'and not on day 1');
  assert.equal(row('usage_h', EPOCH + 2 * HOUR, 'a')!.n, 360);
  assert.equal(row('usage_m', EPOCH + 48 * HOUR, 'a')!.n, 6);

  // seconds are kept an hour, then only as minutes
  const oldest = (table: string) => (db.prepare(`SELECT MIN(t) AS t FROM ${table}`).get() as { t: number }).t;
  const now = clock.wallNow();
  assert.ok(oldest('usage_s') >= now - HOUR - MIN, `seconds older than an hour are gone (oldest ${(now - oldest('usage_s')) / MIN} min ago)`);
  assert.equal(oldest('usage_m'), EPOCH, 'minutes are kept a week');

  // 30 days in two-hour buckets: b's first bucket is its hour of 0.5 over two recorded hours
  const month = recorder.usage('30d', null)!;
  assert.equal(month.stepMs, 2 * HOUR);
  const first = (app: string | null) => month.points.find((p) => p.t === EPOCH && p.app === app)!;
  assert.equal(first('b').avg.cpu, 0.25);
  assert.equal(first('b').max.cpu, 0.5);
  assert.equal(first('a').avg.netUp, 2000);
  assert.equal(first('a').seconds, 720, 'two hours of samples every 10 s, each counted once');
  assert.equal(first(null).avg.cpu, 0.75, 'the total');
  const capAt = (at: number) => month.caps.find((c) => c.t === at)?.cap.cpu;
  assert.equal(capAt(EPOCH), 0.8);
  assert.equal(capAt(EPOCH + 26 * HOUR), null, 'no cap on day 1');
  // the last hours are read from the finer tiers: the newest bucket is there, with its mean
  const last = month.points.filter((p) => p.app === 'a').at(-1)!;
  assert.equal(last.t, EPOCH + 48 * HOUR);
  assert.equal(last.avg.cpu, 0.5);
  assert.equal(last.seconds, 360, 'an hour from minutes and seconds, none counted twice');
  assert.equal(month.points.filter((p) => p.app === 'a').reduce((n, p) => n + p.seconds, 0), (49 * HOUR) / 10_000, 'every sample once');

  // 24 hours in five-minute buckets, the newest minute not yet rolled up included
  const dayRange = recorder.usage('24h', null)!;
  const aPoints = dayRange.points.filter((p) => p.app === 'a');
  assert.equal(aPoints.length, 24 * 12, 'one bucket per five minutes');
  assert.ok(aPoints.every((p) => p.avg.cpu === 0.5 && p.max.netUp === 3000 && p.seconds === 30));

  // one app's range: its points and the totals only
  const onlyB = recorder.usage('1h', 'b')!;
  assert.ok(onlyB.points.every((p) => p.app === 'b' || p.app === null));
  assert.equal(onlyB.points.filter((p) => p.app === 'b').length, 0, 'b did not run in the last hour');

  // rolling up again changes nothing (the watermarks say what is done)
  recorder.rollup();
  assert.deepEqual(row('usage_d', EPOCH, 'a'), day0);
});

test('retention: each tier drops what is past its keep, never what the next tier does not hold yet; nothing counted twice', async (t) => {
  const keep = [10 * MIN, HOUR, 5 * HOUR, 10 * DAY];
  const { file, clock, recorder } = setup(t, keep);
  await feed(clock, recorder, 26 * HOUR, 30_000, (off) => [EPOCH + off, { a: { disk: 100 } }]);
  recorder.rollup();
  const db = peek(file);
  t.after(() => db.close());
  const now = clock.wallNow();
  const upto = (i: number) => (db.prepare('SELECT upto FROM rollup WHERE tier = ?').get(TIERS[i]!.table) as { upto: number }).upto;
  for (let i = 0; i < TIERS.length - 1; i++) {
    const oldest = (db.prepare(`SELECT MIN(t) AS t FROM ${TIERS[i]!.table}`).get() as { t: number }).t;
    assert.ok(oldest >= Math.min(now - keep[i]!, upto(i + 1)) - TIERS[i]!.stepMs, `${TIERS[i]!.table}: oldest row ${(now - oldest) / MIN} min ago`);
    assert.ok(now - oldest <= keep[i]! + TIERS[i + 1]!.stepMs, `${TIERS[i]!.table} keeps no more than its keep`);
  }
  // every sample is in exactly one tier's share: days before upto(d), hours up to upto(h), ...
  let n = 0;
  let lo = 0;
  for (let i = TIERS.length - 1; i >= 0; i--) {
    const hi = i === 0 ? Number.MAX_SAFE_INTEGER : upto(i);
    n += (db.prepare(`SELECT COALESCE(SUM(n), 0) AS n FROM ${TIERS[i]!.table} WHERE app = 'a' AND t >= ? AND t < ?`).get(lo, hi) as { n: number }).n;
    lo = Math.max(lo, hi === Number.MAX_SAFE_INTEGER ? lo : hi);
  }
  assert.equal(n, (26 * HOUR) / 30_000, 'one per sample recorded');
  assert.ok(upto(3) === EPOCH + DAY, 'the first day is rolled up into days');
});

test('writes are batched: one transaction per flush, not one per snapshot', async (t) => {
  const { file, clock, recorder } = setup(t);
  const db = peek(file);
  t.after(() => db.close());
  const count = () => (db.prepare("SELECT COUNT(*) AS n FROM usage_s WHERE app = 'a'").get() as { n: number }).n;
  for (let i = 0; i < 9; i++) recorder.record(snapshot(EPOCH + i * 1000, { a: { cpu: 0.1 } }));
  assert.equal(count(), 0, 'nothing written before the flush');
  await clock.advance(10_000);
  assert.equal(count(), 9, 'all nine seconds at the flush');
  // two snapshots in one wall-clock second are one row: the later one
  recorder.record(snapshot(EPOCH + 20_000, { a: { cpu: 0.1 } }));
  recorder.record(snapshot(EPOCH + 20_500, { a: { cpu: 0.3 } }));
  recorder.flush();
  assert.equal((db.prepare("SELECT cpu FROM usage_s WHERE app = 'a' AND t = ?").get(EPOCH + 20_000) as { cpu: number }).cpu, 0.3);
});
