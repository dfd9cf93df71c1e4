// End to end: an app's ceilings set from its row in the dashboard, in Debian's Chromium against a
// real engine and server. Selecting the app's row shows a ceiling slider and typed value per
// resource; a typed ceiling reaches the engine and shows in the row; one past the owner's loosest
// cap or under the app's share is refused in place with the reason; "No cap" lifts it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { NO_CEILINGS } from '../../electron/common/model.js';
import type { Engine } from '../../electron/engine/index.js';
import { ARTIFACTS, openDashboard, waitFor, type DashboardFixture } from './browser.js';

let fixture: DashboardFixture;
let engine: Engine;
let page: Page;
const ceilings = async () => (await engine.invoke('getState', {})).apps.find((a) => a.definition.id === 'seeder')!.definition.ceilings;

describe('per-app ceilings from the app row, in Chromium', { timeout: 120_000 }, () => {
  before(async () => {
    fixture = await openDashboard('interceptor-ceilings-', { width: 1440, height: 960 }, async (e) => {
      for (const profile of ['inUse', 'idle', 'battery'] as const) await e.invoke('setOwnerLimits', { profile, limits: { netUp: 4e6 } });
      await e.invoke('addApp', { name: 'Seeder', command: 'sleep', args: ['600'], shares: { cpu: 0, netUp: 5e5, netDown: 0, disk: 0, mem: 0 } });
    });
    ({ engine, page } = fixture);
  });
  after(() => fixture?.close());

  test('a typed ceiling reaches the engine and shows in the row; bounds are the share and the cap; No cap lifts it', async () => {
    await page.getByTestId('tab-apps').click();
    await page.getByTestId('app-row-seeder').locator('.app-name').click();
    const panel = page.getByTestId('ceilings');
    await panel.waitFor();
    const upload = panel.getByRole('textbox', { name: 'Upload ceiling of Seeder, typed value' });
    assert.equal(await upload.inputValue(), 'no cap');
    assert.equal(await page.getByTestId('ceiling-seeder-netUp').count(), 0, 'no ceiling shown in the row');

    await upload.fill('1MB/s');
    await upload.press('Enter');
    await waitFor('the engine has the ceiling', ceilings, (c) => c.netUp === 1e6);
    await waitFor('the row shows it', () => page.getByTestId('ceiling-seeder-netUp').textContent(), (t) => t === 'max 1 MB/s');
    assert.deepEqual(await ceilings(), { ...NO_CEILINGS, netUp: 1e6 }, 'only that resource changed');

    // past the loosest cap, and under the share: refused in place, nothing sent
    await upload.fill('5MB/s');
    await upload.press('Enter');
    await waitFor('the reason', () => panel.getByRole('alert').textContent(), (t) => /At most 4 MB\/s/.test(t ?? ''));
    await upload.fill('100kB/s');
    await upload.press('Enter');
    await waitFor('the reason', () => panel.getByRole('alert').textContent(), (t) => /At least 500 kB\/s: this app's nominal share/.test(t ?? ''));
    assert.equal((await ceilings()).netUp, 1e6);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ceilings-detail.png'), fullPage: true });

    // the slider: one step with the keyboard changes the ceiling, within the bounds
    const slider = panel.getByRole('slider', { name: 'Upload ceiling of Seeder' });
    await slider.focus();
    await slider.press('ArrowRight');
    await waitFor('the slider moved the ceiling up', ceilings, (c) => c.netUp !== null && c.netUp > 1e6 && c.netUp <= 4e6);

    // No cap: lifted
    await panel.getByTestId('ceiling-slider-netUp').getByRole('checkbox', { name: 'No cap' }).check();
    await waitFor('the ceiling is lifted', ceilings, (c) => c.netUp === null);
    await waitFor('the row no longer shows it', () => page.getByTestId('ceiling-seeder-netUp').count(), (n) => n === 0);
  });
});
