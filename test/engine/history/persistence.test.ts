// The history database of a real `interceptor serve`: it survives a kill -9 of the engine
// (at most the last seconds lost), a file of garbage is kept aside and reported and the
// engine starts with a fresh one, and the CLI reads both back (history --csv, events).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { CSV_HEADER } from '../../../electron/common/history.js';
import type { EventLogEntry, FullState } from '../../../electron/common/model.js';
import { ensureBuilt, sleep, until } from '../helpers.js';
import { cli, startServe, userDirs } from '../cli/cli-helpers.js';
import { peek } from './fakes.js';

before(ensureBuilt);

const events = (env: NodeJS.ProcessEnv, ...args: string[]): EventLogEntry[] => {
  const r = cli(['events', '--json', ...args], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as EventLogEntry[];
};
const state = (env: NodeJS.ProcessEnv): FullState => (JSON.parse(cli(['status', '--json'], env).stdout) as { state: FullState }).state;

test('kill -9 of a real engine: the history and the event log are there after a restart, minus at most the last seconds', async (t) => {
  const { env, stateDir } = userDirs(t);
  const file = path.join(stateDir, 'history.db');
  const first = await startServe(t, ['--port', '0'], env);
  assert.equal(cli(['caps', 'set', '--cpu', '50%'], env).code, 0);
  const added = cli(['apps', 'add', '--name', 'Marker', '--', '/bin/true'], env);
  assert.equal(added.code, 0, added.stderr);
  const recordedFrom = Date.now();
  await sleep(4000);
  const killedAt = Date.now();
  first.proc.kill('SIGKILL');
  await first.exited;

  const db = peek(file);
  try {
    const newest = (db.prepare("SELECT MAX(t) AS t FROM usage_s WHERE app = '*'").get() as { t: number }).t;
    assert.ok(killedAt - newest <= 3000, `the last second written was ${killedAt - newest} ms before the kill`);
    const capped = db.prepare("SELECT COUNT(*) AS n FROM usage_s WHERE app = '#cap' AND cpu = 0.5 AND t >= ?").get(recordedFrom - 1000) as { n: number };
    assert.ok(capped.n >= 3, `the cap in force was recorded each second (${capped.n})`);
    const marker = db.prepare("SELECT kind, message FROM events WHERE message LIKE 'Marker added%'").all();
    assert.deepEqual(marker, [{ kind: 'info', message: 'Marker added' }]);
  } finally {
    db.close();
  }

  await startServe(t, ['--port', '0'], env);
  const after = state(env);
  assert.equal(after.history.ok, true);
  assert.equal(after.history.problem, null);
  const log = events(env, '--kind', 'info');
  const markerEntry = log.find((e) => e.message === 'Marker added')!;
  assert.ok(markerEntry, 'the event is back, through the contract');
  assert.ok(log.every((e) => e.kind === 'info'));
  assert.ok(log.filter((e) => e.t > killedAt).every((e) => e.seq > markerEntry.seq), 'numbers go on after the old ones');
  assert.deepEqual(events(env, '--app', markerEntry.appId!).map((e) => e.message), ['Marker added'], 'filtered by app');

  // the seconds before the kill, as CSV from the CLI
  const csv = cli(['history', '--csv', '--range', '5m'], env);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trimEnd().split('\r\n');
  assert.equal(lines[0], CSV_HEADER);
  const before = lines.slice(1).filter((l) => l.split(',')[1] === 'all' && Date.parse(l.split(',')[0]!) >= recordedFrom - 1000 && Date.parse(l.split(',')[0]!) < killedAt - 1000);
  assert.ok(before.length >= 2, `rows of the seconds before the kill: ${before.length}`);
  const json = JSON.parse(cli(['history', '--json', '--range', '5m'], env).stdout) as { caps: Array<{ t: number; cap: { cpu: number | null } }> };
  assert.ok(json.caps.some((c) => c.t < killedAt && c.cap.cpu === 0.5), 'the cap before the kill');
  assert.equal(cli(['history', '--range', '2h'], env).code, 2, 'a range that is not one is a usage error');
  // the log for a person, and its filters' limits
  const text = cli(['events', '--kind', 'info', '--since', '1h'], env);
  assert.match(text.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  info\\s+${markerEntry.appId}\\s+Marker added$`, 'm'));
  for (const bad of [['--since', '400d'], ['--kind', 'boom'], ['--limit', '0'], ['--app', 'Not-An-Id']]) assert.equal(cli(['events', ...bad], env).code, 2, bad.join(' '));
});

test('a history database full of garbage is kept aside, reported, and replaced by a fresh one', async (t) => {
  const { env, stateDir } = userDirs(t);
  const file = path.join(stateDir, 'history.db');
  const first = await startServe(t, ['--port', '0'], env);
  await sleep(1500);
  assert.equal(await first.stop(), 0);
  assert.ok(existsSync(file));
  const garbage = randomBytes(64 * 1024);
  writeFileSync(file, garbage);

  await startServe(t, ['--port', '0'], env);
  const { history } = state(env);
  assert.match(history.keptAside ?? '', /history\.db\.corrupt-/);
  assert.match(history.problem ?? '', /damaged/);
  assert.equal(history.ok, true, 'a new database is in use');
  assert.ok(readFileSync(history.keptAside!).equals(garbage), 'the damaged file is kept as it was, not deleted');
  assert.deepEqual(readdirSync(stateDir).filter((f) => f.includes('corrupt')).length, 1);
  const reported = events(env, '--kind', 'error').filter((e) => e.message.includes(history.keptAside!));
  assert.equal(reported.length, 1, 'said once in the event log');
  // the fresh database records
  await until(() => {
    const r = cli(['history', '--range', '5m'], env);
    return r.code === 0 && r.stdout.split('\r\n').filter((l) => l.includes(',all,')).length >= 2;
  }, 10_000, 'rows in the new database');
});
