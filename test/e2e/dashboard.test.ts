// End to end: the built dashboard in Debian's Chromium against a real
// `interceptor serve` (createEngine + startServer) with the real native helper.
// Adds a CPU-bound app and an app that prints, reads and types in its terminal,
// moves the CPU cap slider and watches the chart follow, pauses and resumes, pauses
// all, loses and regains the connection, and is refused with a wrong token. Saves
// screenshots of the main views to test-artifacts/. Fails (does not skip) when
// Chromium or the build is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { startServer, type RunningServer } from '../../electron/engine/server/index.js';
import { ARTIFACTS, CHROMIUM, LAUNCH_ARGS, prepareBrowserTest, waitFor } from './browser.js';

let configDir = '';
let engine: Engine | null = null;
let server: RunningServer | null = null;
let browser: Browser | null = null;
let context: BrowserContext | null = null;
let page: Page;
const consoleProblems: string[] = [];

async function shot(name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage });
}

async function engineApp(name: string) {
  const state = await engine!.invoke('getState', {});
  return state.apps.find((a) => a.definition.name === name);
}

async function addAppThroughForm(fields: { command: string; name: string; args: string[]; cpu?: string }): Promise<void> {
  await page.getByTestId('add-app').click();
  const dialog = page.getByTestId('app-editor');
  await dialog.locator('input[name=command]').fill(fields.command);
  await dialog.locator('input[name=name]').fill(fields.name);
  await dialog.locator('textarea[name=args]').fill(fields.args.join('\n'));
  if (fields.cpu) await dialog.locator('input[name=share-cpu]').fill(fields.cpu);
  await page.getByTestId('editor-save').click();
  try {
    await waitFor('the editor to close', () => dialog.isVisible(), (v) => !v);
  } catch (error) {
    // (a CI run once saw the editor stay open: say what it showed, and keep a picture)
    await shot(`editor-stuck-${fields.name}`, false).catch(() => undefined);
    const shown = await dialog.innerText().catch((e: Error) => `(unreadable: ${e.message})`);
    throw new Error(`${(error as Error).message}
the editor shows:
${shown}
the engine has: ${(await engine!.invoke('getState', {})).apps.map((a) => `${a.definition.name} ${a.state}`).join(', ')}`);
  }
}

