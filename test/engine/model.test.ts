// Model validation through the contract: ranges, shapes, and the admission rule
// Σ S(Pi, τ) ≤ S(P2P, τ) for every profile (code sharesExceedCap).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError } from '../../electron/common/contract.js';
import { makeAppId, findShareViolation, effectiveLimits } from '../../electron/engine/limits.js';
import { NO_CEILINGS, UNCAPPED } from '../../electron/common/model.js';
import { testEngine, zeroShares } from './helpers.js';

async function rejects(p: Promise<unknown>, code: string, re?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CommandError, `expected CommandError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

test('shares may not sum past the cap: addApp, updateApp and lowering the cap', async (t) => {
  const { engine } = await testEngine(t);
  await engine.invoke('setOwnerLimits', { limits: { cpu: 0.5, netUp: 1_000_000 } });
  await engine.invoke('addApp', { name: 'a', command: 'sleep', shares: { ...zeroShares, cpu: 0.3, netUp: 600_000 } });
  await rejects(engine.invoke('addApp', { name: 'b', command: 'sleep', shares: { ...zeroShares, cpu: 0.3 } }), 'sharesExceedCap', /cpu.*50%/);
  await rejects(engine.invoke('addApp', { name: 'b', command: 'sleep', shares: { ...zeroShares, netUp: 500_000 } }), 'sharesExceedCap', /netUp/);
  const b = await engine.invoke('addApp', { name: 'b', command: 'sleep', shares: { ...zeroShares, cpu: 0.2, netUp: 400_000 } });
  assert.equal(b.definition.id, 'b');
  await rejects(engine.invoke('updateApp', { id: 'b', patch: { shares: { ...zeroShares, cpu: 0.25 } } }), 'sharesExceedCap');
  await rejects(engine.invoke('setOwnerLimits', { limits: { cpu: 0.4 } }), 'sharesExceedCap');
  // another profile counts too: any profile can become active
  await rejects(engine.invoke('setOwnerLimits', { profile: 'battery', limits: { cpu: 0.1 } }), 'sharesExceedCap', /battery/);
  // nothing was changed by the refused commands
  const state = await engine.invoke('getState', {});
  assert.equal(state.profiles.inUse.cpu, 0.5);
  assert.equal(state.profiles.battery.cpu, null);
  assert.deepEqual(state.apps.map((a) => a.definition.shares.cpu), [0.3, 0.2]);
  // a patch changes only what it names
  const renamed = await engine.invoke('updateApp', { id: 'b', patch: { name: 'B two', args: ['5'] } });
  assert.deepEqual(renamed.definition, { id: 'b', name: 'B two', command: 'sleep', args: ['5'], env: {}, autostart: false, shares: { ...zeroShares, cpu: 0.2, netUp: 400_000 }, ceilings: NO_CEILINGS });
  // exactly at the cap is fine; removing the cap is fine
  await engine.invoke('setOwnerLimits', { limits: { cpu: 0.5, netUp: null } });
  await engine.invoke('updateApp', { id: 'b', patch: { shares: { ...zeroShares, netUp: 5e9, cpu: 0.2 } } });
});

test('without caps, CPU shares still may not exceed the whole machine', async (t) => {
  const { engine } = await testEngine(t);
  await engine.invoke('addApp', { name: 'a', command: 'sleep', shares: { ...zeroShares, cpu: 0.7 } });
  await rejects(engine.invoke('addApp', { name: 'b', command: 'sleep', shares: { ...zeroShares, cpu: 0.4 } }), 'sharesExceedCap', /whole machine/);
});

test('every value is range-checked (code invalid)', async (t) => {
  const { engine } = await testEngine(t);
  const bad: [string, unknown][] = [
    ['setOwnerLimits', { limits: { cpu: 1.5 } }],
    ['setOwnerLimits', { limits: { cpu: -0.1 } }],
    ['setOwnerLimits', { limits: { netUp: -1 } }],
    ['setOwnerLimits', { limits: { mem: 1e16 } }],
    ['setOwnerLimits', { limits: { cpu: Number.NaN } }],
    ['setOwnerLimits', { limits: { gpu: 1 } }],
    ['setOwnerLimits', { profile: 'night', limits: {} }],
    ['addApp', { name: '', command: 'x' }],
    ['addApp', { name: 'x', command: '' }],
    ['addApp', { name: 'x', command: 'a\0b' }],
    ['addApp', { name: 'x', command: 'sleep', env: { 'BAD-NAME': '1' } }],
    ['addApp', { name: 'x', command: 'sleep', shares: { ...zeroShares, cpu: 2 } }],
    ['addApp', { name: 'x', command: 'sleep', extra: true }],
    ['startApp', { id: '../etc' }],
    ['pauseAll', { durationMs: -5 }],
    ['pauseAll', { durationMs: 31 * 24 * 3600 * 1000 }],
    ['updateSettings', { snapshotHz: 100 }],
    ['updateSettings', { onQuit: 'explode' }],
    ['resizeTerminal', { id: 'x', cols: 1, rows: 10 }],
    ['getHistory', { seconds: 0 }],
    ['noSuchCommand', {}],
  ];
  for (const [cmd, args] of bad) {
    await rejects(engine.invoke(cmd as 'getState', args), 'invalid');
  }
  await rejects(engine.invoke('startApp', { id: 'nope' }), 'notFound');
  await rejects(engine.invoke('updateApp', { id: 'nope', patch: {} }), 'notFound');
});

test('app ids are derived from names and unique', () => {
  assert.equal(makeAppId('Transmission Daemon', new Set()), 'transmission-daemon');
  assert.equal(makeAppId('a', new Set(['a', 'a-2'])), 'a-3');
  assert.equal(makeAppId('***', new Set()), 'app');
});

test('effective limits apply a pause lease except to memory; violations are found per profile', () => {
  const profiles = { inUse: { ...UNCAPPED, cpu: 0.5, mem: 1000 }, idle: { ...UNCAPPED }, battery: { ...UNCAPPED, netUp: 10 } };
  assert.deepEqual(effectiveLimits(profiles, 'inUse', { since: 0, until: null }, 5), { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 1000 });
  assert.deepEqual(effectiveLimits(profiles, 'inUse', { since: 0, until: 4 }, 5), profiles.inUse);
  const v = findShareViolation([{ shares: { ...zeroShares, netUp: 11 } }], profiles);
  assert.deepEqual(v, { resource: 'netUp', profile: 'battery', sum: 11, cap: 10 });
});

test('profiles: setProfile switches the caps in force', async (t) => {
  const { engine } = await testEngine(t);
  await engine.invoke('setOwnerLimits', { profile: 'idle', limits: { cpu: 0.9 } });
  await engine.invoke('setOwnerLimits', { limits: { cpu: 0.2 } });
  let s = await engine.invoke('getState', {});
  assert.equal(s.profile, 'inUse');
  assert.equal(s.limits.cpu, 0.2);
  s = await engine.invoke('setProfile', { profile: 'idle' });
  assert.equal(s.profile, 'idle');
  assert.equal(s.limits.cpu, 0.9);
});
