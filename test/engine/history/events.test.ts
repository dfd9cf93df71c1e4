// The persistent event log: filters by app, kind and time through the contract of a real
// engine; the log's numbers going on across a restart; an engine whose database cannot be
// opened at all runs on, says why, and filters the entries of its run in memory.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CommandError } from '../../../electron/common/contract.js';
import type { EventLogEntry } from '../../../electron/common/model.js';
import { HistoryRecorder } from '../../../electron/engine/history/recorder.js';
import { createEngine } from '../../../electron/engine/index.js';
import { tempDir, testEngine } from '../helpers.js';
import { EPOCH, WallClock } from './fakes.js';

const entry = (seq: number, t: number, kind: EventLogEntry['kind'], appId: string | null, message = `${kind} ${seq}`): EventLogEntry => ({ seq, t, kind, appId, resource: kind === 'limitHit' ? 'netUp' : null, message });

test('event filters: app, kinds, time window, paging back, newest first within the limit', (t) => {
  const { dir, cleanup } = tempDir('interceptor-history-');
  t.after(cleanup);
  const clock = new WallClock();
  const recorder = new HistoryRecorder({ clock, file: path.join(dir, 'history.db'), report: () => undefined });
  recorder.open();
  t.after(() => recorder.close());
  const kinds = ['start', 'limitHit', 'crash', 'info'] as const;
  for (let i = 1; i <= 40; i++) recorder.recordEvent(entry(i, EPOCH + i * 60_000, kinds[i % 4]!, i % 2 ? 'alpha' : 'beta'));
  const seqs = (f: Parameters<HistoryRecorder['events']>[0]) => recorder.events(f)!.map((e) => e.seq);
  assert.deepEqual(seqs({ limit: 3 }), [38, 39, 40], 'the newest, oldest first');
  assert.deepEqual(seqs({ limit: 100, appId: 'alpha', kinds: ['limitHit'] }), [1, 5, 9, 13, 17, 21, 25, 29, 33, 37]);
  assert.deepEqual(seqs({ limit: 100, kinds: ['crash', 'info'], from: EPOCH + 30 * 60_000, to: EPOCH + 36 * 60_000 }), [30, 31, 34, 35]);
  assert.deepEqual(seqs({ limit: 2, beforeSeq: 10 }), [8, 9], 'paging back');
  assert.deepEqual(seqs({ limit: 10, appId: 'gamma' }), []);
  const one = recorder.events({ limit: 1, kinds: ['limitHit'] })![0]!;
  assert.deepEqual(one, entry(37, EPOCH + 37 * 60_000, 'limitHit', 'alpha'), 'an entry reads back whole');
});

test('getEvents through the contract: persisted across a restart, numbers go on, arguments range-checked', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-history-');
  t.after(cleanup);
  const first = await createEngine({ configDir: dir, autostart: false });
  // adding an app is logged (info, with its id)
  await first.invoke('addApp', { name: 'Sleeper', command: '/bin/sleep', args: ['60'] });
  const before = await first.invoke('getEvents', { limit: 5000 });
  assert.ok(before.length > 0, 'the engine logged something at start');
  const lastSeq = before.at(-1)!.seq;
  await first.shutdown({ leaveRunning: false });

  const { engine } = await testEngine(t, { configDir: dir });
  const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
  assert.deepEqual(log.slice(0, before.length), before, "the dashboard's log at its first connection holds the last run's entries");
  const after = await engine.invoke('getEvents', { limit: 5000 });
  assert.deepEqual(after.slice(0, before.length), before, 'kept across the restart');
  for (const e of after.slice(before.length)) assert.ok(e.seq > lastSeq, 'new entries are numbered after the old ones');
  const since = await engine.invoke('getEvents', { from: before.at(-1)!.t + 1, limit: 5000 });
  assert.ok(since.every((e) => e.t > before.at(-1)!.t));

  for (const bad of [{ limit: 0 }, { limit: 5001 }, { kinds: [] }, { kinds: ['nope'] }, { appId: 'Not An Id' }, { from: -1 }, { extra: 1 }]) {
    await assert.rejects(engine.invoke('getEvents', bad), (e: unknown) => e instanceof CommandError && e.code === 'invalid', JSON.stringify(bad));
  }
  await assert.rejects(engine.invoke('getUsage', { range: '2h' }), (e: unknown) => e instanceof CommandError && e.code === 'invalid');
});

test('no database at all: the engine runs, says why, and keeps the log of this run in memory', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-history-');
  t.after(cleanup);
  writeFileSync(path.join(dir, 'not-a-dir'), 'x');
  const { engine } = await testEngine(t, { configDir: path.join(dir, 'config'), historyDir: path.join(dir, 'not-a-dir', 'state') });
  const state = await engine.invoke('getState', {});
  assert.equal(state.history.ok, false);
  assert.match(state.history.problem ?? '', /ENOTDIR|not a directory/);
  const errors = await engine.invoke('getEvents', { kinds: ['error'], limit: 10 });
  assert.ok(errors.some((e) => /history is not kept across restarts/.test(e.message)), JSON.stringify(errors));
  assert.deepEqual(await engine.invoke('getEvents', { kinds: ['info'], limit: 10 }), (await engine.invoke('getEventLog', { sinceSeq: 0 })).filter((e) => e.kind === 'info'), 'filtered in memory');
  await assert.rejects(engine.invoke('getUsage', { range: '24h' }), (e: unknown) => e instanceof CommandError && e.code === 'unavailable' && /not a directory|ENOTDIR/.test(e.message));
  assert.ok((await engine.invoke('getHistory', { seconds: 60 })) !== null, 'the live view still answers');
});
