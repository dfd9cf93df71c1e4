// End to end: the week schedule in Settings, in Debian's Chromium against a real engine and
// server whose wall clock the test sets (Europe/Berlin, a Monday in March): the grid painted
// by a mouse drag and by the keyboard, the schedule turned on, and "now" and "next" (and why)
// following the engine across a boundary, a manual pick and a scheduled pause.
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { realClock, type EngineClock } from '../../electron/engine/clock.js';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { startServer, type RunningServer } from '../../electron/engine/server/index.js';
import { ManualSource } from '../engine/power/fakes.js';
import { ARTIFACTS, CHROMIUM, LAUNCH_ARGS, prepareBrowserTest, waitFor } from './browser.js';

/** The real clock, but with a wall time the test sets (the engine's timers stay real). */
class SetWallClock implements EngineClock {
  private offset = 0;
  now = realClock.now;
  setTimeout = realClock.setTimeout;
  wallNow(): number {
    return Date.now() + this.offset;
  }
  set(isoUtc: string): void {
    this.offset = Date.parse(`${isoUtc}Z`) - Date.now();
  }
}

let dir = '';
let engine: Engine;
let server: RunningServer;
let browser: Browser;
let page: Page;
const clock = new SetWallClock();
const state = () => engine.invoke('getState', {});
const text = (id: string) => () => page.getByTestId(id).innerText();
const center = async (id: string) => {
  const box = (await page.locator(`#${id}`).boundingBox())!;
  return [box.x + box.width / 2, box.y + box.height / 2] as const;
};

describe('the week schedule in Settings, in Chromium', { timeout: 180_000 }, () => {
  before(async () => {
    prepareBrowserTest();
    dir = mkdtempSync(path.join(tmpdir(), 'interceptor-schedule-'));
    clock.set('2026-03-23T06:00:00'); // Monday 07:00 in Berlin
    const power = new ManualSource();
    power.reading = { onBattery: false, idleSeconds: 10_000, locked: false };
    engine = await createEngine({ configDir: path.join(dir, 'config'), autostart: false, clock, power, timeZone: 'Europe/Berlin', scheduleRecheckMs: 200, sampleNetwork: false });
    server = await startServer(engine, { port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    await page.goto(server.url);
    await page.getByTestId('tab-settings').click();
    await page.getByTestId('schedule').waitFor();
  });
  after(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await engine?.shutdown().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('painting: a mouse drag paints a rectangle, the keyboard another; the schedule turned on', async () => {
    await waitFor('off at first', text('schedule-next'), (t) => t === 'Nothing: the schedule is off.');
    await page.getByTestId('schedule-enabled').check();
    await waitFor('on', state, (s) => s.schedule.enabled);

    await page.getByRole('radio', { name: 'Brush In use', exact: true }).check();
    const [x0, y0] = await center('schedule-cell-0-9');
    const [x1, y1] = await center('schedule-cell-4-17');
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x1, y1, { steps: 8 });
    await page.mouse.up();
    const painted = await waitFor('Monday–Friday 09–18 in use', state, (s) => s.schedule.slots.filter((x) => x === 'inUse').length === 45);
    assert.equal(painted.schedule.slots[9], 'inUse');
    assert.equal(painted.schedule.slots[4 * 24 + 17], 'inUse');
    assert.equal(painted.schedule.slots[4 * 24 + 18], 'auto');

    await page.getByRole('radio', { name: 'Brush Paused', exact: true }).check();
    await page.locator('#schedule-cell-5-22').focus();
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowDown');
    assert.equal(await page.locator('.schedule-cell[aria-selected=true]').count(), 4, 'the selection shows before it is painted');
    await page.keyboard.press('Space');
    await waitFor('Saturday and Sunday 22–24 paused', state, (s) => [5 * 24 + 22, 5 * 24 + 23, 6 * 24 + 22, 6 * 24 + 23].every((i) => s.schedule.slots[i] === 'paused') && s.schedule.slots.filter((x) => x === 'paused').length === 4);
    assert.equal(await page.locator('#schedule-cell-6-23').getAttribute('aria-label'), 'Sunday 23:00–24:00: Paused');
    assert.equal(await page.locator('#schedule-cell-6-23').evaluate((el) => el === document.activeElement), true, 'the focus followed the keys');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await waitFor('one more hour, by Enter', state, (s) => s.schedule.slots[6 * 24 + 21] === 'paused' && s.schedule.slots.filter((x) => x === 'paused').length === 5);
  });

  test('now and next follow the engine: detection, then the schedule at 09:00, a pick until 18:00, a scheduled pause', async () => {
    await waitFor('next: Monday 09:00', text('schedule-next'), (t) => t === 'Mon 09:00: In use');
    assert.equal(await page.getByTestId('schedule-now').innerText(), 'Idle — from idle and power detection');

    clock.set('2026-03-23T07:59:58'); // Monday 08:59:58
    await waitFor('the schedule decides at 09:00', text('schedule-now'), (t) => t === 'In use — forced by the schedule');
    assert.equal(await page.getByTestId('schedule-next').innerText(), 'Mon 18:00: Automatic');
    await waitFor('the header says why', () => page.getByTestId('profile').getAttribute('data-reason'), (r) => r === 'schedule');
    assert.match(await page.getByTestId('profile').innerText(), /In use\s*scheduled/);

    await page.getByTestId('profile-choice').getByRole('radio', { name: /^Idle/ }).click();
    await waitFor('a pick holds until the next change', text('schedule-now'), (t) => t === "Idle — picked by hand, until the schedule's change at Mon 18:00");
    assert.equal((await state()).schedule.pickUntil, Date.parse('2026-03-23T17:00Z'));

    clock.set('2026-03-23T16:59:59'); // Monday 17:59:59
    await waitFor('the pick ended at 18:00', text('schedule-now'), (t) => t === 'Idle — from idle and power detection');
    assert.equal(await page.getByTestId('profile-choice').getByRole('radio', { name: /^Automatic/ }).isChecked(), true);

    clock.set('2026-03-28T21:00:01'); // Saturday 22:00:01
    await waitFor('paused by the schedule, in the header', text('schedule-pause'), (t) => t.includes('Scheduled pause until Sun 00:00'));
    assert.match(await page.getByTestId('schedule-now').innerText(), /all apps paused by the schedule$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-schedule.png'), fullPage: true }).catch(() => {});

    await page.reload();
    await page.getByTestId('tab-settings').click();
    await waitFor('the grid after a reload', () => page.locator('#schedule-cell-2-12').getAttribute('data-slot'), (s) => s === 'inUse');
  });
});
