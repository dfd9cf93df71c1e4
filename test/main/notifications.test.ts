import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventLogEntry, ResourceFigure, Snapshot } from '../../electron/common/model.js';
import { NotificationLimiter, NotificationPolicy } from '../../electron/main/notifications.js';

const T0 = 1_800_000_000_000;
let seq = 0;
const entry = (kind: EventLogEntry['kind'], t: number, appId: string | null = 'tx', resource: EventLogEntry['resource'] = 'netUp', message = ''): EventLogEntry => ({
  seq: ++seq,
  t,
  kind,
  appId,
  resource,
  message,
});
const fig = (held: number, recent = 0, cap: number | null = null): ResourceFigure => ({ nominal: 0, cap, recent, sinceStart: 0, lag: 0, held, used: 0, denials: 0 });
const snapshot = (t: number, held: number): Snapshot => ({
  t,
  profile: 'inUse',
  limits: { cpu: null, netUp: null, netDown: null, disk: null, mem: null },
  capacity: { netUp: null, netDown: null, disk: null },
  total: { cpu: fig(0), netUp: fig(0), netDown: fig(0), disk: fig(0), mem: fig(0) },
  apps: [{ id: 'tx', state: 'held', resources: { cpu: fig(0), netUp: fig(held), netDown: fig(0), disk: fig(0), mem: fig(0, 10, 100) } }],
});

describe('notifications', () => {
  it('notifies a limit hit only when it persists for a minute', () => {
    const policy = new NotificationPolicy({ appName: (id) => (id === 'tx' ? 'Transmission' : undefined) });
    const out = [];
    for (let s = 0; s < 60; s += 5) out.push(...policy.observeLog(entry('limitHit', T0 + s * 1000)));
    assert.equal(out.length, 0, 'not yet: 55 s');
    out.push(...policy.observeLog(entry('limitHit', T0 + 60_000)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.kind, 'limitHit');
    assert.equal(out[0]!.title, 'Transmission is at its upload cap');
    assert.match(out[0]!.body, /held at the upload cap for 1 minute/);
    // The same streak does not notify again.
    for (let s = 65; s < 600; s += 5) assert.deepEqual(policy.observeLog(entry('limitHit', T0 + s * 1000)), []);
  });

  it('a gap breaks the streak: brief hits never notify', () => {
    const policy = new NotificationPolicy();
    const out = [];
    for (let k = 0; k < 20; k++) out.push(...policy.observeLog(entry('limitHit', T0 + k * 20_000))); // every 20 s > 15 s gap
    assert.equal(out.length, 0);
  });

  it('held demand in snapshots is at-cap evidence too', () => {
    const policy = new NotificationPolicy();
    const out = [];
    for (let s = 0; s <= 60; s += 0.5) out.push(...policy.observeSnapshot(snapshot(T0 + s * 1000, s < 61 ? 4096 : 0)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.appId, 'tx');
    const quiet = new NotificationPolicy();
    for (let s = 0; s <= 120; s += 0.5) assert.deepEqual(quiet.observeSnapshot(snapshot(T0 + s * 1000, 0)), []);
  });

  it('notifies memory denials and crashes at once, at most one per app per kind per 10 min', () => {
    const policy = new NotificationPolicy({ appName: () => 'IPFS' });
    const first = policy.observeLog(entry('memDenied', T0, 'ipfs', 'mem', 'mmap of 512 MiB denied'));
    assert.deepEqual(first, [{ kind: 'memDenied', appId: 'ipfs', title: 'IPFS was denied memory', body: 'mmap of 512 MiB denied' }]);
    assert.deepEqual(policy.observeLog(entry('memDenied', T0 + 60_000, 'ipfs', 'mem')), []);
    const crash = policy.observeLog(entry('crash', T0 + 60_000, 'ipfs', null, 'exited on SIGSEGV'));
    assert.equal(crash.length, 1, 'another kind is another key');
    assert.equal(crash[0]!.title, 'IPFS crashed');
    assert.equal(crash[0]!.body, 'exited on SIGSEGV (1 more notification suppressed; see the event log)');
    const later = policy.observeLog(entry('memDenied', T0 + 10 * 60_000, 'ipfs', 'mem', 'again'));
    assert.equal(later.length, 1);
    assert.equal(later[0]!.body, 'again');
    assert.deepEqual(policy.observeLog(entry('info', T0, 'ipfs')), []);
  });

  it('never more than 5 an hour overall, however many apps crash', () => {
    const policy = new NotificationPolicy();
    let shown = 0;
    for (let k = 0; k < 100; k++) shown += policy.observeLog(entry('crash', T0 + k * 1000, `app${k}`, null)).length;
    assert.equal(shown, 5);
    // An hour after the first ones, room again.
    assert.equal(policy.observeLog(entry('crash', T0 + 3_600_000 + 1000, 'late', null)).length, 1);
  });

  it('limiter: per key and global windows', () => {
    const limiter = new NotificationLimiter({ perKeyMs: 100, globalMax: 2, globalWindowMs: 1000 });
    assert.equal(limiter.tryAcquire('a', 0).allowed, true);
    assert.equal(limiter.tryAcquire('a', 50).allowed, false);
    assert.equal(limiter.tryAcquire('b', 60).allowed, true);
    assert.equal(limiter.tryAcquire('c', 70).allowed, false, 'global limit');
    assert.equal(limiter.tryAcquire('a', 999).allowed, false, 'global window still full');
    const r = limiter.tryAcquire('a', 1000);
    assert.deepEqual(r, { allowed: true, suppressedBefore: 2 }); // c@70 and a@999 (a@50 was before b was shown)
  });
});
