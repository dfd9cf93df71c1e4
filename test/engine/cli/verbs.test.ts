// The CLI's conventions and verbs against a real `interceptor serve`: --help on every
// command, -V, exit 2 for usage errors, apps/caps/profile/status/pause/resume over the
// dashboard's contract, bit and byte units, the systemd user unit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, requireHelper } from '../helpers.js';
import { cli, startServe, userDirs } from './cli-helpers.js';

before(ensureBuilt);

const COMMANDS = ['serve', 'open', 'run', 'status', 'apps', 'caps', 'profile', 'pause', 'resume', 'apply', 'export', 'service', 'adopt', 'release'];

test('--help on every command and verb exits 0 with its usage; -V prints the version and a newline', () => {
  const version = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../package.json'), 'utf8')).version;
  for (const flag of ['-V', '--version']) assert.deepEqual(cli([flag]), { code: 0, stdout: `interceptor ${version}\n`, stderr: '' });
  for (const flag of ['-h', '--help']) {
    const r = cli([flag]);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
  }
  for (const c of COMMANDS) {
    for (const args of [[c, '--help'], [c, '-h'], ['help', c]]) {
      const r = cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: interceptor ${c}\\b`), args.join(' '));
    }
  }
  for (const args of [['apps', 'add', '--help'], ['apps', 'rm', '-h'], ['caps', 'set', '--help'], ['profile', 'set', '--help'], ['service', 'install', '--help'], ['run', '--cpu', '5%', '--help']]) {
    const r = cli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, new RegExp(`^Usage: interceptor ${args[0]}\\b`), args.join(' '));
  }
  const bare = cli([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: interceptor COMMAND/);
});

test('usage errors exit 2 with one clear line and where to get help', () => {
  const cases: Array<[string[], RegExp]> = [
    [['run', '--cpu', '150%', '--', 'true'], /150%/],
    [['run', '--mem', 'lots', '--', 'true'], /lots/],
    [['run', '--up', '-1', '--', 'true'], /--up needs a value \(one that starts with "-" is written --up=VALUE\)/],
    [['run', '--up=-1', '--', 'true'], /cannot read "-1"/],
    [['run', '--bogus', 'x', '--', 'true'], /unknown option --bogus/],
    [['run', '--cpu'], /--cpu needs a value/],
    [['run'], /missing command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['pause', '--for', 'soon'], /soon/],
    [['pause', '--for', '31d'], /30 days/],
    [['serve', '--port', '99999'], /port number/],
    [['serve', 'extra'], /unexpected argument "extra"/],
    [['status', '--token', 'x'.repeat(64)], /--token-file|INTERCEPTOR_TOKEN/],
    [['status', '--json=yes'], /--json takes no value/],
    [['apps', 'frob'], /unknown apps command/],
    [['apps', 'rm'], /missing app id/],
    [['apps', 'rm', '../etc'], /not an app id/],
    [['apps', 'add', '--cpu', '5%'], /missing command/],
    [['apps', 'add', '--env', 'novalue', '--', 'true'], /NAME=VALUE/],
    [['caps', 'set'], /at least one/],
    [['caps', 'set', '--up', 'fast'], /fast/],
    [['caps', 'set', '--profile', 'night', '--cpu', '5%'], /unknown profile "night"/],
    [['profile', 'set'], /missing profile/],
    [['profile', 'set', 'turbo'], /unknown profile "turbo": one of auto, in-use, idle, battery/],
    [['service', 'frob'], /unknown service command/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^interceptor: /, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /Run `interceptor (\w+ )?--help` for usage\.\n$/, args.join(' '));
  }
});

test('no server: a clear error that says how to start one (exit 1)', (t) => {
  const { env } = userDirs(t);
  const r = cli(['status'], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no token in .*: start the server once with `interceptor serve`/);
});

test('apps, caps, profile, status, pause and resume against a real serve', async (t) => {
  const { env } = userDirs(t);
  const { url } = await startServe(t, ['--port', '0'], env);
  const ok = (args: string[]) => {
    const r = cli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  assert.match(ok(['apps', 'list']), /^No apps\./);
  assert.match(ok(['caps', 'set', '--cpu', '50%', '--up', '100Mbit/s', '--down', '20Mbps', '--mem', '1GiB']), /CPU 50%, Upload 12.5 MB\/s, Download 2.5 MB\/s, Disk no cap, Memory 1.07 GB/);
  assert.match(ok(['caps', 'set', '--profile', 'in-use', '--disk', '10MB/s', '--mem', 'none']), /Caps of the inUse profile: .*Disk 10 MB\/s, Memory no cap/);
  assert.match(ok(['caps', 'show', '--profile', 'idle']), /Caps of the idle profile: CPU no cap/);

  const id = ok(['apps', 'add', '--name', 'Sleeper', '--cpu', '10%', '--up', '8Mbit', '--env', 'A=b=c', '--cwd', '/tmp', '--', 'sleep', '600']).trim();
  assert.equal(id, 'sleeper');
  const list = ok(['apps', 'list']);
  assert.match(list, /^ID\s+STATE\s+PID\s+CPU\s+UP\s+DOWN\s+DISK\s+MEM\s+NAME$/m);
  assert.match(list, /^sleeper\s+stopped\s+-\s+10%\s+1 MB\/s\s+0 B\/s\s+0 B\/s\s+0 B\s+Sleeper$/m);
  const [app] = JSON.parse(ok(['apps', 'list', '--json']));
  assert.deepEqual([app.definition.command, app.definition.args, app.definition.env, app.definition.cwd], ['sleep', ['600'], { A: 'b=c' }, '/tmp']);
  // the engine's own checks reach the shell: a share past the cap
  const tooBig = cli(['apps', 'add', '--up', '1Gbit', '--', 'sleep', '1'], env);
  assert.equal(tooBig.code, 1);
  assert.match(tooBig.stderr, /^interceptor: nominal netUp shares would sum to/);

  requireHelper();
  assert.equal(ok(['apps', 'start', id]), 'sleeper: running\n');
  assert.equal(ok(['apps', 'pause', id]), 'sleeper: paused\n');
  assert.equal(ok(['apps', 'resume', id]), 'sleeper: running\n');
  assert.match(ok(['status']), /^ {2}sleeper\s+running\s+pid \d+$/m);
  assert.equal(ok(['apps', 'stop', id]), 'sleeper: stopped\n');
  const missing = cli(['apps', 'start', 'nosuch'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no app with id "nosuch"/);

  assert.match(ok(['profile', 'set', 'battery']), /^Profile: on battery \(chosen by hand\)$/m);
  assert.match(ok(['profile']), /^Profile: on battery \(chosen by hand\)$/m);
  assert.match(ok(['pause', '--for', '15m']), /paused until/);
  const s = JSON.parse(ok(['status', '--json']));
  assert.equal(s.state.profile, 'battery');
  assert.equal(s.state.profileChoice, 'battery');
  assert.ok(s.state.pause.until - Date.now() > 14 * 60_000);
  assert.ok(s.snapshot === null || typeof s.snapshot.t === 'number');
  ok(['resume']);
  assert.equal(JSON.parse(ok(['status', '--json'])).state.pause, null);
  assert.equal(ok(['apps', 'rm', id]), 'Removed sleeper.\n');

  // another server by --url, with the token from a file or the environment, never an argument
  const token = new URL(url).searchParams.get('token')!;
  const origin = new URL(url).origin;
  const tokenFile = path.join(env.XDG_RUNTIME_DIR, 'tok');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const elsewhere = { XDG_STATE_HOME: '/nonexistent' };
  assert.equal(cli(['status', '--url', origin, '--token-file', tokenFile], elsewhere).code, 0);
  assert.equal(cli(['status', '--url', origin], { ...elsewhere, INTERCEPTOR_TOKEN: token }).code, 0);
  const wrong = cli(['status', '--url', origin], { ...elsewhere, INTERCEPTOR_TOKEN: '0'.repeat(64) });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /401/);
});

test('service: the systemd user unit passes systemd-analyze verify; install writes it and says what systemctl said', (t) => {
  const { env, dir } = userDirs(t);
  const unit = cli(['service', 'print'], env).stdout;
  assert.match(unit, /^ExecStart=\/\S+ \/\S+\/bin\/interceptor\.js serve$/m);
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^WantedBy=default\.target$/m);
  const install = cli(['service', 'install', '--no-start', '--config-dir', path.join(dir, 'my config')], env);
  const file = path.join(env.XDG_CONFIG_HOME, 'systemd/user/interceptor.service');
  assert.ok(existsSync(file), install.stderr);
  assert.match(readFileSync(file, 'utf8'), /^ExecStart=.* serve --config-dir "\/.*\/my config"$/m, 'a path with a space is quoted');
  if (install.code !== 0) {
    // no user systemd here (a container, an SSH login without lingering): the unit is written, the error says what to do
    assert.equal(install.code, 1);
    assert.match(install.stderr, /systemctl --user daemon-reload: .+\nThe unit is in place but not enabled: .*systemctl --user enable --now interceptor.service.*loginctl enable-linger/s);
  }
  // Debian's validator, in the user manager's mode (a private runtime dir stands in for a session's)
  const runtime = path.join(dir, 'verify-run');
  mkdirSync(runtime, { mode: 0o700 });
  const verify = spawnSync('systemd-analyze', ['--user', 'verify', file], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime } });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', 'no warnings');
  const uninstall = cli(['service', 'uninstall', '--no-start'], env);
  assert.ok(!existsSync(file), uninstall.stderr);
  const status = cli(['service', 'status'], env);
  assert.ok([3, 4].includes(status.code!), status.stdout);
  assert.match(status.stdout, /\(not installed\)/);
});