describe('dashboard against a real interceptor serve', { timeout: 240_000 }, () => {
  before(async () => {
    prepareBrowserTest();
    configDir = mkdtempSync(path.join(tmpdir(), 'interceptor-e2e-'));
    engine = await createEngine({ configDir, autostart: false });
    server = await startServer(engine, { port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    context = await browser.newContext({ viewport: { width: 1440, height: 960 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) consoleProblems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await engine?.shutdown().catch(() => {});
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  test('a wrong token is refused, for the page and for the WebSocket', async () => {
    const stranger = await browser!.newContext();
    try {
      const p = await stranger.newPage();
      const response = await p.goto(`${server!.origin}/?token=wrong-token-0123456789`);
      assert.equal(response?.status(), 401);
      assert.match(await p.locator('body').innerText(), /Unauthorized/);
      assert.equal(await p.locator('#root').count(), 0, 'no dashboard without the token');
      const noToken = await p.goto(`${server!.origin}/`);
      assert.equal(noToken?.status(), 401);
    } finally {
      await stranger.close();
    }
  });

  test('first run: the page loads with the token, connects, and explains what to do', async () => {
    const response = await page.goto(server!.url);
    assert.equal(response?.status(), 200);
    assert.ok(!page.url().includes('token='), 'the token leaves the address bar (cookie instead)');
    // The strict CSP is in force, so "no violations" below means something.
    assert.match(response!.headers()['content-security-policy'] ?? '', /style-src 'self'(;|$)/);
    assert.doesNotMatch(response!.headers()['content-security-policy'] ?? '', /unsafe-inline/);
    await page.getByTestId('connection').and(page.locator('[data-status=open]')).waitFor({ timeout: 10_000 });
    await page.getByTestId('first-run').waitFor();
    assert.match(await page.getByTestId('profile').innerText(), /In use/);
    // A WebSocket with a wrong token is refused even from the dashboard's own origin.
    const ws = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(`ws://${location.host}/ws?token=wrong-token-0123456789`);
          socket.onopen = () => resolve('open');
          socket.onerror = () => resolve('refused');
        }),
    );
    assert.equal(ws, 'refused');
    await shot('first-run');
  });

  test('the CPU cap typed in applies, and comes back from the engine', async () => {
    const input = page.getByRole('textbox', { name: /^CPU cap, In use profile, typed value$/ });
    await input.fill('60%');
    await input.press('Enter');
    await waitFor('the engine to hold a 60% CPU cap', async () => (await engine!.invoke('getState', {})).profiles.inUse.cpu, (v) => v === 0.6);
    await waitFor('the field to show the engine value', () => input.inputValue(), (v) => v === '60%');
    // An impossible value is refused with a message, and nothing is sent.
    await input.fill('150%');
    await input.press('Enter');
    await page.getByText('Type a percentage between 0% and 100%').waitFor();
    await input.press('Escape');
    assert.equal((await engine!.invoke('getState', {})).profiles.inUse.cpu, 0.6);
  });

  test('a link capacity set in the UI: the upload cap shows as a share of it and cannot pass it', async () => {
    const row = page.getByTestId('capacity-netUp');
    await page.getByTestId('capacity-set-netUp').click();
    const field = page.getByTestId('capacity-input-netUp');
    await field.fill('fast');
    await page.getByTestId('capacity-save-netUp').click();
    await row.getByText('Type a rate such as 500kB/s or 2MB/s.').waitFor();
    await field.fill('10MB/s');
    await page.getByTestId('capacity-save-netUp').click();
    await waitFor('the engine to hold the owner\'s capacity', async () => (await engine!.invoke('getState', {})).capacity.netUp, (c) => c.source === 'owner' && c.bytesPerSec === 10e6);
    await waitFor('the row to show it', () => page.getByTestId('capacity-value-netUp').innerText(), (v) => v === '10 MB/s');
    assert.match(await page.getByTestId('capacity-source-netUp').innerText(), /given by you/);
    const cap = page.getByRole('textbox', { name: /^Upload cap, In use profile, typed value$/ });
    await cap.fill('2MB/s');
    await cap.press('Enter');
    await waitFor('the engine to hold a 2 MB/s upload cap', async () => (await engine!.invoke('getState', {})).profiles.inUse.netUp, (v) => v === 2e6);
    await waitFor('the cap as a share of the link', () => page.getByTestId('cap-share-netUp').innerText(), (v) => v === '20% of link');
    // the slider ends at the capacity: a typed value past it is refused before it is sent
    await cap.fill('20MB/s');
    await cap.press('Enter');
    await page.getByTestId('cap-netUp').getByText("At most 10 MB/s (the link's capacity).").waitFor();
    await cap.press('Escape');
    assert.equal((await engine!.invoke('getState', {})).profiles.inUse.netUp, 2e6);
    await shot('capacity');
  });

  test('adding an app: a missing executable is a clear error', async () => {
    await page.getByTestId('tab-apps').click();
    await page.getByTestId('add-app').click();
    const dialog = page.getByTestId('app-editor');
    await dialog.locator('input[name=command]').fill('no-such-program-interceptor-e2e');
    await dialog.locator('input[name=share-cpu]').fill('abc');
    await page.getByTestId('editor-save').click();
    // Both refusals, each under its field: the engine's (no such executable) and the form's.
    await dialog.locator('.field.has-error', { hasText: 'Command' }).getByText(/no-such-program-interceptor-e2e.*not found/).waitFor();
    await dialog.locator('.field.has-error', { hasText: 'CPU' }).getByText(/Type a percentage/).waitFor();
    await shot('editor-errors', false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await engine!.invoke('getState', {})).apps.length, 0, 'nothing was added');
  });

  test('adds a CPU-bound app and an app that prints; both run', async () => {
    await addAppThroughForm({ command: 'sh', name: 'burner', args: ['-c', 'while :; do :; done'], cpu: '30%' });
    await addAppThroughForm({
      command: 'sh',
      name: 'printer',
      args: ['-c', 'echo "hello from printer"; while IFS= read -r line; do echo "you typed: $line"; done'],
      cpu: '1%',
    });
    for (const name of ['burner', 'printer']) {
      const app = await waitFor(`${name} to run`, () => engineApp(name), (a) => !!a && ['running', 'held'].includes(a.state));
      await page.getByTestId(`app-row-${app!.definition.id}`).waitFor();
      await waitFor(`${name}'s row to say it runs`, () => page.getByTestId(`state-${app!.definition.id}`).getAttribute('data-state'), (s) => s === 'running' || s === 'held');
    }
    assert.equal((await engineApp('burner'))!.definition.shares.cpu, 0.3);
  });

  test("the printer's terminal shows its output, and what is typed reaches it", async () => {
    const id = (await engineApp('printer'))!.definition.id;
    // Adding an app selects it; select the printer if it is not the one open.
    const name = page.getByTestId(`app-row-${id}`).locator('.app-name');
    if ((await name.getAttribute('aria-expanded')) !== 'true') await name.click();
    const terminal = page.getByTestId(`terminal-${id}`);
    await terminal.waitFor();
    await waitFor('the printed line in the terminal', () => terminal.locator('.xterm-rows').innerText(), (t) => t.includes('hello from printer'));
    await terminal.locator('.xterm').click();
    await page.keyboard.type('ping 42');
    await page.keyboard.press('Enter');
    await waitFor('the echo of the typed line', () => terminal.locator('.xterm-rows').innerText(), (t) => t.includes('you typed: ping 42'));
    await shot('apps');
  });

  test('moving the CPU cap slider: the received share in the chart follows within 5 s', async () => {
    await page.getByTestId('tab-overview').click();
    const chart = page.getByTestId('chart-cpu');
    const total = async () => Number((await chart.getAttribute('data-total')) || 'NaN');
    // With a 60% cap and a 30% share the burner takes a large part of a core (other
    // tests share the two cores, so how much is not asserted).
    const before = await waitFor('CPU use to show in the chart', total, (v) => v > 0.03, 15_000);
    await page.waitForTimeout(2_000);
    const busy = await total();
    // A cap cannot go below the shares promised: lower the burner's share first.
    await page.getByTestId('tab-apps').click();
    const burner = (await engineApp('burner'))!.definition.id;
    const name = page.getByTestId(`app-row-${burner}`).locator('.app-name');
    if ((await name.getAttribute('aria-expanded')) !== 'true') await name.click();
    const share = page.getByRole('slider', { name: 'CPU share of burner' });
    await share.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight'); // 0.5% a notch
    await waitFor("the engine to hold the burner's 5% share", async () => (await engineApp('burner'))!.definition.shares.cpu, (v) => Math.abs(v - 0.05) < 1e-9);
    await page.getByTestId('tab-overview').click();
    const slider = page.getByRole('slider', { name: /^CPU cap, In use profile$/ });
    await slider.focus();
    const moved = Date.now();
    await page.keyboard.press('Home'); // stops at the apps' shares: 6%
    await waitFor('the cap to stop at the sum of the shares', () => slider.getAttribute('aria-valuetext'), (v) => v === '6%');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    const cap = await waitFor('the engine to hold an 8% CPU cap', async () => (await engine!.invoke('getState', {})).profiles.inUse.cpu, (v) => v !== null && Math.abs(v - 0.08) < 1e-9);
    await waitFor('the chart to show the new cap', async () => Number(await chart.getAttribute('data-cap')), (v) => Math.abs(v - cap!) < 1e-9, 5_000);
    // The received share over the last second at or under the cap (25% slack for the
    // measurement window and the scheduler's slices), within 5 s of the change.
    const after = await waitFor('the received CPU share to follow the cap', total, (v) => v <= cap! * 1.25 + 0.005, 5_000);
    console.log(`# cpu: ${(Math.max(before, busy) * 100).toFixed(1)}% before, cap ${(cap! * 100).toFixed(1)}%, ${(after * 100).toFixed(1)}% after ${Date.now() - moved} ms`);
    await page.waitForTimeout(4_000); // some history under the new cap for the screenshot
    await shot('overview');
  });

  test('pause and resume an app', async () => {
    await page.getByTestId('tab-apps').click();
    const id = (await engineApp('burner'))!.definition.id;
    await page.getByRole('button', { name: 'Pause burner' }).click();
    await waitFor('the row to say paused', () => page.getByTestId(`state-${id}`).getAttribute('data-state'), (s) => s === 'paused');
    assert.equal((await engineApp('burner'))!.pausedByOwner, true);
    await page.getByRole('button', { name: 'Resume burner' }).click();
    await waitFor('the row to say running', () => page.getByTestId(`state-${id}`).getAttribute('data-state'), (s) => s === 'running' || s === 'held');
    assert.equal((await engineApp('burner'))!.pausedByOwner, false);
  });

  test('pause all for 15 minutes shows the lease and its expiry; resume all ends it', async () => {
    const control = page.getByTestId('pause-control');
    await control.getByRole('button', { name: 'Pause all apps for 15 minutes' }).click();
    await waitFor('the lease in the header', () => control.innerText(), (t) => /All apps paused until (\w{3} \d{1,2} )?\d\d:\d\d:\d\d \((14|15) min/.test(t)); // (with the date when the expiry is past midnight)
    const lease = (await engine!.invoke('getState', {})).pause;
    assert.ok(lease && lease.until !== null && Math.abs(lease.until - lease.since - 15 * 60_000) < 1000);
    await control.getByRole('button', { name: 'Resume all' }).click();
    await waitFor('the lease to end', () => control.innerText(), (t) => t.includes('Pause all') && !t.includes('paused'));
    assert.equal((await engine!.invoke('getState', {})).pause, null);
  });

  test('the event log lists what happened, with times', async () => {
    await page.getByTestId('tab-events').click();
    const log = page.getByTestId('event-log');
    await waitFor('events with times', () => log.locator('.log-row').count(), (n) => n >= 2);
    assert.match(await log.innerText(), /\d\d:\d\d:\d\d/);
    await shot('events');
  });

  test('dark theme', async () => {
    await page.getByTestId('tab-overview').click();
    for (let i = 0; i < 3 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark'; i++) await page.getByTestId('theme-toggle').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.waitForTimeout(500);
    await shot('overview-dark');
    await page.getByTestId('tab-apps').click();
    await page.waitForTimeout(500);
    await shot('apps-dark');
  });

  test('with 20 apps the overview keeps up with the 2 Hz snapshots', async () => {
    for (let i = 0; i < 18; i++) {
      const view = await engine!.invoke('addApp', { name: `idle ${i + 1}`, command: 'sleep', args: ['600'] });
      await engine!.invoke('startApp', { id: view.definition.id });
    }
    await page.getByTestId('tab-overview').click();
    await waitFor('20 apps in the dashboard', () => page.getByTestId('tab-apps').innerText(), (t) => t.includes('20'));
    const chart = page.getByTestId('chart-cpu');
    // Count the snapshots the chart shows and the frames drawn over 6 s.
    const seen = new Set<string>();
    const frames = page.evaluate(
      'new Promise((resolve) => { let n = 0; const end = performance.now() + 6000; const f = (t) => { n++; if (t < end) requestAnimationFrame(f); else resolve(n); }; requestAnimationFrame(f); })',
    ) as Promise<number>;
    const until = Date.now() + 6_000;
    while (Date.now() < until) {
      seen.add((await chart.getAttribute('data-t')) ?? '');
      await new Promise((r) => setTimeout(r, 100));
    }
    const drawn = await frames;
    console.log(`# 20 apps: ${seen.size} snapshots shown and ${drawn} frames drawn in 6 s`);
    assert.ok(seen.size >= 8, `the chart kept up with the snapshots (${seen.size} in 6 s, 12 sent)`);
    assert.ok(drawn >= 30, `the page stayed responsive (${drawn} frames in 6 s)`);
    await shot('overview-20-apps');
    await page.getByTestId('tab-apps').click();
    await shot('apps-20-apps');
  });

  test('a lost connection shows a banner, and the dashboard reconnects by itself', async () => {
    const { port, token } = server!;
    await server!.close();
    await page.getByTestId('banner-reconnecting').waitFor({ timeout: 10_000 });
    await shot('reconnecting', false);
    server = await startServer(engine!, { port, token });
    await page.getByTestId('connection').and(page.locator('[data-status=open]')).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('banner-reconnecting').count(), 0);
  });

  test('a token the engine no longer accepts is refused with a banner, not retried forever', async () => {
    const { port } = server!;
    await server!.close();
    await page.getByTestId('banner-reconnecting').waitFor({ timeout: 10_000 });
    server = await startServer(engine!, { port, token: 'another-token-0123456789abcdef' });
    await page.getByTestId('banner-unauthorized').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('connection').getAttribute('data-status'), 'unauthorized');
    await shot('refused', false);
  });

  test('no CSP violations or page errors in the console', () => {
    // The refused WebSocket upgrades above log network errors; everything else must be clean.
    const problems = consoleProblems.filter((p) => !/WebSocket connection to .* failed|status of 401|ERR_CONNECTION_REFUSED/.test(p));
    assert.deepEqual(problems, []);
  });
});
