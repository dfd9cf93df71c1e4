// The dashboard at three window sizes (1440x900 wide, 1024x700 laptop, 400x800 narrow)
// in Debian's Chromium against a real `interceptor serve` with real apps: no sideways
// scroll, nothing off-screen or clipped, the pause controls and every card in view, apps
// as cards on narrow windows, events on readable lines; the capacity of an idle link
// (a fixture /proc and /sys whose interface reports no speed) labelled as a lower bound
// and never an absurd percentage; limit hits worded for the owner; a pasted command line
// split into program and arguments. Screenshots of every view at every size are kept in
// test-artifacts/layout-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { startServer, type RunningServer } from '../../electron/engine/server/index.js';
import { ARTIFACTS, CHROMIUM, LAUNCH_ARGS, prepareBrowserTest, waitFor } from './browser.js';

const SIZES = [
  { name: 'wide', width: 1440, height: 900 },
  { name: 'laptop', width: 1024, height: 700 },
  { name: 'narrow', width: 400, height: 800 },
] as const;

let workDir = '';
let engine: Engine | null = null;
let server: RunningServer | null = null;
let browser: Browser | null = null;
const contexts: BrowserContext[] = [];
const consoleProblems: string[] = [];

/** A /proc and /sys where the default route goes out through wlan0, which reports no link speed. */
function idleLinkFixture(dir: string): { proc: string; sys: string; traffic: (rx: number, tx: number) => void } {
  const proc = path.join(dir, 'proc');
  const sys = path.join(dir, 'sys');
  mkdirSync(path.join(proc, 'net'), { recursive: true });
  mkdirSync(path.join(sys, 'class/net/wlan0'), { recursive: true });
  writeFileSync(
    path.join(proc, 'net/route'),
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nwlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n',
  );
  writeFileSync(path.join(sys, 'class/net/wlan0/speed'), '-1\n');
  const traffic = (rx: number, tx: number) =>
    writeFileSync(path.join(proc, 'net/dev'), `Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n  wlan0: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0\n`);
  traffic(1_000_000, 2_000_000);
  return { proc, sys, traffic };
}

async function appId(name: string): Promise<string> {
  const state = await engine!.invoke('getState', {});
  return state.apps.find((a) => a.definition.name === name)!.definition.id;
}

