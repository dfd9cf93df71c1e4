// `interceptor serve` as a real process: the same URL (port and token) after a restart,
// the token only in a private file (never in a process's arguments), profiles that
// follow a fake /sys/class/power_supply without Electron. Runs the built CLI.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, tempDir, until } from '../helpers.js';
import { writeSupply } from '../power/fakes.js';
import { cli, startServe, userDirs } from './cli-helpers.js';

before(ensureBuilt);

test('the URL is the same after a restart; the token is in a 0600 file and in no process\'s arguments', async (t) => {
  const { env, stateDir } = userDirs(t);
  const first = await startServe(t, [], env);
  const tokenFile = path.join(stateDir, 'token');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  const token = readFileSync(tokenFile, 'utf8').trim();
  assert.equal(new URL(first.url).searchParams.get('token'), token);
  assert.ok(!readFileSync(`/proc/${first.proc.pid}/cmdline`, 'utf8').includes(token), 'not in serve\'s own arguments');
  const endpoint = JSON.parse(readFileSync(path.join(stateDir, 'server.json'), 'utf8'));
  assert.deepEqual(endpoint, { host: '127.0.0.1', port: Number(new URL(first.url).port), pid: first.proc.pid });
  // a bookmark: the URL without the token answers with the cookie the first visit set
  const visit = await fetch(first.url, { redirect: 'manual' });
  const cookie = visit.headers.get('set-cookie')!.split(';')[0]!;
  await visit.body?.cancel();
  assert.equal(await first.stop(), 0);
  assert.equal(JSON.parse(readFileSync(path.join(stateDir, 'server.json'), 'utf8')).pid, null, 'stopped: the port is kept, the pid cleared');

  const second = await startServe(t, [], env);
  assert.equal(second.url, first.url, 'same port and token');
  const again = await fetch(new URL('/', first.url), { headers: { cookie } });
  assert.equal(again.status, 200, 'the old cookie still opens the dashboard');
  await again.body?.cancel();
  assert.equal(await second.stop(), 0);
});

test('a token file others can read is refused, not used', async (t) => {
  const { env, stateDir } = userDirs(t);
  const s = await startServe(t, ['--port', '0'], env);
  await s.stop();
  const tokenFile = path.join(stateDir, 'token');
  const { chmodSync } = await import('node:fs');
  chmodSync(tokenFile, 0o644);
  const r = cli(['serve', '--port', '0'], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /can be read by other users/);
  const s2 = cli(['status'], env);
  assert.equal(s2.code, 1);
  assert.match(s2.stderr, /can be read by other users/);
});

test('headless profiles: unplugging a fake laptop switches to the battery profile and back', async (t) => {
  const { env } = userDirs(t);
  const { dir: sys, cleanup } = tempDir();
  t.after(cleanup);
  writeSupply(sys, 'AC', { type: 'Mains', online: '1' });
  writeSupply(sys, 'BAT0', { type: 'Battery', status: 'Charging' });
  const runEnv = { ...env, INTERCEPTOR_SYS_ROOT: sys, INTERCEPTOR_POWER_POLL_MS: '100' };
  await startServe(t, ['--port', '0'], runEnv);
  const profile = () => JSON.parse(cli(['profile', '--json'], runEnv).stdout) as { profile: string; profileChoice: string; power: { onBattery: boolean; sources: string[] } };
  assert.equal(profile().profile, 'inUse');
  assert.ok(profile().power.sources.includes('sysfs power_supply'));
  assert.equal(cli(['caps', 'set', '--profile', 'battery', '--cpu', '10%'], runEnv).code, 0);
  writeFileSync(path.join(sys, 'class/power_supply/AC/online'), '0\n');
  await until(() => profile().profile === 'battery', 10_000, 'battery profile');
  const status = JSON.parse(cli(['status', '--json'], runEnv).stdout);
  assert.equal(status.state.limits.cpu, 0.1, 'the battery caps are in force');
  // picked by hand, it holds when the power comes back; auto follows again
  assert.equal(cli(['profile', 'set', 'idle'], runEnv).code, 0);
  writeFileSync(path.join(sys, 'class/power_supply/AC/online'), '1\n');
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual([profile().profile, profile().profileChoice], ['idle', 'idle']);
  const auto = cli(['profile', 'set', 'auto'], runEnv);
  assert.match(auto.stdout, /^Profile: in use \(chosen automatically\)$/m);
  assert.match(auto.stdout, /^Power: on mains, .* from sysfs power_supply/m);
});
