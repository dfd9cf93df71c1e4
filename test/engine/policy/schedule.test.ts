// The week schedule in policy files, pure: days as runs of hours, errors naming the field,
// the plan (changed, unchanged, the setSchedule command before the profile), and the printed
// schedule reading back to the same grid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNCAPPED } from '../../../electron/common/model.js';
import { emptySchedule, type Schedule } from '../../../electron/common/schedule.js';
import { parsePolicyText, printPolicy } from '../../../electron/engine/policy/file.js';
import { planPolicy, policyOf, type PolicyState } from '../../../electron/engine/policy/plan.js';
import { PolicyError, readPolicy } from '../../../electron/engine/policy/schema.js';

const office = (): Schedule => {
  const s = emptySchedule();
  s.enabled = true;
  for (let d = 0; d < 5; d++) s.slots.fill('inUse', d * 24 + 9, d * 24 + 18);
  s.slots.fill('paused', 6 * 24, 7 * 24);
  return s;
};
const state = (schedule: Schedule): PolicyState => ({ profileChoice: 'auto', profiles: { inUse: { ...UNCAPPED }, idle: { ...UNCAPPED }, battery: { ...UNCAPPED } }, apps: [], schedule });

test('a schedule of runs per day; days left out are auto; enabled defaults to true', () => {
  const days = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, '09-18 in-use']));
  const policy = readPolicy({ schedule: { ...days, sun: '00-24 paused' } });
  assert.deepEqual(policy.schedule, office());
});

test('schedule errors name the field', () => {
  const wrong = (schedule: unknown, message: RegExp) => assert.throws(() => readPolicy({ schedule }), (e: Error) => e instanceof PolicyError && message.test(e.message), String(message));
  wrong({ mon: '09-18 turbo' }, /^schedule\.mon: "turbo" is not a slot: one of auto, in-use, idle, battery, paused \(runs such as "00-09 auto, 09-18 in-use, 18-24 auto"\)$/);
  wrong({ tue: '18-09 idle' }, /^schedule\.tue: "18-09" is not a span of hours/);
  wrong({ wed: '09-18 idle, 12 paused' }, /^schedule\.wed: "12 paused": 12:00 is already in another run/);
  wrong({ monday: '09 idle' }, /^schedule: Unrecognized key\(s\) in object: 'monday'$/);
  wrong({ enabled: 'yes' }, /^schedule\.enabled: Expected boolean, received string$/);
  wrong({ sun: 7 }, /^schedule\.sun: Expected string, received number$/);
});

test('the plan: the schedule changed by day, set before the profile is picked; the same schedule is unchanged', () => {
  const policy = readPolicy({ profile: 'idle', schedule: { enabled: true, sun: '00-24 paused' } });
  const plan = planPolicy(state(emptySchedule()), policy);
  const change = plan.changes.find((c) => c.subject === 'schedule');
  assert.deepEqual(change, { kind: 'changed', subject: 'schedule', detail: 'off -> on; sun 00-24 auto -> 00-24 paused' });
  assert.deepEqual(plan.steps.map((s) => s.name), ['setSchedule', 'setProfile'], 'the pick is made under the new schedule');
  assert.deepEqual(plan.steps[0]!.args, policy.schedule);
  const again = planPolicy(state(policy.schedule!), { schedule: policy.schedule! });
  assert.deepEqual(again.changes, [{ kind: 'unchanged', subject: 'schedule', detail: 'on' }]);
  assert.deepEqual(again.steps, []);
  assert.equal(planPolicy(state(office()), readPolicy({ caps: {} })).changes.some((c) => c.subject === 'schedule'), false, 'left out: not touched');
});

test('export prints every day as runs, and it reads back to the same grid (YAML and JSON)', () => {
  const policy = policyOf(state(office()));
  for (const format of ['yaml', 'json'] as const) {
    const text = printPolicy(policy, format);
    assert.match(text, format === 'yaml' ? /^ {2}mon: "?00-09 auto, 09-18 in-use, 18-24 auto"?$/m : /"sat": "00-24 auto"/);
    const back = parsePolicyText(text, format);
    assert.deepEqual(back.schedule, office());
    assert.deepEqual(planPolicy(state(office()), back).steps, [], 'export | apply changes nothing');
  }
});
