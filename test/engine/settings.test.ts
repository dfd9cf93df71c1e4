// Settings persistence: atomic writes, restart round trip, a corrupt file kept aside
// and reported, and the pause-all lease surviving a restart and expiring by itself.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createEngine } from '../../electron/engine/index.js';
import { loadSettings, writeFileAtomic, defaultSettings } from '../../electron/engine/settings.js';
import { NO_CEILINGS } from '../../electron/common/model.js';
import { tempDir, waitFor, zeroShares } from './helpers.js';

test('settings are written atomically and survive a restart', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let engine = await createEngine({ configDir: dir, autostart: false });
  await engine.invoke('setOwnerLimits', { limits: { cpu: 0.4, netDown: 2e6 } });
  await engine.invoke('setOwnerLimits', { profile: 'battery', limits: { cpu: 0.3 } });
  await engine.invoke('addApp', { name: 'Worker', command: 'sleep', args: ['1'], env: { A: 'b' }, shares: { ...zeroShares, cpu: 0.25 } });
  await engine.invoke('setProfile', { profile: 'idle' });
  await engine.invoke('updateSettings', { snapshotHz: 4, onEngineLoss: 'continue' });
  await engine.shutdown();
  // only settings.json and the history (its WAL merged back at shutdown): no temp file left behind; private to the owner
  assert.deepEqual(readdirSync(dir).sort(), ['history.db', 'settings.json']);
  assert.equal(statSync(path.join(dir, 'settings.json')).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(dir, 'history.db')).mode & 0o777, 0o600);
  const onDisk = JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'));
  assert.equal(onDisk.profiles.inUse.cpu, 0.4);

  engine = await createEngine({ configDir: dir, autostart: false });
  const s = await engine.invoke('getState', {});
  await engine.shutdown();
  assert.equal(s.profile, 'idle');
  assert.equal(s.profiles.inUse.cpu, 0.4);
  assert.equal(s.profiles.inUse.netDown, 2e6);
  assert.equal(s.profiles.battery.cpu, 0.3);
  assert.equal(s.settings.snapshotHz, 4);
  assert.equal(s.settings.onEngineLoss, 'continue');
  assert.equal(s.apps.length, 1);
  assert.deepEqual(s.apps[0]!.definition, { id: 'worker', name: 'Worker', command: 'sleep', args: ['1'], env: { A: 'b' }, autostart: false, shares: { ...zeroShares, cpu: 0.25 }, ceilings: NO_CEILINGS });
});

// `interceptor run`'s engine: its config dir is thrown away, so nothing is written (each save
// was an fsync before the app started), and its settings still take effect.
test('persistSettings false: the settings change in memory and nothing reaches the disk', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writeFileSync(path.join(dir, 'settings.json'), '{"not": "read"');
  const engine = await createEngine({ configDir: dir, autostart: false, historyDir: null, persistSettings: false });
  await engine.invoke('setOwnerLimits', { limits: { netDown: 2e6 } });
  await engine.invoke('updateSettings', { snapshotHz: 4 });
  await engine.invoke('addApp', { name: 'Worker', command: 'sleep', args: ['1'], shares: zeroShares });
  const s = await engine.invoke('getState', {});
  await engine.shutdown();
  assert.equal(s.profiles.inUse.netDown, 2e6);
  assert.equal(s.settings.snapshotHz, 4);
  assert.equal(s.apps.length, 1);
  // (a file it had read would have been moved aside as corrupt)
  assert.deepEqual(readdirSync(dir), ['settings.json']);
  assert.equal(readFileSync(path.join(dir, 'settings.json'), 'utf8'), '{"not": "read"');
});

test('writeFileAtomic replaces the file whole (never a partial file)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'x.json');
  await writeFileAtomic(file, 'a'.repeat(100_000));
  const writes = Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, String(i).repeat(50_000)));
  let reads = 0;
  const reader = (async () => {
    while (reads < 200) {
      const text = readFileSync(file, 'utf8');
      assert.ok(text.length === 100_000 || /^(\d)\1*$/.test(text) || /^(\d\d)+$/.test(text), 'a reader saw a torn file');
      reads++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  await Promise.all([...writes, reader]);
  assert.deepEqual(readdirSync(dir), ['x.json']);
});

for (const [label, content] of [
  ['not JSON', '{"version":1, "profiles": '],
  ['fails the schema', JSON.stringify({ ...defaultSettings(), settings: { snapshotHz: 1000 } })],
  ['shares past a cap', JSON.stringify({ ...defaultSettings(), profiles: { ...defaultSettings().profiles, inUse: { cpu: 0.1, netUp: null, netDown: null, disk: null, mem: null } }, apps: [{ id: 'a', name: 'a', command: 'x', args: [], env: {}, autostart: false, shares: { ...zeroShares, cpu: 0.5 } }] })],
] as const) {
  test(`a corrupt settings file (${label}) is kept aside and reported, defaults in use`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, content);
    const engine = await createEngine({ configDir: dir, autostart: false });
    const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
    const state = await engine.invoke('getState', {});
    await engine.shutdown();
    const aside = readdirSync(dir).filter((f) => f.startsWith('settings.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(readFileSync(path.join(dir, aside[0]!), 'utf8'), content, 'the bad file is kept byte for byte');
    const entry = log.find((e) => e.kind === 'error' && e.message.includes(aside[0]!));
    assert.ok(entry, `reported in the event log: ${JSON.stringify(log)}`);
    assert.deepEqual(state.apps, []);
    // a fresh valid file was written in its place
    const reloaded = await loadSettings(file);
    assert.equal(reloaded.corrupt, null);
  });
}

test('the pause-all lease survives a restart and expires by itself', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let engine = await createEngine({ configDir: dir, autostart: false });
  const s1 = await engine.invoke('pauseAll', { durationMs: 1500 });
  assert.ok(s1.pause && s1.pause.until !== null);
  assert.equal(s1.limits.cpu, 0);
  await engine.shutdown();

  engine = await createEngine({ configDir: dir, autostart: false });
  t.after(() => engine.shutdown());
  const s2 = await engine.invoke('getState', {});
  assert.deepEqual(s2.pause, s1.pause, 'lease restored after restart');
  const ended = await waitFor(engine, 'state', (s) => s.pause === null, 5000);
  assert.equal(ended.limits.cpu, null);
  assert.ok(Date.now() >= s1.pause!.until!);
  const onDisk = JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'));
  assert.equal(onDisk.pause, null, 'expiry is persisted');
  const log = await engine.invoke('getEventLog', { sinceSeq: 0 });
  assert.ok(log.some((e) => /expired/.test(e.message)));
});

