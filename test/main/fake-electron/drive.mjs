// Child process of shell-wiring.test.ts: runs electron/main/main.ts against the fake
// Electron (and the real engine, in a temp XDG_CONFIG_HOME), drives it like an owner
// and the OS would, and prints one JSON report line.
import * as fake from './electron.mjs';

const report = {};
const wait = async (what, predicate, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const items = (menu) => menu?.template ?? [];
const findItem = (menu, id) => {
  for (const item of items(menu)) {
    if (item.id === id) return item;
    if (item.submenu) {
      const sub = item.submenu.find((s) => s.id === id);
      if (sub) return sub;
    }
  }
  return undefined;
};

const scenario = process.env.FAKE_SCENARIO ?? 'main';

async function finish(code = 0) {
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
  process.exit(code);
}

try {
  if (scenario === 'lockTaken') {
    await import('../../../electron/main/main.ts');
    await wait('quit', () => fake.record.some(([k]) => k === 'app.quit'));
    await new Promise((r) => setTimeout(r, 200));
    report.windows = fake.windows.length;
    report.trays = fake.trays.length;
    report.handlers = fake.ipcMain.handlers.size;
    report.record = fake.record.map(([k]) => k);
    await finish();
  }
  if (scenario === 'crash' || scenario === 'restartPaused') {
    await import('../../../electron/main/main.ts');
    await wait('the tray', () => fake.trays.length === 1);
    const tray = fake.trays[0];
    await wait('state in the tray', () => findItem(tray.menu, 'profile'));
    report.trayImage = tray.image.path.split('/').pop();
    report.status = findItem(tray.menu, 'status')?.label;
    if (scenario === 'restartPaused') {
      findItem(tray.menu, 'pause-15m').click();
      await wait('paused tray', () => tray.image.path.endsWith('tray-paused.png'));
      findItem(tray.menu, 'quit').click();
      await wait('quit finished', () => fake.app.finished);
      await finish();
    }
    setImmediate(() => {
      throw new Error('simulated bug in the main process');
    });
    await wait('exit after the crash', () => fake.app.exitCode !== null);
    report.record = fake.record.filter(([k]) => k.startsWith('app.')).map(([k, v]) => (v === undefined ? k : `${k}(${v})`));
    await finish();
  }
  await import('../../../electron/main/main.ts');
  report.privilegedBeforeReady = fake.protocol.registeredBeforeReady;
  report.privileged = fake.protocol.privileged;

  const tray = await (async () => {
    await wait('the tray', () => fake.trays.length === 1);
    return fake.trays[0];
  })();
  await wait('IPC handlers and a tray showing the profile', () => fake.ipcMain.handlers.size > 0 && findItem(tray.menu, 'profile'));
  report.applicationMenu = fake.Menu.applicationMenu;
  report.protocolSchemes = [...fake.protocol.handlers.keys()];
  report.handlers = [...fake.ipcMain.handlers.keys()].sort();

  const win = fake.windows[0];
  report.webPreferences = win.options.webPreferences;
  report.loadedUrl = win.url;
  await wait('window shown', () => win.visible);
  report.shownAtStart = win.visible;
  report.securityInstalled = {
    willNavigate: win.webContents.listenerCount('will-navigate'),
    openHandler: typeof win.webContents.openHandler,
    headers: typeof win.webContents.session.headersListener,
    permissions: typeof win.webContents.session.permissionRequest,
  };
  report.windowOpen = win.webContents.openHandler({ url: 'https://example.org/' });
  await new Promise((r) => setImmediate(r));
  report.openedExternally = [...fake.shell.opened];

  // IPC: trusted and untrusted senders.
  const trusted = { sender: { id: win.webContents.id }, senderFrame: { url: win.url, parent: null } };
  const foreign = { sender: { id: win.webContents.id }, senderFrame: { url: 'https://evil.example/', parent: null } };
  const getState = fake.ipcMain.handlers.get('interceptor:getState');
  const st = await getState(trusted, {});
  report.ipcTrusted = { ok: st.ok, profile: st.result?.profile };
  report.ipcForeign = await getState(foreign, {});
  report.ipcInvalid = await fake.ipcMain.handlers.get('interceptor:pauseAll')(trusted, { durationMs: -5 });

  // Tray: pause all for 15 minutes from the menu.
  report.trayImageBefore = tray.image.path.split('/').pop();
  findItem(tray.menu, 'pause-15m').click();
  await wait('paused tray', () => tray.image.path.endsWith('tray-paused.png'));
  report.trayAfterPause = { image: tray.image.path.split('/').pop(), tooltip: tray.tooltip, resumeEnabled: findItem(tray.menu, 'resume-all').enabled };
  report.eventsSent = [...new Set(win.webContents.sent.map(([ch, m]) => `${ch}:${m.event}`))].sort();
  findItem(tray.menu, 'resume-all').click();
  await wait('resumed tray', () => tray.image.path.endsWith('tray-running.png'));

  // Power: battery, then AC + idle past the threshold.
  fake.powerMonitor.onBattery = true;
  fake.powerMonitor.emit('on-battery');
  await wait('battery profile', () => /on battery/.test(findItem(tray.menu, 'profile')?.label ?? ''));
  report.profileOnBattery = (await getState(trusted, {})).result.profile;
  fake.powerMonitor.onBattery = false;
  fake.powerMonitor.idle = 100_000;
  fake.powerMonitor.emit('on-ac');
  await wait('idle profile', () => /idle/.test(findItem(tray.menu, 'profile')?.label ?? ''));
  report.profileIdle = (await getState(trusted, {})).result.profile;
  // The owner picks "On battery" by hand in the tray; the powerMonitor no longer decides.
  items(tray.menu).find((i) => i.id === 'profile-choice').submenu.find((i) => i.id === 'profile-battery').click();
  await wait('battery chosen by hand', () => /on battery \(chosen by hand\)/.test(findItem(tray.menu, 'profile')?.label ?? ''));
  fake.powerMonitor.idle = 0;
  fake.powerMonitor.emit('user-did-become-active');
  await new Promise((r) => setTimeout(r, 200));
  report.profileByHand = (await getState(trusted, {})).result.profile;
  items(tray.menu).find((i) => i.id === 'profile-choice').submenu.find((i) => i.id === 'profile-auto').click();
  await wait('automatic again', () => /Profile: in use$/.test(findItem(tray.menu, 'profile')?.label ?? ''));
  report.profileAutoAgain = (await getState(trusted, {})).result.profile;

  // Closing the window hides it; a second instance shows it again.
  report.closeHidden = !win.close() && !win.visible && !win.isDestroyed();
  fake.app.emit('second-instance');
  report.secondInstanceShows = win.visible;

  // Dashboard protocol serves the built dashboard with the CSP header.
  const handler = fake.protocol.handlers.get('interceptor');
  const res = await handler(new Request('interceptor://dashboard/index.html'));
  report.dashboard = { status: res.status, csp: res.headers.get('content-security-policy') };

  // Quit from the tray: the engine stops the apps first, then the app finishes.
  findItem(tray.menu, 'quit').click();
  await wait('quit finished', () => fake.app.finished, 20_000);
  report.quitRecord = fake.record.filter(([k]) => k.startsWith('app.')).map(([k, v]) => (v === undefined ? k : `${k}(${v})`));
  report.windowDestroyedOnQuit = win.isDestroyed();
  await finish();
} catch (err) {
  process.stdout.write(`REPORT ${JSON.stringify({ error: String(err?.stack ?? err), partial: report })}\n`);
  process.exit(1);
}
