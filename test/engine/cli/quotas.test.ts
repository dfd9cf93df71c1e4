// `interceptor quotas` against a real `interceptor serve`: add (per app and for all apps, pause
// or slow), list with what each period counted, remove, the reset day; usage errors exit 2 and
// the engine's checks exit 1 naming the field.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt } from '../helpers.js';
import { cli, cliOk, startServe, userDirs } from './cli-helpers.js';

before(ensureBuilt);

test('quotas add, list, rm and reset-day', async (t) => {
  const { env } = userDirs(t);
  await startServe(t, ['--port', '0'], env);
  const ok = cliOk(env);
  assert.equal(ok(['quotas']), 'No quotas. Months start on day 1.\n');
  ok(['apps', 'add', '--name', 'Seeder', '--', 'sleep', '600']);
  assert.match(ok(['quotas', 'add', '--app', 'seeder', '--day', '1GB', '--up', '--pause']), /^1\. seeder: daily upload quota 1 GB, then pause; used 0 B \(ok\)$/m);
  assert.match(ok(['quotas', 'add', '--month', '50GB', '--both', '--slow', '800kbit']), /^2\. all apps: monthly upload \+ download quota 50 GB, then slow to 100 kB\/s; used 0 B \(ok\)$/m);
  assert.match(ok(['quotas', 'reset-day', '15']), /^Months start on day 15\.$/m);
  const view = JSON.parse(ok(['quotas', 'list', '--json']));
  assert.equal(view.resetDay, 15);
  assert.deepEqual(view.rules.map((r: { appId: string | null; bytes: number }) => [r.appId, r.bytes]), [['seeder', 1e9], [null, 50e9]]);
  assert.ok(view.status[1].periodEnd > Date.now());
  assert.doesNotMatch(ok(['quotas', 'rm', '1']), /seeder/);

  for (const args of [['quotas', 'add', '--day', '1GB', '--up'], ['quotas', 'add', '--day', '1GB', '--month', '2GB', '--up', '--pause'], ['quotas', 'add', '--day', 'lots', '--up', '--pause'], ['quotas', 'rm', '7'], ['quotas', 'reset-day', '31'], ['quotas', 'frob']]) {
    const r = cli(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const unknown = cli(['quotas', 'add', '--app', 'nosuch', '--day', '1GB', '--up', '--pause'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /rules\[1\]\.appId: no app with id "nosuch"/);
  // a rule that outlives its app does not block the others
  ok(['quotas', 'add', '--app', 'seeder', '--day', '2GB', '--down', '--pause']);
  ok(['apps', 'rm', 'seeder']);
  assert.match(ok(['quotas', 'add', '--day', '3GB', '--up', '--pause']), /^3\. all apps: daily upload quota 3 GB/m);
  // export and apply carry them
  const exported = ok(['export']);
  assert.match(exported, /^quotas:\n\s+resetDay: 15\n\s+rules:\n/m);
  const file = path.join(env.XDG_RUNTIME_DIR, 'p.yaml');
  writeFileSync(file, exported);
  assert.match(ok(['apply', '-f', file]), /= quotas\.rules: 3 rules\n.*0 added, 0 changed, 0 removed/s);
  writeFileSync(file, exported.replace('resetDay: 15', 'resetDay: 3'));
  assert.match(ok(['apply', '-f', file]), /^~ quotas\.resetDay: 15 -> 3$/m);
  assert.equal(JSON.parse(ok(['quotas', '--json'])).resetDay, 3);
  assert.equal(cli(['quotas', '--help'], env).code, 0);
  assert.equal(cli(['help', 'quotas'], env).code, 0);
});
