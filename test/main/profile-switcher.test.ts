import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ProfileName } from '../../electron/common/model.js';
import { ProfileSwitcher, chooseProfile, type PowerMonitorLike, type TimerFns } from '../../electron/main/profile-switcher.js';

class FakePowerMonitor extends EventEmitter implements PowerMonitorLike {
  onBattery = false;
  idle = 0;
  isOnBatteryPower() {
    return this.onBattery;
  }
  getSystemIdleTime() {
    return this.idle;
  }
  override on(event: string, listener: () => void) {
    return super.on(event, listener);
  }
}

class FakeTimers implements TimerFns {
  ticks: Array<() => void> = [];
  intervalMs: number | null = null;
  setInterval(cb: () => void, ms: number) {
    this.ticks.push(cb);
    this.intervalMs = ms;
    return this.ticks.length;
  }
  clearInterval(handle: unknown) {
    this.ticks.splice((handle as number) - 1, 1);
  }
  async tick() {
    for (const t of this.ticks) t();
    await flush();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(threshold = 300) {
  const pm = new FakePowerMonitor();
  const timers = new FakeTimers();
  const applied: ProfileName[] = [];
  let failNext = false;
  const settings = { threshold };
  const switcher = new ProfileSwitcher({
    powerMonitor: pm,
    timers,
    getThresholdSeconds: () => settings.threshold,
    apply: async (p) => {
      if (failNext) {
        failNext = false;
        throw new Error('engine busy');
      }
      applied.push(p);
    },
  });
  return { pm, timers, applied, switcher, settings, failOnce: () => (failNext = true) };
}

describe('profile switcher', () => {
  it('the rule: battery beats idle beats in use', () => {
    assert.equal(chooseProfile({ onBattery: true, idleSeconds: 9999, locked: true, thresholdSeconds: 300 }), 'battery');
    assert.equal(chooseProfile({ onBattery: false, idleSeconds: 300, locked: false, thresholdSeconds: 300 }), 'idle');
    assert.equal(chooseProfile({ onBattery: false, idleSeconds: 299, locked: false, thresholdSeconds: 300 }), 'inUse');
    assert.equal(chooseProfile({ onBattery: false, idleSeconds: 0, locked: true, thresholdSeconds: 300 }), 'idle');
  });

  it('applies the initial profile and polls every 15 s', async () => {
    const { switcher, applied, timers } = setup();
    await switcher.start();
    assert.deepEqual(applied, ['inUse']);
    assert.equal(timers.intervalMs, 15_000);
    assert.equal(switcher.current, 'inUse');
    await timers.tick();
    assert.deepEqual(applied, ['inUse'], 'no change, no call');
    switcher.stop();
  });

  it('switches to idle when the idle time passes the threshold, back on activity', async () => {
    const { switcher, applied, timers, pm, settings } = setup(300);
    await switcher.start();
    pm.idle = 299;
    await timers.tick();
    assert.deepEqual(applied, ['inUse']);
    pm.idle = 300;
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'idle']);
    pm.idle = 2;
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'idle', 'inUse']);
    settings.threshold = 60; // the owner changed the setting
    pm.idle = 61;
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'idle', 'inUse', 'idle']);
    switcher.stop();
  });

  it('switches on battery and AC events at once, battery beating idle', async () => {
    const { switcher, applied, pm } = setup();
    await switcher.start();
    pm.onBattery = true;
    pm.emit('on-battery');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery']);
    pm.idle = 1000;
    pm.emit('lock-screen');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery'], 'still on battery');
    pm.onBattery = false;
    pm.emit('on-ac');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery', 'idle']);
    switcher.stop();
  });

  it('locking the screen means idle; unlocking means in use', async () => {
    const { switcher, applied, pm } = setup();
    await switcher.start();
    pm.emit('lock-screen');
    await flush();
    assert.deepEqual(applied, ['inUse', 'idle']);
    pm.emit('unlock-screen');
    await flush();
    assert.deepEqual(applied, ['inUse', 'idle', 'inUse']);
    switcher.stop();
  });

  it('starts on battery if the machine already is', async () => {
    const { switcher, applied, pm } = setup();
    pm.onBattery = true;
    await switcher.start();
    assert.deepEqual(applied, ['battery']);
    switcher.stop();
  });

  it('retries a switch the engine refused, on the next tick', async () => {
    const { switcher, applied, pm, timers, failOnce } = setup();
    await switcher.start();
    failOnce();
    pm.onBattery = true;
    pm.emit('on-battery');
    await flush();
    assert.deepEqual(applied, ['inUse']);
    assert.equal(switcher.current, 'inUse');
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'battery']);
    switcher.stop();
  });

  it('coalesces bursts of events and stops listening when stopped', async () => {
    const { switcher, applied, pm, timers } = setup();
    await switcher.start();
    pm.onBattery = true;
    for (let k = 0; k < 10; k++) pm.emit('on-battery');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery']);
    switcher.stop();
    assert.equal(timers.ticks.length, 0);
    for (const e of ['on-battery', 'on-ac', 'lock-screen', 'unlock-screen', 'resume']) assert.equal(pm.listenerCount(e), 0, e);
    pm.onBattery = false;
    pm.emit('on-ac');
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery']);
  });
});
