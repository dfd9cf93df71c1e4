// End to end: transfer quotas in the Settings screen, in Debian's Chromium against a real engine
// and server. A quota added with the form reaches the engine and is listed with what it counted;
// a wrong amount is refused in place; the reset day changes; Remove takes a quota away.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Engine } from '../../electron/engine/index.js';
import { ARTIFACTS, openDashboard, waitFor, type DashboardFixture } from './browser.js';

let fixture: DashboardFixture;
let engine: Engine;
let page: Page;
const quotas = () => engine.invoke('getQuotas', {});

describe('transfer quotas in Settings, in Chromium', { timeout: 120_000 }, () => {
  before(async () => {
    fixture = await openDashboard('interceptor-quotas-', { width: 1280, height: 900 }, (e) => e.invoke('addApp', { name: 'Seeder', command: 'sleep', args: ['600'] }));
    ({ engine, page } = fixture);
  });
  after(() => fixture?.close());

  test('add a quota with the form, see it counted, change the reset day, remove it', async () => {
    await page.getByTestId('tab-settings').click();
    const section = page.getByTestId('quotas');
    await section.waitFor();
    await section.getByText('No quotas.').waitFor();
    const form = section.getByTestId('quota-form');
    await form.getByLabel('Quota for').selectOption({ label: 'Seeder' });
    await form.getByLabel('Period').selectOption('day');
    await form.getByLabel('Direction').selectOption('up');
    await form.getByLabel('Amount').fill('lots');
    await form.getByRole('button', { name: 'Add quota' }).click();
    await waitFor('the amount refused', () => form.getByRole('alert').textContent(), (t) => /^Amount: /.test(t ?? ''));
    assert.equal((await quotas()).rules.length, 0, 'nothing sent');
    await form.getByLabel('Amount').fill('2GB');
    await form.getByLabel('When reached').selectOption('slow');
    await form.getByLabel('Slow to').fill('100kB/s');
    await form.getByRole('button', { name: 'Add quota' }).click();
    await waitFor('the engine has it', quotas, (v) => v.rules.length === 1);
    assert.deepEqual((await quotas()).rules[0], { appId: 'seeder', period: 'day', direction: 'up', bytes: 2e9, action: 'slow', slowTo: 1e5 });
    const item = section.getByTestId('quota-0');
    await waitFor('listed', () => item.textContent(), (t) => /^Seeder: daily upload quota of 2 GB, then slow to 100 kB\/s.*used 0 B \(0%\)/.test(t ?? ''));

    await section.getByLabel('Months start on day').selectOption('15');
    await waitFor('the reset day', quotas, (v) => v.resetDay === 15);
    await page.screenshot({ path: path.join(ARTIFACTS, 'quotas-settings.png'), fullPage: true });

    await section.getByRole('button', { name: 'Remove quota 1' }).click();
    await waitFor('removed', quotas, (v) => v.rules.length === 0);
    await section.getByText('No quotas.').waitFor();
  });
});
