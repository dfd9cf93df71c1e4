// `interceptor schedule show|set|clear` against a real `interceptor serve` whose zone is
// Europe/Berlin (TZ): the grid, now and next, painting, on/off, usage errors (exit 2), and the
// schedule in `apply -f` / `export`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { nextChange, type Schedule } from '../../../electron/common/schedule.js';
import { formatInstant } from '../../../electron/common/schedule-text.js';
import { ensureBuilt } from '../helpers.js';
import { cli, startServe, userDirs } from './cli-helpers.js';

before(ensureBuilt);

const ZONE = 'Europe/Berlin';

test('schedule: usage errors exit 2 and say what is expected', () => {
  const cases: Array<[string[], RegExp]> = [
    [['schedule', 'frob'], /unknown schedule command "frob": show, set, clear/],
    [['schedule', 'set'], /schedule set DAYS HOURS SLOT/],
    [['schedule', 'set', 'mon-fri', '09-18'], /three words/],
    [['schedule', 'set', 'someday', '09-18', 'idle'], /"someday" is not a day/],
    [['schedule', 'set', 'mon', '18-09', 'idle'], /"18-09" is not a span of hours/],
    [['schedule', 'set', 'mon', '9', 'turbo'], /"turbo" is not a slot: one of auto, in-use, idle, battery, paused/],
    [['schedule', 'set', '--on', '--off'], /--on or --off, not both/],
    [['schedule', 'clear', 'mon'], /takes no argument "mon"/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /Run `interceptor schedule --help` for usage\.\n$/);
  }
  const help = cli(['schedule', 'set', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: interceptor schedule/);
});

test('schedule set paints and turns it on; show prints the grid, now and next; clear; apply and export carry it', async (t) => {
  const { dir, env: base } = userDirs(t);
  const env = { ...base, TZ: ZONE };
  await startServe(t, ['--port', '0'], env);

  let r = cli(['schedule'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Schedule: off — hours are local time in Europe\/Berlin\n/);
  assert.match(r.stdout, /^Next: nothing \(the schedule is off\)$/m);

  r = cli(['schedule', 'set', 'weekdays', '09-18', 'in-use'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(cli(['schedule', 'set', 'sun', 'all', 'paused'], env).code, 0);
  r = cli(['schedule', 'show'], env);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^Schedule: on — hours are local time in Europe\/Berlin; this hour: (auto|in-use|paused)$/);
  assert.equal(lines[1], '      00    03    06    09    12    15    18    21');
  assert.equal(lines[2], `Mon   ${'. '.repeat(9)}${'U '.repeat(9)}${'. '.repeat(5)}.`);
  assert.equal(lines[8], `Sun   ${'P '.repeat(23)}P`);
  assert.equal(lines[9], 'Legend: . auto  U in-use  I idle  B battery  P paused');
  assert.match(lines[10]!, /^Now: {2}(in use|idle|on battery) \((forced by the schedule|automatic, but nothing detects idle or power here|detection: idle and power state)\)(; all apps paused by the schedule)?$/);

  const json = JSON.parse(cli(['schedule', 'show', '--json'], env).stdout) as { schedule: Schedule & { next: { at: number } | null; timeZone: string } };
  assert.equal(json.schedule.timeZone, ZONE);
  const expected = nextChange(json.schedule, Date.now(), ZONE)!;
  assert.equal(json.schedule.next?.at, expected.at, 'the engine and the evaluator agree on the next change');
  assert.ok(r.stdout.includes(`Next: ${formatInstant(expected.at, ZONE)} -> `), r.stdout);

  assert.match(cli(['status'], env).stdout, /^Schedule: on(, all apps paused by it now)?; next change (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:00 -> (auto|in-use|paused)$/m);

  r = cli(['profile', 'set', 'idle'], env);
  assert.ok(r.stdout.startsWith(`Profile: idle (chosen by hand, until the week schedule's next change at ${formatInstant(expected.at, ZONE)})\n`), r.stdout);
  assert.ok(cli(['schedule'], env).stdout.includes(`Now:  idle (picked by hand, until the schedule's change at ${formatInstant(expected.at, ZONE)})`));

  // export carries the schedule; applied back it changes nothing; a file's schedule replaces it
  r = cli(['export'], env);
  assert.match(r.stdout, /^schedule:\n {2}enabled: true\n {2}mon: "?00-09 auto, 09-18 in-use, 18-24 auto"?\n/m);
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, r.stdout);
  assert.match(cli(['apply', '-f', file], env).stdout, /^= schedule: on$/m);
  writeFileSync(file, 'schedule:\n  enabled: false\n  sat: 22-24 idle\n');
  r = cli(['apply', '-f', file], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^~ schedule: on -> off; mon 00-09 auto, 09-18 in-use, 18-24 auto -> 00-24 auto; .*sat 00-24 auto -> 00-22 auto, 22-24 idle; sun 00-24 paused -> 00-24 auto$/m);
  writeFileSync(file, 'schedule:\n  sat: 22-24 turbo\n');
  r = cli(['apply', '-f', file], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /policy\.yaml: schedule\.sat: "turbo" is not a slot/);

  assert.equal(cli(['schedule', 'set', '--on'], env).code, 0);
  assert.match(cli(['schedule'], env).stdout, /^Schedule: on/);
  r = cli(['schedule', 'clear'], env);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Schedule: off/);
  assert.ok(!/[UIBP] /.test(r.stdout.split('\n').slice(2, 9).join('\n')), 'every hour auto');
});
