import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildReason, crashReason, decideLaunch, findElectron, headlessLine, main, parseArgs, requiredOutputs, rootReason, root } from '../../scripts/start.mjs';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start: decisions', () => {
  const electron = { binary: '/opt/electron/electron' };
  const display = { DISPLAY: ':0' };

  it('launches Electron when it can', () => {
    assert.deepEqual(decideLaunch({ env: display, platform: 'linux', uid: 1000, headlessFlag: false, electron }), { mode: 'electron', binary: electron.binary });
    assert.deepEqual(decideLaunch({ env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux', uid: 1000, headlessFlag: false, electron }).mode, 'electron');
    assert.deepEqual(decideLaunch({ env: {}, platform: 'darwin', uid: 501, headlessFlag: false, electron }).mode, 'electron');
  });

  it('the decision table: asked, no display, root, binary missing (fetch or not), binary there', () => {
    const missing = { error: 'the Electron binary is not installed', fetchable: true };
    const noPackage = { error: 'the electron package is not installed' };
    const rows: Array<[string, Parameters<typeof decideLaunch>[0], string]> = [
      ['asked by flag', { env: display, platform: 'linux', uid: 1000, headlessFlag: true, electron }, 'headless: headless mode was requested'],
      ['asked by variable', { env: { ...display, INTERCEPTOR_HEADLESS: '1' }, platform: 'linux', uid: 1000, headlessFlag: false, electron }, 'headless: headless mode was requested'],
      ['no display', { env: {}, platform: 'linux', uid: 1000, headlessFlag: false, electron: missing }, 'headless: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)'],
      ['empty DISPLAY', { env: { DISPLAY: '' }, platform: 'linux', uid: 1000, headlessFlag: false, electron }, 'headless: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)'],
      ['root', { env: display, platform: 'linux', uid: 0, headlessFlag: false, electron: missing }, `headless: ${rootReason(display)}`],
      ['binary missing, display: fetch it', { env: display, platform: 'linux', uid: 1000, headlessFlag: false, electron: missing }, 'fetch'],
      ['binary missing in CI', { env: { ...display, CI: 'true' }, platform: 'linux', uid: 1000, headlessFlag: false, electron: missing }, 'headless: the Electron binary is not installed (its download is skipped here: ELECTRON_SKIP_BINARY_DOWNLOAD or CI is set)'],
      ['binary missing, download skipped', { env: { ...display, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, platform: 'linux', uid: 1000, headlessFlag: false, electron: missing }, 'headless: the Electron binary is not installed (its download is skipped here: ELECTRON_SKIP_BINARY_DOWNLOAD or CI is set)'],
      ['no electron package', { env: display, platform: 'linux', uid: 1000, headlessFlag: false, electron: noPackage }, 'headless: the electron package is not installed'],
      ['X11', { env: display, platform: 'linux', uid: 1000, headlessFlag: false, electron }, 'electron'],
      ['Wayland', { env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'linux', uid: 1000, headlessFlag: false, electron }, 'electron'],
      ['macOS, no DISPLAY needed', { env: {}, platform: 'darwin', uid: 501, headlessFlag: false, electron }, 'electron'],
    ];
    for (const [name, input, expected] of rows) {
      const d = decideLaunch(input);
      assert.equal(d.mode === 'headless' ? `headless: ${d.reason}` : d.mode, expected, name);
    }
    assert.match(rootReason({ SUDO_USER: 'alice' }), /run `npm start` as your desktop user, in that user's session \(leave this root shell and run it as alice\)$/);
    assert.equal(headlessLine(rootReason({ SUDO_USER: 'alice' })).split('\n').length, 1);
    assert.match(crashReason('SIGTRAP', ''), /sandbox.*chmod 4755 node_modules\/electron\/dist\/chrome-sandbox/);
    assert.match(crashReason('SIGABRT', 'FATAL:setuid_sandbox_host.cc(158)] The SUID sandbox helper binary was found, but is not configured correctly.'), /sandbox could not start/);
    assert.equal(crashReason('SIGSEGV', 'Segmentation fault'), 'Electron was killed by SIGSEGV at start');
  });

  it('finds the Electron binary or says why not', () => {
    // This machine: the package is installed, its binary is not (download disabled).
    assert.deepEqual(findElectron(), { error: 'the Electron binary is not installed', fetchable: true });
    assert.deepEqual(findElectron(() => '/nonexistent/electron'), { error: 'the Electron binary is not installed', fetchable: true });
    const notExec = path.join(tempDir('interceptor-el-'), 'electron');
    writeFileSync(notExec, '');
    chmodSync(notExec, 0o644);
    if (process.getuid?.() !== 0) assert.match(findElectron(() => notExec).error!, /not executable/);
    chmodSync(notExec, 0o755);
    assert.deepEqual(findElectron(() => notExec), { binary: notExec });
    const missingPkg = Object.assign(new Error('x'), { code: 'MODULE_NOT_FOUND' });
    assert.deepEqual(findElectron(() => { throw missingPkg; }), { error: 'the electron package is not installed' });
  });

  it('separates its own flags from serve options', () => {
    assert.deepEqual(parseArgs(['--headless', '--port', '8080', '--no-build', '--config-dir', '/x']), { headless: true, build: false, serveArgs: ['--port', '8080', '--config-dir', '/x'] });
  });

  it('builds when an output is missing or older than the sources', () => {
    const dir = tempDir('interceptor-tree-');
    mkdirSync(path.join(dir, 'electron/main'), { recursive: true });
    writeFileSync(path.join(dir, 'electron/main/main.ts'), '');
    assert.deepEqual(requiredOutputs(dir, 'linux'), ['dist/electron/main/main.js', 'dist/electron/engine/cli/main.js']);
    assert.match(buildReason(dir, 'linux')!, /missing dist\/electron\/main\/main.js, dist\/electron\/engine\/cli\/main.js/);
    for (const o of requiredOutputs(dir, 'linux')) {
      mkdirSync(path.dirname(path.join(dir, o)), { recursive: true });
      writeFileSync(path.join(dir, o), '');
    }
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, 'electron/main/main.ts'), past, past);
    assert.equal(buildReason(dir, 'linux'), null);
    const future = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, 'electron/main/main.ts'), future, future);
    assert.equal(buildReason(dir, 'linux'), 'sources changed since the last build');
    // Sources that exist add their outputs.
    mkdirSync(path.join(dir, 'renderer'));
    writeFileSync(path.join(dir, 'renderer/index.html'), '');
    assert.ok(requiredOutputs(dir, 'linux').includes('dist/renderer/index.html'));
  });
});