test('an expired lease is dropped at start; an open-ended one stays until resumeAll', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'settings.json');
  writeFileSync(file, JSON.stringify({ ...defaultSettings(), pause: { since: 1, until: 2 } }));
  let engine = await createEngine({ configDir: dir, autostart: false });
  assert.equal((await engine.invoke('getState', {})).pause, null);
  await engine.invoke('pauseAll', { durationMs: null });
  await engine.shutdown();
  engine = await createEngine({ configDir: dir, autostart: false });
  t.after(() => engine.shutdown());
  const s = await engine.invoke('getState', {});
  assert.equal(s.pause?.until, null);
  assert.ok(s.pause);
  const r = await engine.invoke('resumeAll', {});
  assert.equal(r.pause, null);
});

test('one engine per config dir: a second one is refused while the first runs', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const first = await createEngine({ configDir: dir, autostart: false });
  await assert.rejects(createEngine({ configDir: dir, autostart: false }), (e: unknown) => (e as { code?: string }).code === 'conflict' && /another Interceptor engine/.test((e as Error).message));
  await first.shutdown();
  const second = await createEngine({ configDir: dir, autostart: false });
  await second.shutdown();
  // a stale lock (dead pid) is taken over
  writeFileSync(path.join(dir, 'engine.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
  const third = await createEngine({ configDir: dir, autostart: false });
  await third.shutdown();
});

test('a settings file from before capacities loads with every capacity unknown', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'settings.json');
  const old: Record<string, unknown> = { ...defaultSettings(), profiles: { ...defaultSettings().profiles, inUse: { cpu: 0.4, netUp: 5e6, netDown: null, disk: null, mem: null } } };
  delete old.capacity;
  writeFileSync(file, JSON.stringify(old));
  const loaded = await loadSettings(file);
  assert.equal(loaded.corrupt, null, 'an old file is not corrupt');
  const unknown = { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null };
  assert.deepEqual(loaded.data.capacity, { netUp: unknown, netDown: unknown, disk: unknown });
  assert.equal(loaded.data.profiles.inUse.netUp, 5e6);
  // through the engine too (no default route: nothing is measured at start), and written back with it
  const engine = await createEngine({ configDir: dir, autostart: false, sampleNetwork: false, systemRoots: { proc: path.join(dir, 'none'), sys: path.join(dir, 'none') } });
  const s = await engine.invoke('getState', {});
  assert.deepEqual(s.capacity.disk, unknown);
  await engine.invoke('setCapacity', { resource: 'disk', bytesPerSec: 80e6 });
  await engine.shutdown();
  const onDisk = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(onDisk.capacity.disk, { bytesPerSec: 80e6, source: 'owner', measuredAt: null, method: null });
  assert.deepEqual(onDisk.capacity.netUp, unknown);
  assert.deepEqual((await loadSettings(file)).data.capacity.disk, onDisk.capacity.disk, 'round trip');
});

test('a capacity that contradicts itself makes the file corrupt (kept aside)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'settings.json');
  const unknown = { bytesPerSec: null, source: 'unknown', measuredAt: null, method: null };
  for (const disk of [
    { bytesPerSec: 5e6, source: 'unknown', measuredAt: null, method: null },
    { bytesPerSec: null, source: 'owner', measuredAt: null, method: null },
    { bytesPerSec: -1, source: 'owner', measuredAt: null, method: null },
    { bytesPerSec: 2e15, source: 'measured', measuredAt: 1, method: 'x' },
  ]) {
    writeFileSync(file, JSON.stringify({ ...defaultSettings(), capacity: { netUp: unknown, netDown: unknown, disk } }));
    const loaded = await loadSettings(file);
    assert.ok(loaded.corrupt, JSON.stringify(disk));
    assert.match(loaded.corrupt.reason, /^capacity\.disk/);
  }
});
