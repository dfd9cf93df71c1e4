// End to end: the usage ranges and the event log's filters in Debian's Chromium against a
// real engine and server whose history database holds older figures (written before the
// engine starts, as a previous run would have): 20 hours ago in the minutes, 10 days ago in
// the hours, events of the last days. The 24 h and 30 d charts show them at their place, the
// 1 h chart the live seconds, the CSV download is the range, and the log's filters ask the
// database. Fails (does not skip) when Chromium or the build is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CSV_HEADER } from '../../electron/common/history.js';
import { openDatabase } from '../../electron/engine/history/sqlite.js';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { startServer, type RunningServer } from '../../electron/engine/server/index.js';
import { ARTIFACTS, CHROMIUM, LAUNCH_ARGS, closeAll, prepareBrowserTest, waitFor, watchConsole } from './browser.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** What the tests opened, closed after them. */
const opened: { dir: string; engine?: Engine; server?: RunningServer; browser?: Browser; context?: BrowserContext } = { dir: '' };
let page: Page;
const consoleProblems: string[] = [];
const now = Date.now();
const twentyHoursAgo = Math.floor((now - 20 * HOUR) / MIN) * MIN;
const tenDaysAgo = Math.floor((now - 10 * DAY) / HOUR) * HOUR;

/** What an earlier run left: a minute at 30 % CPU 20 h ago, an hour at 40 % 10 days ago, three events. */
function seed(file: string): void {
  const { db, problem } = openDatabase(file, now);
  if (!db) throw new Error(`seeding ${file}: ${problem}`);
  const row = db.prepare('INSERT INTO usage_m (t, app, n, cpu, cpu_max) VALUES (?, ?, ?, ?, ?)');
  for (const app of ['seeder', '*']) row.run(twentyHoursAgo, app, 60, 0.3 * 60, 0.35);
  db.prepare("INSERT INTO usage_m (t, app, n, cpu, cpu_max) VALUES (?, '#cap', 60, 36, 0.6)").run(twentyHoursAgo);
  for (const app of ['seeder', '*']) db.prepare('INSERT INTO usage_h (t, app, n, cpu, cpu_max) VALUES (?, ?, 3600, ?, 0.45)').run(tenDaysAgo, app, 0.4 * 3600);
  // the minutes hold everything up to a minute ago, the hours everything up to 21 hours ago
  db.prepare('INSERT INTO rollup (tier, upto) VALUES (?, ?), (?, ?)').run('usage_m', Math.floor(now / MIN) * MIN - MIN, 'usage_h', Math.floor((now - 21 * HOUR) / HOUR) * HOUR);
  const ev = db.prepare('INSERT INTO events (seq, t, kind, app, resource, message) VALUES (?, ?, ?, ?, ?, ?)');
  ev.run(1, now - 3 * DAY, 'crash', 'seeder', null, 'Seeder crashed three days ago');
  ev.run(2, now - 2 * HOUR, 'limitHit', 'seeder', 'netUp', 'Seeder hit the upload cap two hours ago');
  ev.run(3, now - HOUR / 2, 'info', null, null, 'a note half an hour ago');
  db.close();
}

const chart = () => page.getByTestId('chart-cpu');
const attr = async (name: string) => Number(await chart().getAttribute(name));

