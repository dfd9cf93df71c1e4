// End to end: the settings screen in Debian's Chromium against a real engine and
// server (with an injected power source and a real XDG autostart toggle in a temp
// dir), and `interceptor open`'s launcher page taking Chromium to the dashboard
// without the token on any command line.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { xdgAutostart } from '../../electron/engine/autostart/index.js';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { startServer, type RunningServer } from '../../electron/engine/server/index.js';
import { writeEndpoint, loadOrCreateToken } from '../../electron/engine/server/endpoint.js';
import { ManualSource } from '../engine/power/fakes.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

let dir = '';
let engine: Engine;
let server: RunningServer;
let browser: Browser;
let page: Page;
const source = new ManualSource();

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const state = () => engine.invoke('getState', {});

describe('settings screen and interceptor open, in Chromium', { timeout: 180_000 }, () => {
  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium`);
    if (!existsSync(path.join(ROOT, 'dist/renderer/index.html'))) throw new Error('the dashboard is not built: npm run build');
    dir = mkdtempSync(path.join(tmpdir(), 'interceptor-settings-'));
    engine = await createEngine({
      configDir: path.join(dir, 'config'),
      autostart: false,
      power: source,
      loginItem: xdgAutostart({ command: ['/opt/Interceptor/interceptor-desktop', '--hidden'], dir: path.join(dir, 'autostart') }),
    });
    const stateDir = path.join(dir, 'state');
    const { token } = await loadOrCreateToken(stateDir);
    server = await startServer(engine, { port: 0, token });
    await writeEndpoint(stateDir, { host: '127.0.0.1', port: server.port, pid: process.pid });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await engine?.shutdown().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('interceptor open: a private launcher page takes the browser to the dashboard; the token stays off the command line', async () => {
    const recorder = path.join(dir, 'browser.sh');
    const argsFile = path.join(dir, 'browser-args');
    // (written aside and renamed: the test waits for the file, which must not be seen half written)
    writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}.part' && mv '${argsFile}.part' '${argsFile}'\n`);
    chmodSync(recorder, 0o755);
    const runtime = path.join(dir, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    // asynchronously: this process serves the dashboard the CLI connects to
    const r = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/interceptor.js'), 'open', '--state-dir', path.join(dir, 'state')], {
      encoding: 'utf8',
      env: { ...process.env, BROWSER: recorder, XDG_RUNTIME_DIR: runtime, INTERCEPTOR_TOKEN: '' },
    });
    assert.match(r.stdout, /^Opening the dashboard \(http:\/\/127\.0\.0\.1:\d+\) in the browser\.$/m);
    await until('the browser to be started', async () => existsSync(argsFile), (v) => v);
    const args = readFileSync(argsFile, 'utf8').trim().split('\n');
    assert.equal(args.length, 1);
    assert.match(args[0]!, /^file:\/\/.*\/run\/interceptor\/open\.html$/);
    assert.ok(!args[0]!.includes(server.token), 'no token in the browser\'s arguments');
    const launcher = new URL(args[0]!).pathname;
    assert.equal(statSync(launcher).mode & 0o777, 0o600);
    const response = await page.goto(args[0]!);
    assert.ok(response === null || response.ok());
    await page.waitForURL(`${server.origin}/`, { timeout: 10_000 });
    await page.getByTestId('connection').and(page.locator('[data-status=open]')).waitFor({ timeout: 10_000 });
  });

  test('the profile picked by hand in Settings holds; Automatic follows the power source again', async () => {
    await page.getByTestId('tab-settings').click();
    await page.getByTestId('settings').waitFor();
    await until('the power state shown', () => page.getByTestId('power-state').innerText(), (t) => /on mains power/.test(t) && /from test source/.test(t));
    await page.getByRole('radio', { name: /^On battery/ }).click();
    await until('battery by hand', state, (s) => s.profile === 'battery' && s.profileChoice === 'battery');
    await until('the badge says by hand', () => page.getByTestId('profile').getAttribute('data-choice'), (v) => v === 'manual');
    source.set({ idleSeconds: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await state()).profile, 'battery', 'the source does not override a pick');
    await page.getByRole('radio', { name: /^Automatic/ }).click();
    await until('automatic: idle from the source', state, (s) => s.profile === 'idle' && s.profileChoice === 'auto');
    await until('the badge', () => page.getByTestId('profile').innerText(), (t) => /Idle/.test(t));
    source.set({ idleSeconds: 0 });
  });

  test('quit and engine-loss behaviour, idle threshold, policies: each control writes the engine\'s settings', async () => {
    await page.locator('#setting-onQuit').selectOption('leaveRunning');
    await until('onQuit', state, (s) => s.settings.onQuit === 'leaveRunning');
    await page.locator('#setting-onEngineLoss').selectOption('continue');
    await until('onEngineLoss', state, (s) => s.settings.onEngineLoss === 'continue');
    const idle = page.locator('#setting-idle');
    assert.equal(await idle.inputValue(), '5 min');
    await idle.fill('10 s');
    await idle.press('Enter');
    await page.getByTestId('setting-idle').getByText('Between 30 s and 24 h.').waitFor();
    await idle.fill('2 min');
    await idle.press('Enter');
    await until('idle threshold', state, (s) => s.settings.idleThresholdSeconds === 120);
    await page.getByTestId('policy-net').selectOption('stride');
    await until('net policy', state, (s) => s.settings.policies.net === 'stride' && s.settings.policies.cpu === 'pns');
    await page.locator('#setting-cpuMechanism').selectOption('ptrace');
    await until('cpu mechanism setting', state, (s) => s.settings.cpuMechanism === 'ptrace');
    // the mechanism in force and why, as the engine says it (it may change with the setting)
    const shown = async () => ({ text: await page.getByTestId('cpu-mechanism').innerText(), cpu: (await state()).platform.cpu });
    const { text, cpu } = await until('the mechanism in force shown', shown, ({ text, cpu }) => text.includes(cpu.detail));
    assert.match(text, cpu.mechanism === 'cgroup' ? /In force: kernel \(cgroup\)/ : /In force: stops in slices \(ptrace\)/);
    if (cpu.unavailable) assert.ok(text.includes(cpu.unavailable), text);
    // after a reload the controls show what the engine keeps
    await page.reload();
    await page.getByTestId('tab-settings').click();
    assert.equal(await page.locator('#setting-onQuit').inputValue(), 'leaveRunning');
    assert.equal(await page.locator('#setting-idle').inputValue(), '2 min');
  });

  test('start at login: the toggle writes a valid XDG autostart entry and removes it', async () => {
    const box = page.getByRole('checkbox', { name: 'Start Interceptor at login' });
    const file = path.join(dir, 'autostart', 'interceptor.desktop');
    assert.equal(await box.isChecked(), false);
    await box.click();
    await until('the entry', async () => existsSync(file), (v) => v);
    const v = spawnSync('desktop-file-validate', [file], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(readFileSync(file, 'utf8'), /^Exec=\/opt\/Interceptor\/interceptor-desktop --hidden$/m);
    await until('the engine says enabled', state, (s) => s.startAtLogin?.enabled === true);
    await page.getByTestId('setting-start-at-login').getByText(/XDG autostart entry/).waitFor();
    await box.click();
    await until('the entry removed', async () => existsSync(file), (x) => !x);
    await page.screenshot({ path: path.join(ROOT, 'test-artifacts', 'dashboard-settings.png'), fullPage: true }).catch(() => {});
  });
});
