// Idle and power detection without Electron: the rule, merging sources, the kernel's
// power_supply class (fake trees of a laptop, a desktop, a UPS, a wireless mouse),
// logind's hints through loginctl, and the polling/event loop of AutoProfile.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AutoProfile,
  chooseProfile,
  combineSources,
  idleSecondsFrom,
  logindPowerSource,
  mergeReadings,
  onBatteryFrom,
  parseProperties,
  readSupplies,
  sanitizeReading,
  sysfsPowerSource,
} from '../../../electron/engine/power/index.js';
import type { ProfileName } from '../../../electron/common/model.js';
import { tempDir } from '../helpers.js';
import { FakeTimers, ManualSource, flush, writeSupply } from './fakes.js';

describe('the rule and merging', () => {
  it('battery beats idle beats in use; unknown is in use', () => {
    assert.equal(chooseProfile({ onBattery: true, idleSeconds: 9999, locked: true }, 300), 'battery');
    assert.equal(chooseProfile({ onBattery: false, idleSeconds: 300, locked: false }, 300), 'idle');
    assert.equal(chooseProfile({ onBattery: false, idleSeconds: 299, locked: false }, 300), 'inUse');
    assert.equal(chooseProfile({ onBattery: null, idleSeconds: 0, locked: true }, 300), 'idle');
    assert.equal(chooseProfile({ onBattery: null, idleSeconds: null, locked: null }, 300), 'inUse');
  });

  it('the first source that knows wins; locked if any source says so', () => {
    const electron = { onBattery: false, idleSeconds: 12, locked: null };
    const sysfs = { onBattery: true, idleSeconds: null, locked: null };
    const logind = { onBattery: null, idleSeconds: 600, locked: true };
    assert.deepEqual(mergeReadings([electron, sysfs, logind]), { onBattery: false, idleSeconds: 12, locked: true });
    assert.deepEqual(mergeReadings([sysfs, logind]), { onBattery: true, idleSeconds: 600, locked: true });
    assert.deepEqual(mergeReadings([]), { onBattery: null, idleSeconds: null, locked: null });
  });

  it('range-checks what a source says', () => {
    assert.deepEqual(sanitizeReading({ onBattery: 'yes' as never, idleSeconds: -1, locked: 1 as never }), { onBattery: null, idleSeconds: null, locked: null });
    assert.deepEqual(sanitizeReading({ idleSeconds: Number.NaN }), { onBattery: null, idleSeconds: null, locked: null });
    assert.equal(sanitizeReading({ idleSeconds: 1e12 }).idleSeconds, 10 * 365 * 86400);
  });

  it('a combined source names the sources that answered and survives one that throws', async () => {
    const broken = { name: 'broken', read: () => Promise.reject(new Error('gone')) };
    const mute = { name: 'mute', read: async () => ({ onBattery: null, idleSeconds: null, locked: null }) };
    const manual = new ManualSource();
    manual.reading = { onBattery: true, idleSeconds: 5, locked: null };
    const both = combineSources([broken, mute, manual]);
    assert.deepEqual(await both.readNamed(), { reading: { onBattery: true, idleSeconds: 5, locked: null }, sources: ['test source'] });
  });
});

describe('/sys/class/power_supply', () => {
  it('laptop on AC, on battery, charging, full; desktop; UPS; a wireless mouse battery does not count', async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const tree = (name: string) => `${dir}/${name}`;
    const src = (name: string) => sysfsPowerSource(tree(name));

    writeSupply(tree('laptop-ac'), 'AC', { type: 'Mains', online: '1' });
    writeSupply(tree('laptop-ac'), 'BAT0', { type: 'Battery', status: 'Charging', scope: 'System' });
    assert.equal((await src('laptop-ac').read()).onBattery, false);

    writeSupply(tree('laptop-bat'), 'AC', { type: 'Mains', online: '0' });
    writeSupply(tree('laptop-bat'), 'BAT0', { type: 'Battery', status: 'Discharging' });
    assert.equal((await src('laptop-bat').read()).onBattery, true);

    // full battery, charger unplugged a moment ago: the offline mains says battery
    writeSupply(tree('laptop-full'), 'ADP1', { type: 'Mains', online: '0' });
    writeSupply(tree('laptop-full'), 'BAT1', { type: 'Battery', status: 'Full' });
    assert.equal((await src('laptop-full').read()).onBattery, true);

    // USB-C power delivery online
    writeSupply(tree('usbc'), 'ucsi-source-psy-USBC000:001', { type: 'USB', online: '1' });
    writeSupply(tree('usbc'), 'BAT0', { type: 'Battery', status: 'Not charging' });
    assert.equal((await src('usbc').read()).onBattery, false);

    // a desktop with a wireless mouse: its battery is a device's, not the system's
    writeSupply(tree('desktop-mouse'), 'hidpp_battery_0', { type: 'Battery', status: 'Discharging', scope: 'Device' });
    assert.equal((await src('desktop-mouse').read()).onBattery, false);

    // an empty class (a desktop or a VM): mains
    writeSupply(tree('desktop'), 'placeholder', {});
    assert.equal((await src('desktop').read()).onBattery, false);

    // no power_supply class at all (not Linux, or sysfs not mounted): unknown
    assert.equal((await src('nothing').read()).onBattery, null);
    assert.equal(onBatteryFrom(null), null);
  });

  it('this machine answers something sensible', async () => {
    const supplies = await readSupplies('/sys');
    const onBattery = (await sysfsPowerSource().read()).onBattery;
    assert.equal(onBattery, onBatteryFrom(supplies));
    assert.ok(onBattery === null || typeof onBattery === 'boolean');
  });
});