describe('npm start: launching', () => {
  it('runs Electron on the app when it can (fake binary), and falls back when it dies at once', async () => {
    const dir = tempDir('interceptor-fake-electron-');
    const argsFile = path.join(dir, 'args');
    const ok = path.join(dir, 'electron-ok');
    writeFileSync(ok, `#!/bin/sh\necho "$@" > ${argsFile}\nexit 0\n`);
    chmodSync(ok, 0o755);
    const lines: string[] = [];
    const base = { env: { DISPLAY: ':0' }, platform: 'linux', uid: 1000, log: (l: string) => lines.push(l) };
    assert.equal(await main(['--no-build'], { ...base, findElectron: () => ({ binary: ok }) }), 0);
    assert.equal(readFileSync(argsFile, 'utf8').trim(), root);
    assert.deepEqual(lines, []);

    const dies = path.join(dir, 'electron-dies');
    writeFileSync(dies, '#!/bin/sh\necho "electron: error while loading shared libraries" >&2\nexit 3\n');
    chmodSync(dies, 0o755);
    // The headless server is then started; a bad port makes it stop at once for this test.
    const code = await main(['--no-build', '--port', 'notaport'], { ...base, findElectron: () => ({ binary: dies }) });
    assert.notEqual(code, 0);
    assert.deepEqual(lines, [headlessLine('Electron exited at once with code 3')]);

    // Chromium's sandbox aborting at start (Ubuntu 24.04 without the SUID helper's rights)
    lines.length = 0;
    const trap = path.join(dir, 'electron-sandbox');
    writeFileSync(trap, '#!/bin/sh\necho "[1:FATAL:setuid_sandbox_host.cc(158)] The SUID sandbox helper binary was found, but is not configured correctly." >&2\nkill -TRAP $$\n');
    chmodSync(trap, 0o755);
    assert.notEqual(await main(['--no-build', '--port', 'notaport'], { ...base, findElectron: () => ({ binary: trap }) }), 0);
    assert.equal(lines.length, 1);
    assert.equal(lines[0], headlessLine(crashReason('SIGTRAP', 'sandbox')));
  });

  it('fetches the binary on the first start with a display, then launches it; a failed fetch falls back and says how to retry', async () => {
    const dir = tempDir('interceptor-fetch-');
    const argsFile = path.join(dir, 'args');
    const ok = path.join(dir, 'electron-ok');
    writeFileSync(ok, `#!/bin/sh\necho "$@" > ${argsFile}\nexit 0\n`);
    chmodSync(ok, 0o755);
    const lines: string[] = [];
    const base = { env: { DISPLAY: ':0' }, platform: 'linux', uid: 1000, log: (l: string) => lines.push(l) };
    let fetched = false;
    const lookup = () => (fetched ? { binary: ok } : { error: 'the Electron binary is not installed', fetchable: true });
    const fetchElectron = async () => ((fetched = true), null);
    assert.equal(await main(['--no-build'], { ...base, findElectron: lookup, fetchElectron }), 0);
    assert.ok(fetched);
    assert.equal(readFileSync(argsFile, 'utf8').trim(), root);

    // the electron package's real installer, pointed at a mirror that is not there
    const code = await main(['--no-build', '--port', 'notaport'], {
      ...base,
      env: { DISPLAY: ':0', ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: path.join(dir, 'cache') },
      findElectron: () => ({ error: 'the Electron binary is not installed', fetchable: true }),
    });
    assert.notEqual(code, 0);
    assert.equal(lines[0], 'Interceptor: fetching the Electron binary (first start of the desktop app; about 100 MB)…');
    assert.match(lines[1]!, /^Interceptor: the desktop app cannot start here \(the Electron binary could not be downloaded \(.+\); retry with `npm start` when online, or run `node node_modules\/electron\/install.js`\); starting the headless dashboard instead\.$/);
    assert.equal(lines.length, 2);
  });

  it('on this machine: one line why, then the headless dashboard at a URL that answers 200; stops cleanly', { timeout: 240_000 }, async () => {
    const configDir = tempDir('interceptor-start-');
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configDir, XDG_STATE_HOME: path.join(configDir, 'state') };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.INTERCEPTOR_HEADLESS;
    const child = spawn(process.execPath, ['scripts/start.mjs', '--config-dir', configDir, '--no-autostart'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let serverPid: number | null = null;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in time:\n${out}\n${err}`)), 200_000);
        const look = () => {
          const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token=\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', look);
        void exited.then((code) => reject(new Error(`start.mjs exited (${code}) before printing a URL:\n${out}\n${err}`)));
      });
      const why = out.split('\n').filter((l) => l.startsWith('Interceptor: the desktop app cannot start here'));
      assert.deepEqual(why, [headlessLine('there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)')]);
      // As a browser does: the token in the URL becomes a cookie, then the dashboard loads.
      const first = await fetch(url, { redirect: 'manual' });
      assert.ok([301, 302, 303, 307].includes(first.status), `status ${first.status}`);
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      const res = await fetch(new URL(first.headers.get('location') ?? '/', url), { headers: { cookie } });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<html|<!doctype/i);
      const bearer = await fetch(new URL('/', url), { headers: { authorization: `Bearer ${new URL(url).searchParams.get('token')}` } });
      assert.equal(bearer.status, 200);
      await bearer.body?.cancel();
      const without = await fetch(new URL('/', url));
      assert.equal(without.status, 401);
      await without.body?.cancel();
      serverPid = (JSON.parse(readFileSync(path.join(configDir, 'state/interceptor/server.json'), 'utf8')) as { pid: number }).pid;
      assert.ok(serverPid > 0);
    } finally {
      child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0, `start.mjs exit code\n${out}\n${err}`);
    }
    // The server (start.mjs's child) is gone too.
    assert.throws(() => process.kill(serverPid!, 0), /ESRCH/);
  });
});
