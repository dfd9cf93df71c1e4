// Policy files and /metrics against a real `interceptor serve`: `apply -f` twice (the second
// changes nothing), `export | apply -f -` changes nothing, a wrong file names its field and
// changes nothing; /metrics passes Debian's `promtool check metrics` and a real Prometheus on
// loopback scrapes it with the bearer token.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, requireHelper, until } from '../helpers.js';
import { BIN, cli, startServe, userDirs } from './cli-helpers.js';

before(ensureBuilt);

function requireTool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${name} is missing: run scripts/setup.sh (it installs Debian's prometheus package)`);
  return r.stdout.trim();
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const POLICY = `# a policy of this test
profile: idle
caps:
  inUse: { cpu: 60%, netUp: 8Mbit/s, mem: none }
  idle: { cpu: 90%, disk: 20MB/s }
apps:
  - name: Burner
    command: /bin/sh
    args: [-c, 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 60']
    shares: { cpu: 10%, netUp: 1MB/s }
  - name: Sleeper
    command: /bin/sleep
    args: ['60']
`;

test('apply a file twice (the second changes nothing), export round-trips, errors name the field', async (t) => {
  const { dir, env } = userDirs(t);
  await startServe(t, ['--port', '0'], env);
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, POLICY);

  const dry = cli(['apply', '-f', file, '--dry-run'], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^Dry run, nothing applied:/);
  assert.match(dry.stdout, /^\+ app Burner: Burner: \/bin\/sh -c/m);
  assert.match(cli(['apps', 'list'], env).stdout, /^No apps/, 'a dry run changes nothing');

  const first = cli(['apply', '-f', file], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^~ caps\.inUse\.cpu: no cap -> 60%$/m);
  assert.match(first.stdout, /^~ profile: auto -> idle$/m);
  assert.match(first.stdout, /^2 added, 5 changed, 0 removed, 1 unchanged\.$/m);
  const second = cli(['apply', '-f', file], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^No changes:/);
  assert.match(second.stdout, /^0 added, 0 changed, 0 removed, 8 unchanged\.$/m);

  const listed = JSON.parse(cli(['apps', 'list', '--json'], env).stdout);
  assert.deepEqual(listed.map((a: { definition: { id: string } }) => a.definition.id), ['burner', 'sleeper']);
  assert.equal(listed[0].definition.shares.netUp, 1e6);

  for (const format of ['yaml', 'json']) {
    const exported = cli(['export', '--format', format], env);
    assert.equal(exported.code, 0, exported.stderr);
    const back = spawnSync(process.execPath, [BIN, 'apply', '-f', '-', '--format', format], { input: exported.stdout, encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(back.status, 0, back.stderr);
    assert.match(back.stdout, /^No changes:/, `${format}:\n${exported.stdout}\n${back.stdout}`);
  }

  // without Sleeper: kept, unless --prune
  writeFileSync(file, POLICY.replace(/ {2}- name: Sleeper[^]*$/, ''));
  assert.match(cli(['apply', '-f', file], env).stdout, /^= app sleeper: Sleeper \(not in the file; kept/m);
  const pruned = cli(['apply', '-f', file, '--prune'], env);
  assert.match(pruned.stdout, /^- app sleeper: Sleeper$/m);
  assert.equal(JSON.parse(cli(['apps', 'list', '--json'], env).stdout).length, 1);

  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ caps: { idle: { cpu: '10%' } }, apps: [{ name: 'A', command: 'a' }, { name: 'B', command: 'b' }, { name: 'C', command: 'c', shares: { netDown: 'quick' } }] }));
  const wrong = cli(['apply', '-f', bad], env);
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stderr, `interceptor: ${bad}: apps[2].shares.netDown: expected a rate such as 500kB/s or 2MB/s\n`);
  assert.match(cli(['caps', 'show', '--profile', 'idle'], env).stdout, /CPU 90%/, 'a wrong file changes nothing');
});

