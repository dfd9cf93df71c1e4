// Drop-ins for the real unit files Debian's packages ship (transmission-daemon, tor, syncthing,
// qbittorrent-nox, deluged), checked by systemd's own validator: `systemd-analyze verify` on a
// copy of each unit with the drop-in beside it (SYSTEMD_UNIT_PATH, no running systemd needed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildDropIn, readDropIn, refusal } from '../../../electron/engine/adopt/drop-in.js';
import { splitWords } from '../../../electron/engine/adopt/exec-line.js';
import { DROP_IN_NAME, readUnit, templateOf } from '../../../electron/engine/adopt/unit-file.js';
import { ROOT, tempDir } from '../helpers.js';

const LAUNCHER = [process.execPath, path.join(ROOT, 'bin/interceptor.js')];

/** The unit's Debian file copied into `dir`, the drop-in written beside it, then systemd's verdict. */
async function adoptAndVerify(dir: string, unit: string, source: string, scope: 'system' | 'user', engineDown: 'run' | 'hold' = 'run') {
  copyFileSync(source, path.join(dir, path.basename(source)));
  const env = { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` };
  const info = await readUnit(unit, { scope, env });
  const { text, notes } = buildDropIn(info, { appId: 'app-1', engineDown, launcher: LAUNCHER, stateDir: '/var/lib/my state' });
  mkdirSync(path.join(dir, `${unit}.d`), { recursive: true });
  writeFileSync(path.join(dir, `${unit}.d`, DROP_IN_NAME), text);
  const runtime = path.join(dir, 'run');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const verify = spawnSync('systemd-analyze', [...(scope === 'user' ? ['--user'] : []), 'verify', unit], { encoding: 'utf8', env: { ...env, XDG_RUNTIME_DIR: runtime } });
  // systemd-analyze also judges the other units a unit names (tor@default's tor.service, targets); only ours count
  const ours = verify.stderr.split('\n').filter((l) => l.includes(DROP_IN_NAME) || l.startsWith(`${unit}:`) || (templateOf(unit) && l.includes(templateOf(unit)!)));
  return { text, notes, info, status: verify.status, problems: ours, stderr: verify.stderr };
}

const execLine = (text: string) => text.split('\n').filter((l) => /^ExecStart=./.test(l)).at(-1)!.slice('ExecStart='.length);

test('Debian units: each drop-in passes systemd-analyze verify and wraps the unit\'s own line', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-dropin-');
  t.after(cleanup);
  const cases = [
    { unit: 'transmission-daemon.service', file: '/lib/systemd/system/transmission-daemon.service', expect: ['NotifyAccess=all'], not: ['PrivateTmp=no'] },
    { unit: 'tor@default.service', file: '/lib/systemd/system/tor@default.service', expect: ['PrivateTmp=no', 'ProtectHome=read-only'], not: ['NotifyAccess=all'] },
    { unit: 'syncthing@alice.service', file: '/lib/systemd/system/syncthing@.service', expect: ['MemoryDenyWriteExecute=no', 'PrivateTmp=no'], not: [] },
    { unit: 'qbittorrent-nox@alice.service', file: '/lib/systemd/system/qbittorrent-nox@.service', expect: [], not: ['NotifyAccess=all'] },
    { unit: 'deluged.service', file: '/lib/systemd/system/deluged.service', expect: [], not: [] },
  ];
  for (const c of cases) {
    const r = await adoptAndVerify(dir, c.unit, c.file, 'system');
    assert.equal(r.status, 0, `${c.unit}: ${r.stderr}`);
    assert.deepEqual(r.problems, [], `${c.unit}: no warning about the unit or the drop-in`);
    const lines = r.text.split('\n');
    assert.ok(lines.indexOf('ExecStart=') >= 0 && lines.indexOf('ExecStart=') < lines.findIndex((l) => /^ExecStart=./.test(l)), `${c.unit}: the unit's line is reset first`);
    const words = splitWords(execLine(r.text));
    const cut = words.indexOf('--');
    assert.deepEqual(words.slice(0, 4), [...LAUNCHER, 'exec-adopted', '--app'], c.unit);
    assert.deepEqual(words.slice(cut + 1), r.info.execStart[0]!.words, `${c.unit}: after "--", the unit's own command, word for word`);
    assert.ok(words.includes('/var/lib/my state'), 'a path with a space stays one word');
    for (const e of c.expect) assert.ok(lines.includes(e), `${c.unit}: ${e}`);
    for (const e of c.not) assert.ok(!lines.includes(e), `${c.unit}: not ${e}`);
    assert.doesNotMatch(r.text, /[0-9a-f]{64}/, 'no token in the drop-in');
    assert.deepEqual(readDropIn(r.text), { appId: 'app-1', engineDown: 'run' });
  }
  // the specifier of a template instance is left to systemd: the drop-in copies the raw text
  const tor = await adoptAndVerify(dir, 'tor@default.service', '/lib/systemd/system/tor@default.service', 'system', 'hold');
  assert.match(tor.text, /^TimeoutStartSec=infinity$/m, 'a notify unit held for the engine must not time out');
  assert.equal(tor.status, 0, tor.stderr);
});

