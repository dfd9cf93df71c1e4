// The engine chooses the profile itself, with or without Electron: from an injected
// source, and from a fake /sys/class/power_supply tree through the same system source
// `interceptor serve` uses. The owner's manual pick holds until set back to "auto",
// and survives a restart.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createEngine } from '../../../electron/engine/index.js';
import { systemPowerSource } from '../../../electron/engine/power/index.js';
import { tempDir, testEngine, until } from '../helpers.js';
import { ManualSource, writeSupply } from './fakes.js';

const profileOf = async (engine: { invoke: (n: 'getState', a: object) => Promise<{ profile: string }> }) => (await engine.invoke('getState', {})).profile;

test('an injected source: battery, idle and in use switch the profile and its caps; the state says why', async (t) => {
  const source = new ManualSource();
  const { engine } = await testEngine(t, { power: source });
  await engine.invoke('setOwnerLimits', { profile: 'battery', limits: { cpu: 0.1 } });
  await engine.invoke('setOwnerLimits', { profile: 'idle', limits: { cpu: 0.9 } });
  let s = await engine.invoke('getState', {});
  assert.equal(s.profile, 'inUse');
  assert.equal(s.profileChoice, 'auto');
  assert.deepEqual(s.power?.sources, ['test source']);

  source.set({ onBattery: true });
  await until(async () => (await profileOf(engine)) === 'battery', 5000, 'battery profile');
  s = await engine.invoke('getState', {});
  assert.equal(s.limits.cpu, 0.1, 'the battery caps are in force');
  assert.equal(s.power?.onBattery, true);

  source.set({ onBattery: false, idleSeconds: 301 });
  await until(async () => (await profileOf(engine)) === 'idle', 5000, 'idle profile');
  assert.equal((await engine.invoke('getState', {})).limits.cpu, 0.9);
  source.set({ idleSeconds: 0 });
  await until(async () => (await profileOf(engine)) === 'inUse', 5000, 'in use again');
});

test('a manual pick holds against the source until "auto"; it survives a restart', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const source = new ManualSource();
  let engine = await createEngine({ configDir: dir, autostart: false, power: source });
  try {
    const s = await engine.invoke('setProfile', { profile: 'idle' });
    assert.equal(s.profile, 'idle');
    assert.equal(s.profileChoice, 'idle');
    source.set({ onBattery: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await profileOf(engine), 'idle', 'the owner\'s pick is not overridden');
  } finally {
    await engine.shutdown({ leaveRunning: false });
  }
  engine = await createEngine({ configDir: dir, autostart: false, power: source });
  try {
    let s = await engine.invoke('getState', {});
    assert.deepEqual([s.profile, s.profileChoice], ['idle', 'idle'], 'after a restart');
    s = await engine.invoke('setProfile', { profile: 'auto' });
    assert.deepEqual([s.profile, s.profileChoice], ['battery', 'auto'], 'back to auto: the source decides at once');
    await assert.rejects(engine.invoke('setProfile', { profile: 'turbo' as never }), /setProfile: profile/);
  } finally {
    await engine.shutdown({ leaveRunning: false });
  }
});

test('without a source the profile changes only by hand, and the state says there is no detection', async (t) => {
  const { engine } = await testEngine(t);
  let s = await engine.invoke('getState', {});
  assert.equal(s.power, null);
  s = await engine.invoke('setProfile', { profile: 'battery' });
  assert.equal(s.profile, 'battery');
  s = await engine.invoke('setProfile', { profile: 'auto' });
  assert.deepEqual([s.profile, s.profileChoice], ['battery', 'auto'], 'nothing to follow: the profile stays');
});

test('headless: a fake /sys/class/power_supply tree through the system source', async (t) => {
  const { dir: sys, cleanup } = tempDir();
  t.after(cleanup);
  writeSupply(sys, 'AC', { type: 'Mains', online: '1' });
  writeSupply(sys, 'BAT0', { type: 'Battery', status: 'Charging' });
  const { engine } = await testEngine(t, { power: systemPowerSource({ sysRoot: sys }), powerPollMs: 50, systemRoots: { sys } });
  assert.equal(await profileOf(engine), 'inUse');
  assert.ok((await engine.invoke('getState', {})).power?.sources.includes('sysfs power_supply'));
  // unplug
  writeFileSync(path.join(sys, 'class/power_supply/AC/online'), '0\n');
  writeFileSync(path.join(sys, 'class/power_supply/BAT0/status'), 'Discharging\n');
  await until(async () => (await profileOf(engine)) === 'battery', 5000, 'battery after unplugging');
  // plug in again
  writeFileSync(path.join(sys, 'class/power_supply/AC/online'), '1\n');
  await until(async () => (await profileOf(engine)) === 'inUse', 5000, 'in use after plugging in');
});
