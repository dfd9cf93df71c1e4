// End to end: "Adopt a service…" in Debian's Chromium against a real engine and server. The
// unit search path (systemd's own SYSTEMD_UNIT_PATH) is a temp dir holding Debian's user unit
// syncthing.service: the dashboard lists it, adopts it (a drop-in beside it, an app in the
// list) and releases it.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { loadOrCreateToken, writeEndpoint } from '../../electron/engine/server/endpoint.js';
import { startServer, type RunningServer } from '../../electron/engine/server/index.js';
import { ARTIFACTS, CHROMIUM, LAUNCH_ARGS, prepareBrowserTest, waitFor } from './browser.js';

let dir = '';
let engine: Engine;
let server: RunningServer;
let browser: Browser;
let page: Page;

describe('adopting a systemd unit from the dashboard, in Chromium', { timeout: 120_000 }, () => {
  before(async () => {
    prepareBrowserTest();
    dir = mkdtempSync(path.join(tmpdir(), 'interceptor-adopt-e2e-'));
    process.env.SYSTEMD_UNIT_PATH = path.join(dir, 'units');
    mkdirSync(process.env.SYSTEMD_UNIT_PATH);
    copyFileSync('/usr/lib/systemd/user/syncthing.service', path.join(process.env.SYSTEMD_UNIT_PATH, 'syncthing.service'));
    const stateDir = path.join(dir, 'state');
    engine = await createEngine({ configDir: path.join(dir, 'config'), autostart: false, stateDir });
    const { token } = await loadOrCreateToken(stateDir);
    server = await startServer(engine, { port: 0, token });
    await writeEndpoint(stateDir, { host: '127.0.0.1', port: server.port, pid: process.pid });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${server.origin}/?token=${token}`);
    await page.getByTestId('connection').and(page.locator('[data-status=open]')).waitFor({ timeout: 15_000 });
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await engine?.shutdown().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('list, adopt (drop-in and app), release', async () => {
    await page.getByTestId('tab-apps').click();
    await page.getByTestId('adopt-open').click();
    const row = page.getByTestId('unit-user-syncthing.service');
    await row.waitFor();
    assert.match(await row.innerText(), /\/usr\/bin\/syncthing/);
    await page.getByTestId('adopt-engine-down').selectOption('hold');
    await row.getByRole('button', { name: 'Adopt' }).click();
    const message = page.getByTestId('adopt-message');
    await waitFor('the adoption reported', () => message.innerText().catch(() => ''), (t) => /Adopted syncthing.service as app/.test(t));
    assert.match(await message.innerText(), /MemoryDenyWriteExecute=no/, 'the relaxed setting is reported');
    const dropIn = path.join(process.env.SYSTEMD_UNIT_PATH!, 'syncthing.service.d', 'zz-interceptor.conf');
    assert.match(readFileSync(dropIn, 'utf8'), /exec-adopted --app \S+ --unit syncthing.service --engine-down hold/);
    const apps = (await engine.invoke('getState', {})).apps;
    assert.deepEqual(apps.map((a) => a.definition.systemdUnit), [{ name: 'syncthing.service', scope: 'user' }]);
    await page.locator(`[data-app-name="syncthing"]`).first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'adopt.png'), fullPage: true });
    assert.equal(await page.getByRole('button', { name: 'Start syncthing' }).first().isDisabled(), true, 'systemd starts an adopted unit, not the dashboard');
    await row.getByRole('button', { name: 'Release' }).click();
    await waitFor('the release reported', () => message.innerText().catch(() => ''), (t) => /Released syncthing.service/.test(t));
    assert.ok(!existsSync(dropIn));
    await waitFor('the app removed', async () => (await engine.invoke('getState', {})).apps.length, (n) => n === 0);
  });
});
