// The policy of every scheduler: one epoch for all of them, and the owner's bound on
// catch-up (EngineSettings.catchUpEpochs) handed to each; unbounded by default, as in the paper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineSettingsSchema } from '../../../electron/common/model.js';
import { PnsPolicy } from '../../../electron/engine/policies/index.js';
import { SCHEDULER_EPOCH, createSchedulers, schedulerPolicy } from '../../../electron/engine/schedulers/index.js';
import { VirtualClock } from './fakes.js';

test('catch-up is unbounded unless the owner bounds it', () => {
  assert.equal(EngineSettingsSchema.parse({}).catchUpEpochs, null);
  const policy = schedulerPolicy();
  assert.ok(policy instanceof PnsPolicy);
  assert.equal(policy.catchUpEpochs, null);
  assert.equal(policy.epoch, SCHEDULER_EPOCH);
});

test('the bound of the settings reaches the policy of every byte and CPU scheduler', () => {
  const set = createSchedulers({ clock: new VirtualClock(), ncpu: 2, catchUpEpochs: 2 });
  for (const s of [set.cpu, set.netUp, set.netDown, set.disk]) {
    assert.ok(s.policy instanceof PnsPolicy, s.resource);
    assert.equal(s.policy.catchUpEpochs, 2, s.resource);
    assert.equal(s.policy.epoch, SCHEDULER_EPOCH, s.resource);
  }
});
