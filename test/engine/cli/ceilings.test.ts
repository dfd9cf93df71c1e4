// Per-app ceilings on the command line against a real `interceptor serve`: `apps add --max-*`,
// `apps set ID` (shares and ceilings, "none" lifts one), the engine's checks reaching the shell,
// usage errors exiting 2, and `apply`/`export` carrying ceilings.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt } from '../helpers.js';
import { cli, cliOk, startServe, userDirs } from './cli-helpers.js';

before(ensureBuilt);

test('apps add --max-*, apps set, and apply/export with ceilings', async (t) => {
  const { env } = userDirs(t);
  await startServe(t, ['--port', '0'], env);
  const ok = cliOk(env);
  const ceilings = () => JSON.parse(ok(['apps', 'list', '--json']))[0].definition.ceilings;
  assert.equal(ok(['apps', 'add', '--name', 'Seeder', '--up', '500kB/s', '--max-up', '8Mbit', '--max-cpu', '20%', '--', 'sleep', '600']).trim(), 'seeder');
  assert.deepEqual(ceilings(), { cpu: 0.2, netUp: 1e6, netDown: null, disk: null, mem: null });

  assert.match(ok(['apps', 'set', 'seeder', '--max-up', 'none', '--max-mem', '256MB']), /^seeder: shares .*; ceilings CPU 20%, Upload no cap, .*Memory 256 MB$/m);
  assert.deepEqual(ceilings(), { cpu: 0.2, netUp: null, netDown: null, disk: null, mem: 256e6 });
  ok(['apps', 'set', 'seeder', '--up', '100kB/s', '--max-up', '200kB/s']);
  assert.equal(JSON.parse(ok(['apps', 'list', '--json']))[0].definition.shares.netUp, 1e5);

  // the engine's check reaches the shell, naming the field
  const below = cli(['apps', 'set', 'seeder', '--max-up', '50kB/s'], env);
  assert.equal(below.code, 1);
  assert.match(below.stderr, /ceilings\.netUp: 50 kB\/s is below the nominal share 100 kB\/s/);
  // usage errors: nothing to set, a value that is not one
  for (const args of [['apps', 'set', 'seeder'], ['apps', 'set', 'seeder', '--max-cpu', 'lots'], ['apps', 'set']]) {
    const r = cli(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal(cli(['apps', 'set', '--help'], env).code, 0);

  // export carries the ceilings; applying them changed changes exactly that
  const exported = ok(['export', '--format', 'yaml']);
  assert.match(exported, /ceilings:\n\s+cpu: 20%\n\s+netUp: 200kB\/s\n\s+mem: 256MB/);
  const file = path.join(env.XDG_RUNTIME_DIR, 'policy.yaml');
  writeFileSync(file, exported.replace('netUp: 200kB/s', 'netUp: 300kB/s'));
  assert.match(ok(['apply', '-f', file]), /^~ app seeder: ceilings\.netUp 200 kB\/s -> 300 kB\/s$/m);
  assert.equal(ceilings().netUp, 3e5);
  assert.match(ok(['apply', '-f', file]), /0 added, 0 changed, 0 removed/);
});