test('apply and export say clearly when no server is running (never started, or stopped)', async (t) => {
  const { dir, env } = userDirs(t);
  const file = path.join(dir, 'p.yaml');
  writeFileSync(file, 'profile: auto\n');
  const noServer = (said: RegExp) => {
    for (const args of [['apply', '-f', file], ['export']]) {
      const r = cli(args, env);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, said);
    }
  };
  noServer(/^interceptor: no token in .*: start the server once with `interceptor serve`\n$/);
  await (await startServe(t, ['--port', '0'], env)).stop();
  noServer(/is the server running\? Start it with `interceptor serve`/);
});

test('/metrics: token required, promtool check metrics passes, a real Prometheus scrapes it with the bearer token', async (t) => {
  requireHelper();
  const promtool = requireTool('promtool');
  const prometheus = requireTool('prometheus');
  const { dir, env, stateDir } = userDirs(t);
  const serving = await startServe(t, ['--port', '0'], env);
  const origin = new URL(serving.url).origin;
  const tokenFile = path.join(stateDir, 'token');
  const token = readFileSync(tokenFile, 'utf8').trim();
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, POLICY);
  assert.equal(cli(['apply', '-f', file], env).code, 0);
  const started = cli(['apps', 'start', 'burner'], env);
  assert.equal(started.code, 0, started.stderr);

  assert.equal((await fetch(`${origin}/metrics`)).status, 401, 'no token');
  assert.equal((await fetch(`${origin}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
  const viaQuery = await fetch(`${origin}/metrics?token=${token}`, { redirect: 'manual' });
  assert.equal(viaQuery.status, 200, '?token= is answered, not handed to a cookie');
  let text = '';
  await until(async () => {
    const res = await fetch(`${origin}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    text = await res.text();
    return /^interceptor_app_cpu_seconds_total\{app="burner"\} [1-9e.0-9-]*[1-9]/m.test(text);
  }, 15_000, 'the burner\'s CPU seconds above 0');
  assert.match(text, /^interceptor_enforcement_info\{available="true",mechanism="(cgroup|ptrace)",version="[^"]+"\} 1$/m);
  assert.match(text, /^interceptor_helpers_connected 1$/m);
  assert.match(text, /^interceptor_app_transfer_nominal_share_bytes_per_second\{app="burner",resource="net_up"\} 1000000$/m);

  const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
  assert.equal(check.stdout + check.stderr, '', 'no lint problems');

  const promPort = await freePort();
  const target = origin.replace(/^http:\/\//, '');
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: interceptor
    authorization: { type: Bearer, credentials_file: ${JSON.stringify(tokenFile)} }
    static_configs: [{ targets: [${JSON.stringify(target)}] }]
`,
  );
  const checkConfig = spawnSync(promtool, ['check', 'config', config], { encoding: 'utf8' });
  assert.equal(checkConfig.status, 0, checkConfig.stdout + checkConfig.stderr);
  const prom = spawn(prometheus, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr!.on('data', (d) => (promLog = (promLog + d).slice(-4000)));
  const promExited = new Promise((r) => prom.once('exit', r));
  t.after(async () => {
    if (prom.exitCode === null && prom.signalCode === null) prom.kill('SIGTERM');
    await promExited;
  });
  const query = async (q: string) => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => null);
    if (!res?.ok) return [];
    return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
  };
  await until(async () => (await query('up{job="interceptor"} == 1')).length === 1, 20_000, `Prometheus scraping the server (log: ${promLog})`);
  await until(async () => (await query('interceptor_app_cpu_seconds_total{app="burner"} > 0')).length === 1, 10_000, 'the burner\'s CPU seconds in Prometheus');
  const info = await query('interceptor_enforcement_info');
  assert.equal(info.length, 1);
  assert.match(info[0]!.metric.mechanism!, /^(cgroup|ptrace)$/);
});