describe('usage ranges and event filters from the history database, in Chromium', { timeout: 180_000 }, () => {
  before(async () => {
    prepareBrowserTest();
    const configDir = (opened.dir = mkdtempSync(path.join(tmpdir(), 'interceptor-e2e-history-')));
    seed(path.join(configDir, 'history.db'));
    const engine = (opened.engine = await createEngine({ configDir, autostart: false }));
    await engine.invoke('setOwnerLimits', { limits: { cpu: 0.7 } });
    const server = (opened.server = await startServer(engine, { port: 0 }));
    const browser = (opened.browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS }));
    const context = (opened.context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', acceptDownloads: true }));
    page = await context.newPage();
    watchConsole(page, consoleProblems);
    await page.goto(server.url);
    await waitFor('the live chart', () => chart().getAttribute('data-range'), (r) => r === '5m');
  });

  after(() => closeAll([opened.context, opened.browser, opened.server, opened.engine], opened.dir));

  test('24 hours: the minute of 20 h ago at its place, with its cap', async () => {
    await page.getByTestId('range-24h').click();
    await waitFor('the 24 h chart', () => chart().getAttribute('data-range'), (r) => r === '24h');
    // the five-minute bucket holding that minute: 30 % over one minute of recorded time
    assert.equal(await attr('data-peak'), 0.3);
    const plot = chart().locator('.recharts-area-area');
    await waitFor('an area drawn', () => plot.count(), (n) => n >= 1);
    assert.match((await chart().getAttribute('aria-label')) ?? '', /over the last 24 hours/);
    assert.match(await chart().innerText(), /−20 h/);
    await page.locator('.charts').screenshot({ path: path.join(ARTIFACTS, 'history-24h.png') });
  });

  test('30 days: the hour of 10 days ago, and 20 h ago; 1 hour: only this run\'s seconds', async () => {
    await page.getByTestId('range-30d').click();
    await waitFor('the 30 d chart', () => chart().getAttribute('data-range'), (r) => r === '30d');
    // the 2-hour bucket of 10 days ago holds one recorded hour at 40 %
    assert.equal(await attr('data-peak'), 0.4);
    assert.ok((await attr('data-points')) >= 3, 'ten days ago, twenty hours ago, and now');
    await page.getByTestId('range-1h').click();
    await waitFor('the 1 h chart with this run\'s seconds', () => attr('data-points'), (n) => n >= 1);
    assert.equal(await chart().getAttribute('data-range'), '1h');
    assert.equal(await attr('data-peak'), 0, 'no app ran in this hour');
    assert.equal(await attr('data-cap'), 0.7, 'the cap in force now');
    await page.getByTestId('range-5m').click();
    await waitFor('back to the live view', () => chart().getAttribute('data-range'), (r) => r === '5m');
  });

  test('Export CSV downloads the range shown, as the CLI prints it', async () => {
    await page.getByTestId('range-24h').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    assert.match(download.suggestedFilename(), /^interceptor-usage-24h-\d{4}-\d\d-\d\d\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.trimEnd().split('\r\n');
    assert.equal(lines[0], CSV_HEADER);
    const seeded = lines.find((l) => l.startsWith(new Date(Math.floor(twentyHoursAgo / 300_000) * 300_000).toISOString()) && l.split(',')[1] === 'seeder');
    assert.ok(seeded, 'the seeded app at 20 h ago');
    assert.equal(seeded.split(',')[2], '0.3');
    assert.equal(seeded.split(',')[3], '0.35', 'its peak second');
  });

  test('the event log: kept entries of earlier runs, filtered by time, kind and app in the database', async () => {
    await page.getByTestId('tab-events').click();
    const log = page.getByTestId('event-log');
    const messages = async () => (await log.locator('.log-row__msg').allInnerTexts()).join('\n');
    await waitFor('the seeded crash', messages, (m) => m.includes('Seeder crashed three days ago'));
    await page.getByTestId('event-since').selectOption('24h');
    await waitFor('the last 24 hours only', messages, (m) => !m.includes('crashed three days ago') && m.includes('upload cap two hours ago'));
    await page.getByTestId('event-since').selectOption('1h');
    await waitFor('the last hour only', messages, (m) => !m.includes('two hours ago') && m.includes('half an hour ago'));
    await page.getByTestId('event-since').selectOption('all');
    await page.getByRole('button', { name: 'Crashes & exits' }).click();
    await waitFor('crashes hidden', messages, (m) => !m.includes('crashed') && m.includes('upload cap'));
    await page.getByRole('button', { name: 'Other' }).click();
    await waitFor('only limit hits and memory denials', messages, (m) => m.includes('upload cap') && !m.includes('half an hour ago'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'history-events.png') });
  });

  test('the next start finds the database damaged: a banner says so and where it was kept; the charts go on', async () => {
    await opened.server!.close();
    await opened.engine!.shutdown();
    const file = path.join(opened.dir, 'history.db');
    writeFileSync(file, 'this is not a database\n'.repeat(1000));
    const engine = (opened.engine = await createEngine({ configDir: opened.dir, autostart: false }));
    const server = (opened.server = await startServer(engine, { port: 0 }));
    await page.goto(server.url);
    const banner = page.getByTestId('banner-history');
    await waitFor('the history banner', () => banner.isVisible(), (v) => v);
    const text = await banner.innerText();
    assert.match(text, /usage history was damaged and a new one was started/);
    assert.match(text, /history\.db\.corrupt-/);
    assert.ok(readdirSync(opened.dir).some((f) => f.startsWith('history.db.corrupt-')), 'the file is kept aside');
    await page.screenshot({ path: path.join(ARTIFACTS, 'history-damaged.png') });
    await page.getByTestId('range-1h').click();
    await waitFor('the 1 h chart from the fresh database', () => chart().getAttribute('data-range'), (r) => r === '1h');
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await waitFor('the banner dismissed', () => banner.isVisible(), (v) => !v);
  });

  test('no CSP violations or page errors in the console', () => {
    assert.deepEqual(consoleProblems, []);
  });
});