test("the user's syncthing.service (Debian's user unit) verifies in the user manager's mode", async (t) => {
  const { dir, cleanup } = tempDir('interceptor-dropin-');
  t.after(cleanup);
  const r = await adoptAndVerify(dir, 'syncthing.service', '/usr/lib/systemd/user/syncthing.service', 'user');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.problems, []);
});

test('a drop-in that forgot the reset, or a launcher that is not there, fails the same check (it is a real check)', (t) => {
  const { dir, cleanup } = tempDir('interceptor-dropin-');
  t.after(cleanup);
  copyFileSync('/lib/systemd/system/deluged.service', path.join(dir, 'deluged.service'));
  mkdirSync(path.join(dir, 'deluged.service.d'));
  const verify = (text: string) => {
    writeFileSync(path.join(dir, 'deluged.service.d', DROP_IN_NAME), text);
    return spawnSync('systemd-analyze', ['verify', 'deluged.service'], { encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
  };
  assert.notEqual(verify(`[Service]\nExecStart=${LAUNCHER.join(' ')} exec-adopted -- /usr/bin/deluged -d\n`).status, 0);
  assert.notEqual(verify('[Service]\nExecStart=\nExecStart=/nonexistent/node x\n').status, 0);
});

test('units adopt cannot wrap say why', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-dropin-');
  t.after(cleanup);
  const env = { SYSTEMD_UNIT_PATH: dir };
  const write = (name: string, body: string) => writeFileSync(path.join(dir, name), `[Service]\n${body}\n`);
  write('none.service', 'Type=simple');
  write('fork.service', 'Type=forking\nExecStart=/bin/true');
  write('two.service', 'Type=oneshot\nExecStart=/bin/true\nExecStart=/bin/false');
  write('dyn.service', 'DynamicUser=yes\nExecStart=/bin/true');
  const why = async (n: string) => refusal(await readUnit(n, { scope: 'system', env }));
  assert.match((await why('none.service'))!, /has no ExecStart/);
  assert.match((await why('fork.service'))!, /Type=forking: adopt wraps a daemon that stays in the foreground/);
  assert.match((await why('two.service'))!, /Type=oneshot/);
  assert.match((await why('dyn.service'))!, /DynamicUser/);
});

test('prefixes: "-" and "+" stay on the wrapped line, "@" (argv[0]) is dropped and said; specifiers stay for systemd', async (t) => {
  const { dir, cleanup } = tempDir('interceptor-dropin-');
  t.after(cleanup);
  writeFileSync(path.join(dir, 'p2p@.service'), '[Service]\nExecStart=-+@/usr/bin/deluged my-deluged -d -c "/var/lib/%i/conf dir"\n');
  const info = await readUnit('p2p@x.service', { scope: 'system', env: { SYSTEMD_UNIT_PATH: dir } });
  const { text, notes } = buildDropIn(info, { appId: 'p2p', engineDown: 'run', launcher: LAUNCHER, stateDir: '/s' });
  const line = execLine(text);
  assert.ok(line.startsWith(`-+${LAUNCHER[0]} `), line);
  const words = splitWords(line.slice(2));
  assert.deepEqual(words.slice(words.indexOf('--') + 1), ['/usr/bin/deluged', '-d', '-c', '/var/lib/%i/conf dir']);
  assert.ok(notes.some((n) => /sets argv\[0\] \("@"\)/.test(n)));
  mkdirSync(path.join(dir, 'p2p@x.service.d'));
  writeFileSync(path.join(dir, 'p2p@x.service.d', DROP_IN_NAME), text);
  const verify = spawnSync('systemd-analyze', ['verify', 'p2p@x.service'], { encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
  assert.equal(verify.status, 0, verify.stderr);
});