async function openDashboard(size: (typeof SIZES)[number]): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: size.width, height: size.height }, colorScheme: 'light' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) consoleProblems.push(`${size.name} ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleProblems.push(`${size.name} pageerror: ${e.message}`));
  await page.goto(server!.url);
  await page.getByTestId('connection').and(page.locator('[data-status=open]')).waitFor({ timeout: 10_000 });
  await page.getByTestId('cap-cpu').waitFor();
  return page;
}

/**
 * What a person would see go wrong: the page scrolling sideways, a control, card, pill or
 * message reaching past the window's edge, a button or pill whose label does not fit it.
 * (Run in the page as text: the test's compiler would wrap named functions in a helper
 * the page does not have.)
 */
const LAYOUT_PROBLEMS = `(() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px in ' + width + ' px');
  const name = (el) => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  for (const el of document.querySelectorAll('button, input, select, textarea, .pill, .card, .log-row__msg, .capacity-row__line, h2, h3')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // not shown
    if (r.left < -1 || r.right > width + 1) out.push(name(el) + ' reaches past the window: ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + width);
    const place = el.matches('.pill') ? el.parentElement.closest('td, .app-card__head') : null;
    if ((el.matches('button, .pill') && el.scrollWidth > el.clientWidth + 1) || (place && place.getBoundingClientRect().right < r.right - 1)) out.push(name(el) + ' does not fit its place');
  }
  return out;
})()`;

function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(LAYOUT_PROBLEMS) as Promise<string[]>;
}

async function shot(page: Page, size: (typeof SIZES)[number], view: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `layout-${size.width}-${view}.png`), fullPage: true });
}

/** Every element of `locator` lies within the window's width. */
async function allInView(page: Page, selector: string, what: string): Promise<number> {
  const boxes = await page.locator(selector).evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
  const width = page.viewportSize()!.width;
  for (const b of boxes) assert.ok(b.width > 0 && b.left >= 0 && b.right <= width + 1, `${what} in view: ${JSON.stringify(b)} in ${width} px`);
  return boxes.length;
}

describe('the dashboard at three window sizes', { timeout: 240_000 }, () => {
  before(async () => {
    prepareBrowserTest();
    workDir = mkdtempSync(path.join(tmpdir(), 'interceptor-layout-'));
    const link = idleLinkFixture(workDir);
    engine = await createEngine({ configDir: path.join(workDir, 'config'), autostart: false, systemRoots: { proc: link.proc, sys: link.sys } });
    server = await startServer(engine, { port: 0 });
    // a second of ~3 kB/s on the idle link: its peak is a lower bound, far under a 1 MB/s cap
    await new Promise((r) => setTimeout(r, 1_500));
    link.traffic(1_003_000, 2_003_500);
    await waitFor('the peak observed as the link capacity', async () => (await engine!.invoke('getState', {})).capacity.netUp.source, (s) => s === 'measured', 5_000);
    for (const [name, args, cpu] of [
      ['burner', ['-c', 'while :; do :; done'], 0.04],
      ['ticker', ['-c', 'while :; do date; sleep 1; done'], 0.01],
      ['broken', ['-c', 'exit 127'], 0],
    ] as const) {
      const view = await engine.invoke('addApp', { name, command: 'sh', args: [...args], shares: { cpu, netUp: 0, netDown: 0, disk: 0, mem: 0 } });
      await engine.invoke('startApp', { id: view.definition.id }).catch(() => undefined);
    }
    // the crash first: under a cap the other two fill, an app with no share may wait long for its first slice
    await waitFor('broken to crash', async () => (await engine!.invoke('getState', {})).apps.find((a) => a.definition.name === 'broken')?.state, (s) => s === 'crashed');
    await engine.invoke('setOwnerLimits', { limits: { cpu: 0.1, netUp: 1e6, disk: null, mem: null } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await engine?.shutdown().catch(() => {});
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  for (const size of SIZES) {
    test(`${size.name} ${size.width}x${size.height}: every view fits, the pause controls and every card in view`, async () => {
      const page = await openDashboard(size);
      await page.waitForTimeout(2_500); // a few snapshots: figures, bars, the chart
      assert.deepEqual(await layoutProblems(page), [], 'overview');
      const pause = page.getByTestId('pause-control');
      for (const label of ['Pause all apps for 15 minutes', 'Pause all apps for 1 hour', 'Pause all apps until resumed']) assert.ok(await pause.getByRole('button', { name: label }).isVisible(), label);
      await allInView(page, '[data-testid=pause-control] button', 'pause-all buttons');
      assert.equal(await allInView(page, '.cap-card', 'cap cards'), 5);
      assert.equal(await page.getByTestId('theme-toggle').isVisible(), true);
      await shot(page, size, 'overview');

      await page.getByTestId('tab-apps').click();
      const cards = size.width < 1200;
      await page.getByTestId(cards ? 'app-cards' : 'app-row-burner').waitFor();
      assert.equal(await page.locator('.apps-table').count(), cards ? 0 : 1, cards ? 'apps as cards' : 'apps as a table');
      assert.equal(await allInView(page, '[data-testid^=app-row-]', 'apps'), 3);
      assert.deepEqual(await layoutProblems(page), [], 'apps');
      await shot(page, size, 'apps');
      // the longest state label (an app runnable but not dispatched) fits its column too
      await page.getByTestId('state-burner').evaluate((pill) => (pill.textContent = 'Waiting for CPU'));
      assert.deepEqual(await layoutProblems(page), [], 'apps with "Waiting for CPU"');

      await page.getByTestId('tab-events').click();
      await page.getByTestId('event-log').waitFor();
      assert.deepEqual(await layoutProblems(page), [], 'events');
      // readable lines: each message takes most of its row, never a column one letter wide
      const narrowest = await page.locator('.log-row').evaluateAll((rows) =>
        Math.min(...rows.map((r) => r.querySelector('.log-row__msg')!.getBoundingClientRect().width / r.getBoundingClientRect().width)),
      );
      assert.ok(narrowest > (size.width < 700 ? 0.8 : 0.4), `messages ${Math.round(narrowest * 100)}% of their row`);
      await shot(page, size, 'events');
    });
  }

  test('an idle link\'s peak is labelled a lower bound, never an absurd share; unknown said once with its action', async () => {
    const page = await openDashboard(SIZES[0]);
    assert.equal((await page.getByTestId('cap-share-netUp').innerText()).trim(), '', 'no "≤ 28398% of link" for a 1 MB/s cap over a 3 kB/s peak');
    assert.match(await page.getByTestId('capacity-netUp').innerText(), /^Link speed ≥ 3(\.\d+)? kB\/s \(the most seen on wlan0 so far\)\n+The link may be faster/);
    const disk = await page.getByTestId('capacity-disk').innerText();
    assert.equal(disk.match(/unknown/g)?.length, 1, disk);
    assert.match(disk, /Disk capacity unknown\n+Measure it, or set it, to see the cap as a share of the disk\./);
    // with no cap and no capacity the disk and memory bars are not drawn full
    for (const r of ['disk', 'mem']) assert.equal(await page.getByTestId(`usage-bar-${r}`).locator('.usage-bar__part').count(), 0, r);
  });

  test('keyboard focus on a slider is drawn on the slider itself', async () => {
    const page = await openDashboard(SIZES[0]);
    await page.getByRole('textbox', { name: /^CPU cap, In use profile, typed value$/ }).focus();
    await page.keyboard.press('Shift+Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { label: el.getAttribute('aria-label'), outline: `${style.outlineStyle} ${style.outlineWidth}`, visible: el.matches(':focus-visible') };
    });
    assert.deepEqual(focused, { label: 'CPU cap, In use profile', outline: 'solid 2px', visible: true });
  });

  test('wide: a crash code stays in its column, and the remove confirmation fits its cell', async () => {
    const page = await openDashboard(SIZES[0]);
    await page.getByTestId('tab-apps').click();
    const broken = await appId('broken');
    assert.equal(await page.getByTestId(`state-${broken}`).innerText(), 'Crashed');
    assert.equal(await page.getByTestId(`state-detail-${broken}`).innerText(), 'code 127');
    await page.getByRole('button', { name: 'Remove broken' }).click();
    const keep = page.getByRole('button', { name: 'Keep' });
    assert.equal(await keep.evaluate((el) => el === document.activeElement), true, 'the safe answer has the keyboard focus');
    const [cell, button] = await Promise.all([page.getByTestId(`app-row-${broken}`).locator('.app-row__actions').boundingBox(), keep.boundingBox()]);
    assert.ok(cell && button && button.x >= cell.x && button.x + button.width <= cell.x + cell.width + 0.5, `Keep ${JSON.stringify(button)} inside its cell ${JSON.stringify(cell)}`);
    await shot(page, SIZES[0], 'apps-remove-confirmation');
    await keep.click();
    assert.equal(await page.getByRole('button', { name: 'Remove broken' }).isVisible(), true);
  });

  test('laptop: while all apps are paused the cards keep the cap and say paused', async () => {
    const page = await openDashboard(SIZES[1]);
    await page.getByTestId('pause-control').getByRole('button', { name: 'Pause all apps until resumed' }).click();
    await waitFor('the CPU card to say paused', () => page.getByTestId('cap-of-cpu').innerText(), (t) => t.includes('paused'));
    assert.equal((await page.getByTestId('cap-of-cpu').innerText()).trim(), 'of 10% · paused', 'not "of 0%"');
    assert.deepEqual(await layoutProblems(page), [], 'the paused header fits');
    await shot(page, SIZES[1], 'overview-paused');
    await page.getByTestId('pause-control').getByRole('button', { name: 'Resume all' }).click();
    await waitFor('the CPU card to leave paused', () => page.getByTestId('cap-of-cpu').innerText(), (t) => !t.includes('paused'));
  });

  test('narrow: limit hits say the apps together are at the cap; child processes are one line', async () => {
    const page = await openDashboard(SIZES[2]);
    await page.getByTestId('tab-events').click();
    const log = page.getByTestId('event-log');
    await waitFor('a limit hit in the owner\'s words', () => log.innerText(), (t) => t.includes('P2P apps together are at the CPU cap; burner waits for CPU time'), 15_000);
    await waitFor("the ticker's launch folded", () => log.innerText(), (t) => /ticker started \d+ child process(es)? at launch: /.test(t), 15_000);
    const text = await log.innerText();
    assert.doesNotMatch(text, /\(pid \d+\) started|netUp|netDown|is at the cpu cap/, 'no line per child, no internal ids');
    assert.match(text, /broken stopped unexpectedly \(exit code 127: a command it ran was not found\)/);
    await shot(page, SIZES[2], 'events-worded');
  });

  test('narrow: a pasted command line is offered split into program and arguments', async () => {
    const page = await openDashboard(SIZES[2]);
    await page.getByTestId('tab-apps').click();
    await page.getByTestId('add-app').click();
    const dialog = page.getByTestId('app-editor');
    const command = dialog.locator('input[name=command]');
    assert.match(await dialog.locator('.field', { has: page.locator('input[name=command]') }).innerText(), /A whole command line pasted here can be split into program and arguments/);
    await command.fill('sh -c "echo split-ok; sleep 30"');
    await dialog.locator('input[name=name]').click(); // leave the field: no "not found" for a command line
    const offer = page.getByTestId('command-offer');
    assert.equal(await offer.innerText().then((t) => t.split('\n')[0]), 'This is a whole command line: the program sh with 2 arguments.');
    assert.equal(await dialog.locator('.field.has-error').count(), 0);
    assert.deepEqual(await layoutProblems(page), [], 'the dialog fits a narrow window');
    await shot(page, SIZES[2], 'editor-command-offer');
    await page.getByTestId('command-offer-accept').click();
    assert.equal(await command.inputValue(), 'sh');
    assert.equal(await dialog.locator('textarea[name=args]').inputValue(), '-c\necho split-ok; sleep 30');
    await dialog.getByText(/^Found: \/.*sh$/).waitFor();
    assert.equal(await offer.count(), 0);
    // a line that needs a shell is offered as sh -c
    await command.fill('while :; do date; done');
    assert.match(await offer.innerText(), /needs a shell \(it uses ;\)/);
    await command.fill('sh');
    await dialog.locator('input[name=name]').fill('split');
    await page.getByTestId('editor-save').click();
    await waitFor('the editor to close', () => dialog.isVisible(), (v) => !v);
    const added = (await engine!.invoke('getState', {})).apps.find((a) => a.definition.name === 'split')!;
    assert.deepEqual([added.definition.command, ...added.definition.args], ['sh', '-c', 'echo split-ok; sleep 30']);
  });

  test('no CSP violations or page errors in the console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
