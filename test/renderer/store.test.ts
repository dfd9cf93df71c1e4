// The store's slices: what the bridge writes, and that unchanged data keeps its
// identity so selectors (and components) do not re-render on a 2 Hz snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore } from '../../renderer/src/store/store.js';
import { HISTORY_MS } from '../../renderer/src/store/usage.js';
import { MAX_LOG } from '../../renderer/src/store/log.js';
import { selectAppState, selectCap, selectFigure, selectShareCap, selectShareEntries, selectTotal } from '../../renderer/src/store/selectors.js';
import { busiestApps, chartRows, CAP_KEY, niceCeil, niceTicks, OTHER_KEY } from '../../renderer/src/lib/chart.js';
import { appView, fullState, limits, logEntry, snapshot } from './fixtures.js';

test('apps slice: setApps keeps unchanged views and the id list identical', () => {
  const store = createAppStore();
  const s = () => store.getState();
  s().setApps([appView('a'), appView('b')]);
  const { apps, appIds } = s();
  const a = apps.a;
  s().setApps([appView('a'), appView('b')]); // same content, new objects
  assert.equal(s().apps, apps, 'nothing changed: same record');
  assert.equal(s().appIds, appIds);
  s().setApps([appView('a'), appView('b', {}, 'paused')]);
  assert.equal(s().apps.a, a, 'a is unchanged: same object');
  assert.equal(s().apps.b!.state, 'paused');
  assert.equal(s().appIds, appIds, 'same ids: same array');
  s().setApps([appView('b', {}, 'paused')]);
  assert.deepEqual(s().appIds, ['b']);
  assert.equal(s().apps.a, undefined);
});

test('apps slice: upsert adds or replaces, drop removes', () => {
  const store = createAppStore();
  const s = () => store.getState();
  s().upsertApp(appView('a'));
  s().upsertApp(appView('b'));
  assert.deepEqual(s().appIds, ['a', 'b']);
  const before = s().apps;
  s().upsertApp(appView('a'));
  assert.equal(s().apps, before, 'an equal view changes nothing');
  s().upsertApp(appView('a', { cpu: 0.1 }));
  assert.equal(s().apps.a!.definition.shares.cpu, 0.1);
  s().dropApp('a');
  assert.deepEqual(s().appIds, ['b']);
  s().dropApp('nope');
  assert.deepEqual(s().appIds, ['b']);
});

test('limits slice: engine state, stable objects, per-profile caps', () => {
  const store = createAppStore();
  const s = () => store.getState();
  assert.equal(s().loaded, false);
  s().setEngineState(fullState([]));
  assert.equal(s().loaded, true);
  const profiles = s().profiles;
  s().setEngineState(fullState([]));
  assert.equal(s().profiles, profiles, 'same content: same object');
  assert.equal(selectCap('cpu')(s()), 0.5);
  assert.equal(selectCap('cpu', 'idle')(s()), 0.9);
  assert.equal(selectShareCap('cpu')(s()), 0.2, 'the strictest profile bounds shares');
  s().setProfileLimits('inUse', limits({ cpu: 0.3 }));
  assert.equal(s().limits!.cpu, 0.3, 'the active profile is the effective one');
  assert.equal(s().profiles!.idle.cpu, 0.9);
  s().setProfileLimits('battery', limits({ cpu: 0.1 }));
  assert.equal(s().limits!.cpu, 0.3);
  s().setEngineState(fullState([], { pause: { since: 5, until: null }, profile: 'idle' }));
  assert.deepEqual(s().pause, { since: 5, until: null });
  assert.equal(s().profile, 'idle');
});

test('usage slice: keeps five minutes, ignores stale snapshots, indexes the latest by app', () => {
  const store = createAppStore();
  const s = () => store.getState();
  const t0 = 1_000_000;
  for (let i = 0; i < 700; i++) s().addSnapshot(snapshot(t0 + i * 500, { a: 0.1, b: 0.2 }));
  const last = t0 + 699 * 500;
  assert.ok(s().history[0]!.t >= last - HISTORY_MS);
  assert.equal(s().history.length, 601);
  assert.equal(s().latest!.t, last);
  assert.equal(selectFigure('b', 'cpu', 'recent')(s()), 0.2);
  assert.ok(Math.abs(selectTotal('cpu', 'recent')(s())! - 0.3) < 1e-12);
  const history = s().history;
  s().addSnapshot(snapshot(last, { a: 9 })); // duplicate time
  s().addSnapshot(snapshot(last - 500, { a: 9 })); // out of order
  assert.equal(s().history, history);
  assert.equal(selectFigure('a', 'cpu', 'recent')(s()), 0.1);
});

test('usage slice: a fetched history keeps the snapshots that arrived meanwhile', () => {
  const store = createAppStore();
  const s = () => store.getState();
  s().addSnapshot(snapshot(10_500, { a: 1 }));
  s().setHistory([snapshot(10_000, { a: 0 }), snapshot(9_500, { a: 0 })]);
  assert.deepEqual(s().history.map((x) => x.t), [9_500, 10_000, 10_500]);
  assert.equal(s().latest!.t, 10_500);
  s().setHistory([]);
  assert.equal(s().history.length, 3, 'an empty answer keeps what is there');
});

