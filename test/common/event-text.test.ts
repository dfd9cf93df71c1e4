// The event log's sentences (electron/common/event-text.ts) and the digest that folds an
// app's child processes (electron/engine/event-log.ts): the owner's words, never an
// internal id; who is at a limit; one line for a launch burst, not one per child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Capacity } from '../../electron/common/model.js';
import { RESOURCES } from '../../electron/common/resources.js';
import {
  PROFILE_LABELS,
  appEndedText,
  appStartedText,
  capAboveCapacityText,
  capacityForgottenText,
  capacityMeasuredText,
  capacitySetText,
  childStartsText,
  limitHitText,
  memDeniedText,
  profileInForceText,
} from '../../electron/common/event-text.js';
import { ChildStartDigest } from '../../electron/engine/event-log.js';
import { PROFILE_LABELS as RENDERER_PROFILE_LABELS } from '../../electron/common/profiles.js'; // the dashboard's own (Header, Overview)
import { RESOURCE_LABELS as RENDERER_RESOURCE_LABELS } from '../../renderer/src/lib/units.js';

const INTERNAL_IDS = /\b(netUp|netDown|inUse)\b/;

test('a limit hit says the P2P apps together are at the cap, in the cards\' words', () => {
  assert.equal(limitHitText('ticker', 'cpu'), 'P2P apps together are at the CPU cap; ticker waits for CPU time');
  assert.equal(limitHitText('seeder', 'netUp'), "P2P apps together are at the upload cap; seeder's uploads wait");
  assert.equal(limitHitText('leech', 'netDown'), "P2P apps together are at the download cap; leech's downloads wait");
  assert.equal(limitHitText('ipfs', 'disk'), "P2P apps together are at the disk cap; ipfs's disk reads and writes wait");
  for (const r of RESOURCES) assert.doesNotMatch(limitHitText('a', r), INTERNAL_IDS, r);
});

test('an app at a ceiling of its own is worded as its own limit, not the group\'s', () => {
  assert.equal(limitHitText('ticker', 'netUp', 'app'), 'ticker is at its own upload ceiling; its uploads wait');
  assert.equal(limitHitText('ticker', 'cpu', 'app'), 'ticker is at its own CPU ceiling; it waits for CPU time');
  assert.equal(limitHitText('ticker', 'mem', 'app'), 'ticker is at its own memory ceiling; it gets no more memory');
});

test('a memory denial names the size in units and the app\'s ceiling, not the system call', () => {
  const t = memDeniedText('ticker', 8_388_608);
  assert.equal(t, 'ticker was refused 8.39 MB more memory: it is at its memory ceiling (its share plus its part of the memory cap)');
  assert.doesNotMatch(t, /mmap|brk|bytes refused/);
});

test('starts and ends: the app by name, and what codes 126 and 127 usually mean', () => {
  assert.equal(appStartedText('ticker', 4242), 'ticker started (pid 4242)');
  assert.equal(appEndedText('ticker', 'stopped', { code: null, signal: 'SIGTERM' }), 'ticker stopped (killed by SIGTERM)');
  assert.equal(appEndedText('ticker', 'exited', { code: 0, signal: null }), 'ticker exited (exit code 0)');
  assert.equal(appEndedText('bad', 'crashed', { code: 127, signal: null }), 'bad stopped unexpectedly (exit code 127: a command it ran was not found)');
  assert.equal(appEndedText('bad', 'crashed', { code: 7, signal: null }, 'no config'), 'bad stopped unexpectedly (exit code 7): no config');
});

