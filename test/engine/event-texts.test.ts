// The event log of a real app under the real helper: its own start line by its name,
// and its child processes folded into one line (not one line per `date`), then its end
// with what exit code 127 usually means.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireHelper, testEngine, until } from './helpers.js';


test('child process starts are folded into one line; start and end are worded for the owner', async (t) => {
  requireHelper();
  const { engine } = await testEngine(t);
  // four children (date ×3, ls), then a command that is not found: the shell exits with 127
  await engine.invoke('addApp', { name: 'Ticker', command: 'sh', args: ['-c', 'date; date; date; ls / >/dev/null; no-such-command-interceptor'] });
  const started = await engine.invoke('startApp', { id: 'ticker' });
  await until(async () => (await engine.invoke('getState', {})).apps[0]!.state === 'crashed', 10_000, 'the app ends');
  const log = (await engine.invoke('getEventLog', { sinceSeq: 0 })).filter((e) => e.appId === 'ticker');
  const lines = log.map((e) => `${e.kind}: ${e.message}`);
  assert.ok(lines.includes(`start: Ticker started (pid ${started.pid})`), lines.join('\n'));
  const children = lines.filter((l) => /child process/.test(l));
  assert.deepEqual(children, ['info: Ticker started 4 child processes at launch: date ×3, ls'], lines.join('\n'));
  assert.ok(!lines.some((l) => /\(pid \d+\) started/.test(l)), 'no line per child');
  assert.ok(lines.includes('crash: Ticker stopped unexpectedly (exit code 127: a command it ran was not found)'), lines.join('\n'));
});