describe('logind', () => {
  it('reads IdleHint, IdleSinceHint and the graphical session\'s LockedHint', async () => {
    const now = 1_700_000_000_000;
    const calls: string[][] = [];
    const run = async (args: string[]) => {
      calls.push(args);
      if (args[0] === 'show-user') return `IdleHint=yes\nIdleSinceHint=${(now - 420_000) * 1000}\nDisplay=2\n`;
      return 'LockedHint=yes\n';
    };
    const r = await logindPowerSource({ uid: 1000, run, now: () => now }).read();
    assert.deepEqual(r, { onBattery: null, idleSeconds: 420, locked: true });
    assert.deepEqual(calls, [
      ['show-user', '1000', '--property=IdleHint', '--property=IdleSinceHint', '--property=Display'],
      ['show-session', '2', '--property=LockedHint'],
    ]);
  });

  it('active user, no graphical session, odd values', async () => {
    assert.equal(idleSecondsFrom(parseProperties('IdleHint=no\nIdleSinceHint=0\n'), 1), 0);
    assert.equal(idleSecondsFrom(parseProperties('IdleHint=yes\nIdleSinceHint=0\n'), 1), null);
    assert.equal(idleSecondsFrom(parseProperties('IdleHint=maybe\n'), 1), null);
    const calls: string[][] = [];
    const r = await logindPowerSource({ uid: 0, run: async (args) => (calls.push(args), 'IdleHint=no\nIdleSinceHint=0\nDisplay=\n') }).read();
    assert.deepEqual(r, { onBattery: null, idleSeconds: 0, locked: null });
    assert.equal(calls.length, 1, 'no session to ask about its lock');
    // a Display value that is not a session id is never passed on
    const r2 = await logindPowerSource({ run: async (args) => (args[0] === 'show-user' ? 'IdleHint=no\nDisplay=--all\n' : assert.fail('asked')) }).read();
    assert.equal(r2.locked, null);
  });

  it('without logind (or loginctl) it answers unknown, never throws', async () => {
    const r = await logindPowerSource({ run: () => Promise.reject(new Error('Failed to connect to bus')) }).read();
    assert.deepEqual(r, { onBattery: null, idleSeconds: null, locked: null });
    // the real loginctl of this machine: whatever it says is a valid reading
    const real = sanitizeReading(await logindPowerSource().read());
    assert.deepEqual(sanitizeReading(real), real);
  });
});

describe('AutoProfile', () => {
  function setup(threshold = 300) {
    const source = new ManualSource();
    const timers = new FakeTimers();
    const applied: ProfileName[] = [];
    const settings = { threshold };
    let failNext = false;
    const auto = new AutoProfile({
      source,
      timers,
      pollMs: 10_000,
      thresholdSeconds: () => settings.threshold,
      apply: async (p) => {
        if (failNext) {
          failNext = false;
          throw new Error('engine busy');
        }
        if (applied[applied.length - 1] !== p) applied.push(p);
      },
    });
    return { source, timers, applied, auto, settings, failOnce: () => (failNext = true) };
  }

  it('applies at start, polls, follows the threshold the owner sets', async () => {
    const { auto, applied, timers, source, settings } = setup(300);
    await auto.start();
    assert.deepEqual(applied, ['inUse']);
    assert.equal(timers.intervalMs, 10_000);
    source.reading.idleSeconds = 299;
    await timers.tick();
    assert.deepEqual(applied, ['inUse']);
    source.reading.idleSeconds = 300;
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'idle']);
    source.reading.idleSeconds = 2;
    await timers.tick();
    settings.threshold = 60;
    source.reading.idleSeconds = 61;
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'idle', 'inUse', 'idle']);
    assert.equal(auto.lastState?.idleSeconds, 61);
    auto.stop();
  });

  it('an event applies at once; bursts coalesce; stop removes timer and watch', async () => {
    const { auto, applied, timers, source } = setup();
    await auto.start();
    for (let k = 0; k < 10; k++) source.set({ onBattery: true });
    await flush();
    assert.deepEqual(applied, ['inUse', 'battery']);
    auto.stop();
    assert.equal(timers.ticks.length, 0);
    assert.equal(source.watchers, 0);
  });

  it('a refused switch is retried at the next tick', async () => {
    const { auto, applied, timers, source, failOnce } = setup();
    await auto.start();
    failOnce();
    source.set({ locked: true });
    await flush();
    assert.deepEqual(applied, ['inUse']);
    await timers.tick();
    assert.deepEqual(applied, ['inUse', 'idle']);
    auto.stop();
  });
});