test('capacity and profile texts use the cards\' and the profiles\' names', () => {
  const peak: Capacity = { bytesPerSec: 2130, source: 'measured', measuredAt: 1, method: 'peak observed on eth0' };
  const link: Capacity = { bytesPerSec: 125e6, source: 'measured', measuredAt: 1, method: 'eth0 link speed 1000 Mb/s' };
  const unknown: Capacity = { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null };
  assert.equal(capacitySetText('netUp', 10e6), 'Upload capacity set to 10 MB/s by you');
  assert.equal(capacityForgottenText('netDown', unknown), 'Download capacity you gave is forgotten; now unknown');
  assert.equal(capacityMeasuredText('link', link), 'Link capacity measured: 125 MB/s (eth0 link speed 1000 Mb/s)');
  assert.equal(capacityMeasuredText('link', peak), 'Link capacity measured: at least 2.13 kB/s (the most seen so far; the link may be faster)');
  assert.equal(capAboveCapacityText('inUse', 'netUp', 20e6, 10e6), 'The "In use" upload cap of 20 MB/s is above the link\'s capacity, 10 MB/s: it cannot be reached');
  assert.equal(capAboveCapacityText('idle', 'disk', 60e6, 50e6), 'The "Idle" disk cap of 60 MB/s is above the disk\'s capacity, 50 MB/s: it cannot be reached');
  assert.equal(profileInForceText('battery'), 'The "On battery" caps are in force');
  assert.deepEqual(PROFILE_LABELS, RENDERER_PROFILE_LABELS, 'the engine names the profiles as the dashboard does');
  for (const r of RESOURCES) assert.match(limitHitText('a', r), new RegExp(RENDERER_RESOURCE_LABELS[r], 'i'), `${r}: named as on its card`);
});

test('child processes in one line: the busiest programs first, the rest counted', () => {
  const counts = new Map([['sleep', 1], ['python3', 10], ['date', 1]]);
  assert.equal(childStartsText('ticker', counts, 'at launch'), 'ticker started 12 child processes at launch: python3 ×10, date, sleep');
  const many = new Map(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => [n, 1]));
  assert.equal(childStartsText('x', many, 'at launch'), 'x started 7 child processes at launch: a, b, c, d, e, 2 other programs');
  assert.equal(childStartsText('x', new Map([['date', 1]]), 'in the last 10 min'), 'x started 1 child process in the last 10 min: date');
});

/** A digest on a hand-driven clock: scheduled calls run when `advance` passes their time. */
function digestOnFakeClock() {
  let now = 0;
  const pending: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const lines: Array<[string, string]> = [];
  const digest = new ChildStartDigest(
    (appId, line) => lines.push([appId, line]),
    { launchMs: 5_000, periodMs: 600_000 },
    (fn, ms) => {
      const job = { at: now + ms, fn, cancelled: false };
      pending.push(job);
      return () => (job.cancelled = true);
    },
    () => now,
  );
  const advance = (ms: number) => {
    now += ms;
    for (const job of pending.splice(0)) {
      if (job.cancelled) continue;
      if (job.at <= now) job.fn();
      else pending.push(job);
    }
  };
  return { digest, lines, advance };
}

test('a launch burst of child processes is one line, then at most one line per period', () => {
  const { digest, lines, advance } = digestOnFakeClock();
  for (let i = 0; i < 12; i++) digest.note('py', 'Python app', i < 10 ? 'python3' : i === 10 ? 'date' : 'sleep');
  assert.equal(lines.length, 0, 'nothing while the launch burst lasts');
  advance(5_000);
  assert.deepEqual(lines, [['py', 'Python app started 12 child processes at launch: python3 ×10, date, sleep']]);
  // a loop that runs date and sleep every second for ten minutes: one more line
  for (let s = 0; s < 600; s++) {
    digest.note('py', 'Python app', 'date');
    digest.note('py', 'Python app', 'sleep');
    advance(1_000);
  }
  assert.equal(lines.length, 2);
  assert.equal(lines[1]![1], 'Python app started 1200 child processes in the last 10 min: date ×600, sleep ×600');
});

test('what is pending is written when the app ends, and its next start is a new launch', () => {
  const { digest, lines, advance } = digestOnFakeClock();
  digest.note('a', 'a', 'date');
  digest.end('a');
  assert.deepEqual(lines, [['a', 'a started 1 child process at launch: date']]);
  advance(10_000);
  assert.equal(lines.length, 1, 'the cancelled timer writes nothing more');
  digest.end('a');
  assert.equal(lines.length, 1, 'nothing pending, nothing written');
  digest.note('a', 'a', 'sleep');
  advance(5_000);
  assert.equal(lines[1]![1], 'a started 1 child process at launch: sleep');
});
