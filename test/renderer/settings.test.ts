import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePower, idleThresholdText, parseIdleThreshold } from '../../renderer/src/lib/settings.js';

test('the idle threshold as typed and shown, within what the engine accepts', () => {
  assert.deepEqual(parseIdleThreshold('5 min'), { ok: true, seconds: 300 });
  assert.deepEqual(parseIdleThreshold('90s'), { ok: true, seconds: 90 });
  assert.deepEqual(parseIdleThreshold('1.5h'), { ok: true, seconds: 5400 });
  assert.deepEqual(parseIdleThreshold('10'), { ok: true, seconds: 600 }, 'a bare number is minutes');
  for (const bad of ['10 s', '25h', 'soon', '-5 min']) assert.equal(parseIdleThreshold(bad).ok, false, bad);
  assert.equal(idleThresholdText(300), '5 min');
  assert.equal(idleThresholdText(3600), '1 h');
  assert.equal(idleThresholdText(90), '90 s');
});

test('what the automatic profile sees, in words', () => {
  assert.match(describePower(null, 300), /only when you choose/);
  assert.equal(
    describePower({ onBattery: true, idleSeconds: 12.4, locked: true, sources: ['sysfs power_supply', 'logind'], at: 1 }, 300),
    'Seen now: on battery, no input for 12 s (idle after 5 min), screen locked — from sysfs power_supply and logind.',
  );
  assert.equal(describePower({ onBattery: null, idleSeconds: null, locked: null, sources: [], at: 1 }, 60), 'Seen now: power supply unknown, idle time unknown.');
});
