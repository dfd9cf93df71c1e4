// Electron's powerMonitor as a source of the engine's automatic profile: its events
// apply at once, it beats sysfs and logind where it knows, lock/unlock come from its
// events, and a method that throws leaves the field to the other sources.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ProfileName } from '../../electron/common/model.js';
import { AutoProfile, combineSources } from '../../electron/engine/power/index.js';
import { POWER_EVENTS, powerMonitorSource, type PowerMonitorLike } from '../../electron/main/power-monitor-source.js';
import { FakeTimers, flush } from '../engine/power/fakes.js';

class FakePowerMonitor extends EventEmitter implements PowerMonitorLike {
  onBattery = false;
  idle = 0;
  broken = false;
  isOnBatteryPower() {
    if (this.broken) throw new Error('not supported');
    return this.onBattery;
  }
  getSystemIdleTime() {
    return this.idle;
  }
}

function setup(other = { onBattery: true, idleSeconds: 5000, locked: null as boolean | null }) {
  const pm = new FakePowerMonitor();
  const timers = new FakeTimers();
  const applied: ProfileName[] = [];
  const system = { name: 'system', read: async () => ({ ...other }) };
  const auto = new AutoProfile({
    source: combineSources([powerMonitorSource(pm), system]),
    timers,
    thresholdSeconds: () => 300,
    apply: async (p) => void (applied[applied.length - 1] !== p && applied.push(p)),
  });
  return { pm, timers, applied, auto };
}

describe('powerMonitor source', () => {
  it('knows better than the system sources where it answers', async () => {
    const { auto, applied, pm } = setup();
    await auto.start();
    assert.deepEqual(applied, ['inUse'], 'AC and active by Electron, though the other source says battery and idle');
    assert.deepEqual(auto.lastState?.sources, ['Electron powerMonitor', 'system']);
    pm.broken = true;
    pm.emit('on-battery');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery'], 'battery unknown to Electron: the system source tells');
    auto.stop();
  });

  it('battery and AC events switch at once; lock and unlock too', async () => {
    const { auto, applied, pm } = setup({ onBattery: null as never, idleSeconds: null as never, locked: null });
    await auto.start();
    pm.onBattery = true;
    pm.emit('on-battery');
    await flush();
    pm.onBattery = false;
    pm.emit('on-ac');
    await flush();
    pm.emit('lock-screen');
    await flush();
    pm.emit('unlock-screen');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery', 'inUse', 'idle', 'inUse']);
    pm.idle = 301;
    pm.emit('user-did-resign-active');
    await flush();
    assert.deepEqual(applied.slice(-1), ['idle']);
    auto.stop();
    for (const e of POWER_EVENTS) assert.equal(pm.listenerCount(e), 0, e);
  });
});
