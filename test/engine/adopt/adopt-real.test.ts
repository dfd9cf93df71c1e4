// `interceptor adopt` against a real `interceptor serve`, and the adopted service started the
// way systemd would start it: the exact ExecStart line of the drop-in, in systemd's bare
// environment, through the launcher and the helper. A real program (dd writing 8 MiB) is held
// to the disk cap; with the engine down it starts uncapped, or waits for the engine (the
// drop-in's option); release takes the drop-in and the app away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { splitWords } from '../../../electron/engine/adopt/exec-line.js';
import { DROP_IN_NAME } from '../../../electron/engine/adopt/unit-file.js';
import { cli, startServe, userDirs } from '../cli/cli-helpers.js';
import { ensureBuilt, requireHelper, sleep, tempDir, until } from '../helpers.js';

before(async () => {
  requireHelper();
  await ensureBuilt();
});

const PAYLOAD = 8 * 1024 * 1024;
const CAP = 2_000_000; // bytes/s: 2MB/s

/** Runs an ExecStart= value as systemd would (no shell, systemd's bare environment); resolves with its exit and time. */
function runAsSystemd(execStart: string) {
  const [program, ...args] = splitWords(execStart);
  const started = Date.now();
  const child = spawn(program!, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; seconds: number; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, seconds: (Date.now() - started) / 1000, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

const execStartOf = (dropIn: string) => readFileSync(dropIn, 'utf8').split('\n').filter((l) => /^ExecStart=./.test(l)).at(-1)!.slice('ExecStart='.length);

test('adopt, run as systemd would: capped with the engine, uncapped or held without it; release', { timeout: 120_000 }, async (t) => {
  const { env, dir, stateDir } = userDirs(t);
  const units = path.join(env.XDG_CONFIG_HOME, 'systemd', 'user');
  mkdirSync(units, { recursive: true });
  const unit = (name: string, out: string) => writeFileSync(path.join(units, `${name}.service`), `[Unit]\nDescription=${name}\n[Service]\nType=exec\nExecStart=/usr/bin/dd if=/dev/zero "of=${out}" bs=64k count=${PAYLOAD / 65536}\n`);
  const outCap = path.join(dir, 'capped out');
  const outHold = path.join(dir, 'held');
  unit('ddcap', outCap);
  unit('ddhold', outHold);
  let serve = await startServe(t, [], env);
  assert.equal(cli(['caps', 'set', '--profile', 'in-use', '--disk', '2MB/s'], env).code, 0);
  assert.equal(cli(['profile', 'set', 'in-use'], env).code, 0);

  const adopt = cli(['adopt', 'ddcap', '--user', '--disk', '1MB/s'], env);
  assert.equal(adopt.code, 0, adopt.stderr);
  const dropIn = path.join(units, 'ddcap.service.d', DROP_IN_NAME);
  assert.match(adopt.stdout, new RegExp(`Adopted ddcap.service \\(user\\) as app (\\S+): wrote ${dropIn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(adopt.stdout, /no systemd manager runs here: the change applies at the unit's next start/);
  assert.equal(statSync(dropIn).mode & 0o777, 0o644);
  const token = readFileSync(path.join(stateDir, 'token'), 'utf8').trim();
  assert.ok(!readFileSync(dropIn, 'utf8').includes(token), 'the drop-in holds no token');
  const apps = JSON.parse(cli(['apps', 'list', '--json'], env).stdout) as { definition: { id: string; systemdUnit?: { name: string } } }[];
  const app = apps.find((a) => a.definition.systemdUnit?.name === 'ddcap.service')!;
  assert.ok(app, 'an app entry marks the unit');

  // clear errors
  const again = cli(['adopt', 'ddcap', '--user'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ddcap.service is already adopted/);
  assert.match(cli(['adopt', 'nope'], env).stderr, /no unit nope.service, neither the user's nor the system's/);
  const start = cli(['apps', 'start', app.definition.id], env);
  assert.equal(start.code, 1);
  assert.match(start.stderr, /is the systemd unit ddcap.service: systemd starts it \(systemctl --user start ddcap.service\)/);

  // with the engine: held to the 2MB/s cap (uncapped, dd writes 8 MiB in a fraction of a second)
  const capped = await runAsSystemd(execStartOf(dropIn)).done;
  assert.equal(capped.code, 0, capped.stderr);
  assert.equal(statSync(outCap).size, PAYLOAD);
  const floor = (PAYLOAD / CAP) * 0.85;
  assert.ok(capped.seconds >= floor && capped.seconds < 20, `8 MiB at 2MB/s took ${capped.seconds.toFixed(2)} s (at least ${floor.toFixed(2)})`);
  const after = JSON.parse(cli(['apps', 'list', '--json'], env).stdout) as { definition: { id: string }; state: string }[];
  assert.equal(after.find((a) => a.definition.id === app.definition.id)!.state, 'exited', 'the engine saw the run of the adopted app');

  // the held unit adopted now, then the engine stops
  assert.equal(cli(['adopt', 'ddhold', '--user', '--engine-down', 'hold'], env).code, 0);
  const holdDropIn = path.join(units, 'ddhold.service.d', DROP_IN_NAME);
  await serve.stop();

  // engine down, option "run": it starts at once, uncapped, and succeeds
  const free = await runAsSystemd(execStartOf(dropIn)).done;
  assert.equal(free.code, 0, free.stderr);
  assert.match(free.stderr, /ddcap.service: no engine \(.*\); starting it uncapped/);
  assert.ok(free.seconds < floor / 2, `uncapped it took ${free.seconds.toFixed(2)} s`);

  // engine down, option "hold": nothing runs until the engine does, then it runs capped
  const held = runAsSystemd(execStartOf(holdDropIn));
  await sleep(2500);
  assert.equal(held.child.exitCode, null, 'still held');
  assert.ok(!existsSync(outHold), 'the program has not started');
  assert.match(held.stderr(), /ddhold.service: no engine \(.*\); held until it runs/);
  serve = await startServe(t, [], env);
  const heldDone = await held.done;
  assert.equal(heldDone.code, 0, heldDone.stderr);
  assert.match(heldDone.stderr, /the engine runs; starting under its caps/);
  assert.equal(statSync(outHold).size, PAYLOAD);
  assert.ok(heldDone.seconds >= 2.5 + floor, `held, then capped: ${heldDone.seconds.toFixed(2)} s`);

  // release: the drop-in and the app go, the unit file stays as it was
  const unitText = readFileSync(path.join(units, 'ddcap.service'), 'utf8');
  const release = cli(['release', 'ddcap'], env);
  assert.equal(release.code, 0, release.stderr);
  assert.match(release.stdout, /Released ddcap.service: removed .*zz-interceptor.conf/);
  assert.ok(!existsSync(dropIn));
  assert.equal(readFileSync(path.join(units, 'ddcap.service'), 'utf8'), unitText);
  const left = JSON.parse(cli(['apps', 'list', '--json'], env).stdout) as { definition: { id: string } }[];
  assert.ok(!left.some((a) => a.definition.id === app.definition.id));
  assert.match(cli(['release', 'ddcap'], env).stderr, /ddcap.service is not adopted/);
  await serve.stop();
});

test('system units (a root of Debian files): adopted when they run as the engine\'s user, refused with the reason otherwise', { timeout: 60_000 }, async (t) => {
  const { env } = userDirs(t);
  const { dir: root, cleanup } = tempDir('interceptor-root-');
  t.after(cleanup);
  mkdirSync(path.join(root, 'lib/systemd/system'), { recursive: true });
  for (const f of ['tor@default.service', 'transmission-daemon.service']) copyFileSync(`/lib/systemd/system/${f}`, path.join(root, 'lib/systemd/system', f));
  await startServe(t, [], env);
  const me = (await import('node:os')).userInfo().username;
  const tor = cli(['adopt', 'tor@default', '--system', '--root', root, '--cpu', '5%'], env);
  if (me === 'root') {
    assert.equal(tor.code, 0, tor.stderr);
    assert.ok(existsSync(path.join(root, 'etc/systemd/system/tor@default.service.d', DROP_IN_NAME)));
    assert.match(tor.stdout, /note: PrivateTmp=no: /);
    assert.match(tor.stdout, /files under another root: nothing restarted/);
    assert.equal(cli(['release', 'tor@default', '--system', '--root', root], env).code, 0);
  } else {
    assert.equal(tor.code, 1);
    assert.match(tor.stderr, new RegExp(`tor@default.service runs as root, this engine as ${me}`));
  }
  const tr = cli(['adopt', 'transmission-daemon', '--system', '--root', root], env);
  assert.equal(tr.code, 1);
  assert.match(tr.stderr, /transmission-daemon.service runs as debian-transmission, this engine as \S+: its helper would connect only to an engine of its own user/);
  const list = cli(['adopt', '--list', '--root', root, '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  const names = (JSON.parse(list.stdout) as { name: string; scope: string }[]).filter((c) => c.scope === 'system').map((c) => c.name);
  assert.deepEqual(names, ['tor@default.service', 'transmission-daemon.service']);
});

test("Debian's transmission-daemon unit as a user unit: started from the drop-in, traced, ready through NOTIFY_SOCKET, stopped by a signal to the main process", { timeout: 90_000 }, async (t) => {
  const { env, dir } = userDirs(t);
  const units = path.join(env.XDG_CONFIG_HOME, 'systemd', 'user');
  mkdirSync(units, { recursive: true });
  copyFileSync('/lib/systemd/system/transmission-daemon.service', path.join(units, 'transmission-daemon.service'));
  // its own home: no fixed ports (others' tests run transmission too), no DHT, no peer discovery
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.config', 'transmission-daemon'), { recursive: true });
  const port = () => 20_000 + Math.floor(Math.random() * 30_000);
  writeFileSync(path.join(home, '.config', 'transmission-daemon', 'settings.json'), JSON.stringify({ 'rpc-port': port(), 'peer-port': port(), 'dht-enabled': false, 'lpd-enabled': false, 'pex-enabled': false, 'port-forwarding-enabled': false, 'rpc-bind-address': '127.0.0.1' }));
  await startServe(t, [], env);
  const adopt = cli(['adopt', 'transmission-daemon', '--user', '--up', '1MB/s'], env);
  assert.equal(adopt.code, 0, adopt.stderr);
  assert.match(adopt.stdout, /note: NotifyAccess=all: /);
  const dropIn = path.join(units, 'transmission-daemon.service.d', DROP_IN_NAME);

  // systemd's notification socket, as the manager would hand it (Type=notify)
  const notifyPath = path.join(dir, 'notify');
  const listener = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\nwhile True: print(s.recv(4096).decode().replace("\\n"," "),flush=True)', notifyPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => listener.kill());
  let notices = '';
  listener.stdout!.on('data', (d) => (notices += d));
  await until(() => notices.includes('bound'), 5000, 'the notify socket');

  const [program, ...args] = splitWords(execStartOf(dropIn));
  const started = spawn(program!, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: home, NOTIFY_SOCKET: notifyPath } });
  let stderr = '';
  started.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => started.once('exit', (code) => r(code)));
  await until(() => /READY=1/.test(notices), 20_000, `READY=1 from transmission-daemon (${stderr})`);
  type View = { definition: { systemdUnit?: { name: string } }; state: string; pid: number | null };
  const view = () => (JSON.parse(cli(['apps', 'list', '--json'], env).stdout) as View[]).find((a) => a.definition.systemdUnit?.name === 'transmission-daemon.service')!;
  await until(() => view().state === 'running', 10_000, 'the app running');
  const pid = view().pid!;
  assert.match(readFileSync(`/proc/${pid}/comm`, 'utf8'), /transmission/);
  const tracer = Number(/TracerPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  assert.equal(readFileSync(`/proc/${tracer}/comm`, 'utf8').trim(), 'interceptor-hel', 'traced by the helper');
  // systemctl stop (KillMode=process here): SIGTERM to the main process, the launcher, which passes it on
  started.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  await until(() => view().state === 'exited', 10_000, 'the app exited');
  assert.equal(cli(['release', 'transmission-daemon', '--user'], env).code, 0);
});
