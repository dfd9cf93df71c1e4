// Renders the README's dashboard pictures (docs/screenshot*.png) from the real thing: a
// headless engine with four stand-in P2P apps under the owner's caps, watched for a few
// minutes, then Debian's Chromium at a wide and a narrow window.
//   node --import tsx scripts/docs-screenshots.ts [seconds=300]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createEngine } from '../electron/engine/index.js';
import { startServer } from '../electron/engine/server/index.js';
import { CHROMIUM, LAUNCH_ARGS, ROOT, prepareBrowserTest } from '../test/e2e/browser.js';

const seconds = Number(process.argv[2] ?? 300);
prepareBrowserTest();
const work = mkdtempSync(path.join(tmpdir(), 'interceptor-docs-'));
const engine = await createEngine({ configDir: path.join(work, 'config'), autostart: false });
const server = await startServer(engine, { port: 0 });
try {
  await engine.invoke('setOwnerLimits', { limits: { cpu: 0.4, netUp: 1e6, netDown: 4e6, disk: 8e6, mem: 2e9 } });
  await engine.invoke('setCapacity', { resource: 'netUp', bytesPerSec: 12.5e6 });
  await engine.invoke('setCapacity', { resource: 'netDown', bytesPerSec: 12.5e6 });
  const zero = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 };
  const apps = [
    { name: 'boinc-worker', args: ['-c', 'while :; do :; done'], shares: { ...zero, cpu: 0.2 } },
    { name: 'folding-sim', args: ['-c', 'while :; do :; done'], shares: { ...zero, cpu: 0.1 } },
    { name: 'ipfs-gc', args: ['-c', `while :; do dd if=/dev/zero of=${work}/gc bs=1M count=4 conv=fsync 2>/dev/null; done`], shares: { ...zero, cpu: 0.03, disk: 4e6 } },
    { name: 'syncthing-log', args: ['-c', `while :; do date >> ${work}/sync.log; sleep 1; done`], shares: { ...zero, cpu: 0.02, disk: 1e6 } },
  ];
  for (const app of apps) {
    const view = await engine.invoke('addApp', { name: app.name, command: 'sh', args: app.args, shares: app.shares });
    await engine.invoke('startApp', { id: view.definition.id });
  }
  console.log(`watching the apps for ${seconds} s…`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  try {
    const shots = [
      { file: 'screenshot.png', width: 1360, height: 900, view: 'overview', fullPage: true },
      { file: 'screenshot-apps.png', width: 1360, height: 900, view: 'apps', fullPage: true },
      { file: 'screenshot-apps-narrow.png', width: 400, height: 800, view: 'apps', fullPage: false },
    ];
    for (const shot of shots) {
      const page = await browser.newPage({ viewport: { width: shot.width, height: shot.height }, colorScheme: 'light' });
      await page.goto(server.url);
      await page.getByTestId('connection').and(page.locator('[data-status=open]')).waitFor();
      await page.getByTestId(`tab-${shot.view}`).click();
      await page.waitForTimeout(3000);
      await page.screenshot({ path: path.join(ROOT, 'docs', shot.file), fullPage: shot.fullPage });
      await page.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  await server.close();
  await engine.shutdown();
  rmSync(work, { recursive: true, force: true });
}