test('log slice: in seq order, no duplicates after a reconnection, bounded', () => {
  const store = createAppStore();
  const s = () => store.getState();
  s().addLogEntries([logEntry(2), logEntry(1)]);
  s().addLogEntries([logEntry(2), logEntry(3)]);
  assert.deepEqual(s().events.map((e) => e.seq), [1, 2, 3]);
  assert.equal(s().lastSeq, 3);
  const events = s().events;
  s().addLogEntries([logEntry(1)]);
  assert.equal(s().events, events);
  s().addLogEntries(Array.from({ length: MAX_LOG + 10 }, (_, i) => logEntry(10 + i)));
  assert.equal(s().events.length, MAX_LOG);
  assert.equal(s().lastSeq, MAX_LOG + 19);
});

test('ui slice and selectors: app state prefers the snapshot, share entries are stable', () => {
  const store = createAppStore();
  const s = () => store.getState();
  s().setApps([appView('a', { cpu: 0.1 }), appView('b', { cpu: 0.2 })]);
  assert.equal(selectAppState('a')(s()), 'running');
  const held = snapshot(1, { a: 0.1 });
  held.apps[0]!.state = 'held';
  s().addSnapshot(held);
  assert.equal(selectAppState('a')(s()), 'held');
  const entries = selectShareEntries(s());
  assert.equal(selectShareEntries(s()), entries);
  assert.deepEqual(entries.map((e) => [e.id, e.shares.cpu]), [['a', 0.1], ['b', 0.2]]);
  s().setView('apps');
  s().selectApp('a');
  s().openEditor({ mode: 'edit', id: 'a' });
  assert.equal(s().view, 'apps');
  assert.equal(s().selectedAppId, 'a');
  assert.deepEqual(s().editor, { mode: 'edit', id: 'a' });
});

test('chart rows: one per 2 s at most, newest kept, cap alongside', () => {
  const history = Array.from({ length: 600 }, (_, i) => snapshot(1_000_000 + i * 500, { a: i, b: 1 }, limits({ cpu: i < 300 ? 0.5 : 0.2 })));
  const rows = chartRows(history, 'cpu');
  assert.ok(rows.length <= 151 && rows.length >= 149, `${rows.length} rows`);
  assert.equal(rows[rows.length - 1]!.t, history[599]!.t);
  assert.equal(rows[rows.length - 1]!.a, 599);
  assert.equal(rows[0]![CAP_KEY], 0.5);
  assert.equal(rows[rows.length - 1]![CAP_KEY], 0.2);
  // Appending one snapshot does not move the points already kept (no jitter).
  const more = chartRows([...history, snapshot(1_000_000 + 600 * 500, { a: 600, b: 1 })], 'cpu');
  const kept = new Set(rows.slice(0, -1).map((r) => r.t));
  for (const r of more.slice(0, rows.length - 1)) assert.ok(kept.has(r.t));
});

test('chart series: the busiest apps get their own band, the rest one "other" band', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `app${i}`);
  const usage = Object.fromEntries(ids.map((id, i) => [id, i % 2 ? i : 0.001]));
  const history = [snapshot(1000, usage), snapshot(3000, usage)];
  const top = busiestApps(history, 'cpu', ids, 4);
  assert.deepEqual(top, ['app5', 'app7', 'app9', 'app11'], 'the four busiest, in the engine\'s order');
  assert.deepEqual(busiestApps(history, 'cpu', ids.slice(0, 3), 4), ids.slice(0, 3), 'few apps: all of them');
  const rows = chartRows(history, 'cpu', 150, new Set(top));
  const last = rows[rows.length - 1]!;
  assert.equal(last.app11, 11);
  assert.equal(last.app0, undefined);
  assert.ok(Math.abs((last[OTHER_KEY] as number) - (1 + 3 + 6 * 0.001)) < 1e-9);
  assert.equal(last.x, 0, 'x is time before the newest snapshot');
  assert.equal(rows[0]!.x, -2000);
});

test('axis tops are nice numbers at or above the value', () => {
  assert.equal(niceCeil(0.43), 0.5);
  assert.equal(niceCeil(1.1e6), 1.2e6);
  assert.equal(niceCeil(4e9), 4e9);
  assert.equal(niceCeil(0), 0);
  for (const v of [0.0123, 7.7, 999, 123456]) assert.ok(niceCeil(v) >= v && niceCeil(v) <= v * 1.5, String(v));
});

test('axis ticks are round steps from 0 to at least the maximum', () => {
  assert.deepEqual(niceTicks(0.44), { top: 0.6, ticks: [0, 0.2, 0.4, 0.6] });
  assert.deepEqual(niceTicks(1), { top: 1, ticks: [0, 0.25, 0.5, 0.75, 1] });
  assert.deepEqual(niceTicks(3.7e6).ticks, [0, 1e6, 2e6, 3e6, 4e6]);
  assert.deepEqual(niceTicks(0), { top: 1, ticks: [0, 1] });
  for (const v of [0.013, 0.5, 7.7, 999, 123456, 4e9]) {
    const { top, ticks } = niceTicks(v);
    assert.ok(top >= v && ticks.length >= 3 && ticks.length <= 6, `${v}: ${ticks}`);
  }
});
