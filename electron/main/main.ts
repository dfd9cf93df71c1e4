// Electron main process: hosts the engine and wires the plain modules of this
// directory to Electron. Everything this file decides is in those modules (and
// their tests); this file only connects them.
import path from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  dialog,
  ipcMain,
  nativeImage,
  powerMonitor,
  protocol,
  shell,
  type NativeImage,
} from 'electron';
import type { CommandName } from '../common/contract.js';
import type { EngineSettings, FullState } from '../common/model.js';
import { createEngine, type Engine } from '../engine/index.js';
import { systemPowerSource } from '../engine/power/index.js';
import { xdgAutostart } from '../engine/autostart/index.js';
import { createSenderCheck, forwardEngineEvents, registerIpcHandlers } from './ipc-handlers.js';
import { NotificationPolicy, type NotificationRequest } from './notifications.js';
import { APP_ICON_FILE, TRAY_ICON_FILES, loginCommand, shellPaths } from './paths.js';
import { powerMonitorSource } from './power-monitor-source.js';
import { QuitController, shutdownOptionsForQuit } from './quit.js';
import { TrayController } from './tray-controller.js';
import { toMenuTemplate, type TrayAction, type TrayIconState, type TrayModel } from './tray-model.js';
import {
  DASHBOARD_SCHEME,
  createDashboardProtocolHandler,
  dashboardOrigin,
  installWindowSecurity,
  secureWebPreferences,
  type DashboardOrigin,
} from './window-security.js';

const log = (message: string): void => console.log(`[interceptor] ${message}`);

const paths = shellPaths({
  isPackaged: app.isPackaged,
  appPath: app.getAppPath(),
  resourcesPath: process.resourcesPath,
});
const origin = ((): DashboardOrigin => {
  try {
    return dashboardOrigin({ isPackaged: app.isPackaged, devServerUrl: process.env.INTERCEPTOR_DEV_SERVER_URL });
  } catch (err) {
    log(`INTERCEPTOR_DEV_SERVER_URL ignored: ${err instanceof Error ? err.message : String(err)}`);
    return dashboardOrigin({ isPackaged: true });
  }
})();
const startHidden = process.argv.includes('--hidden'); // e.g. autostart at login: tray only

let engine: Engine | null = null;
let shownOnce = false;
let settings: EngineSettings | null = null;
let win: BrowserWindow | null = null;
let tray: Tray | null = null;
const trayIcons = new Map<TrayIconState, NativeImage>();

const quit = new QuitController({ app, engine: null, getSettings: () => settings, log });

// Our scheme must be privileged before 'ready' (standard + secure: ES modules, fetch, same origin).
protocol.registerSchemesAsPrivileged([{ scheme: DASHBOARD_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

process.on('uncaughtException', (err) => void quit.onFatalError(err));
process.on('unhandledRejection', (err) => void quit.onFatalError(err));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => quit.requestQuit());

if (!app.requestSingleInstanceLock()) {
  // Another Interceptor owns the engine and the apps: it shows its window (second-instance).
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.on('before-quit', (event) => quit.onBeforeQuit(event));
  // Closing the last window keeps Interceptor in the tray.
  app.on('window-all-closed', () => {});
  app.whenReady().then(start, (err: unknown) => void quit.onFatalError(err));
}

function windowAlive(w: BrowserWindow | null): w is BrowserWindow {
  return !!w && !w.isDestroyed() && !w.webContents.isDestroyed();
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Interceptor',
    icon: path.join(paths.assetsDir, APP_ICON_FILE),
    autoHideMenuBar: true,
    backgroundColor: '#111418',
    webPreferences: secureWebPreferences(paths.preload),
  });
  installWindowSecurity({ webContents: w.webContents, session: w.webContents.session, openExternal: (url) => shell.openExternal(url), log });
  w.on('close', (event) => quit.onWindowClose(event, () => w.hide()));
  w.on('closed', () => {
    if (win === w) win = null;
  });
  w.once('ready-to-show', () => {
    if (!startHidden || shownOnce) w.show();
  });
  const reloads: number[] = [];
  w.webContents.on('render-process-gone', (_event, details) => {
    if (quit.quitting || details.reason === 'clean-exit') return;
    const now = Date.now();
    while (reloads.length && now - reloads[0]! > 60_000) reloads.shift();
    if (reloads.length >= 3) {
      log(`dashboard renderer gone (${details.reason}) again; not reloading (use Open dashboard)`);
      w.destroy();
      return;
    }
    reloads.push(now);
    log(`dashboard renderer gone (${details.reason}); reloading`);
    w.webContents.reload();
  });
  void w.loadURL(origin.url);
  return w;
}

function showWindow(): void {
  shownOnce = true;
  if (!windowAlive(win)) win = createWindow();
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function showNotifications(requests: NotificationRequest[]): void {
  if (requests.length === 0 || !Notification.isSupported()) return;
  for (const r of requests) {
    const n = new Notification({ title: r.title, body: r.body, icon: path.join(paths.assetsDir, APP_ICON_FILE), urgency: r.kind === 'crash' ? 'critical' : 'normal' });
    n.on('click', () => showWindow());
    n.show();
  }
}

function dispatch(action: TrayAction): void {
  if (action.type === 'openDashboard') return showWindow();
  if (action.type === 'quit') return quit.requestQuit();
  const current = engine;
  if (!current) return;
  current.invoke(action.command as CommandName, action.args).catch((err: unknown) => {
    log(`tray: ${action.command} failed: ${err instanceof Error ? err.message : String(err)}`);
    if (Notification.isSupported()) new Notification({ title: 'Interceptor', body: err instanceof Error ? err.message : String(err) }).show();
  });
}

function renderTray(model: TrayModel): void {
  if (!tray || tray.isDestroyed()) return;
  const icon = trayIcons.get(model.icon);
  if (icon) tray.setImage(icon);
  tray.setToolTip(model.tooltip);
  // Linux (AppIndicator) needs setContextMenu again for every change.
  tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model.items, dispatch)));
}

async function start(): Promise<void> {
  Menu.setApplicationMenu(null);
  protocol.handle(DASHBOARD_SCHEME, createDashboardProtocolHandler(paths.rendererDir));

  for (const [state, file] of Object.entries(TRAY_ICON_FILES) as Array<[TrayIconState, string]>) {
    trayIcons.set(state, nativeImage.createFromPath(path.join(paths.assetsDir, file)));
  }
  tray = new Tray(trayIcons.get('running')!);
  tray.on('click', () => showWindow());
  const trayController = new TrayController({ render: renderTray });
  trayController.update();

  // The window exists from the start; shown unless --hidden (then the tray opens it).
  win = createWindow();

  try {
    // Idle and power state: Electron's powerMonitor first (to the second, with events), then sysfs and logind.
    const power = systemPowerSource({ extra: [powerMonitorSource(powerMonitor)] });
    // Start at login: an XDG autostart entry that opens the tray only.
    const loginItem = xdgAutostart({
      command: loginCommand({ isPackaged: app.isPackaged, execPath: process.execPath, appPath: app.getAppPath(), appImage: process.env.APPIMAGE }),
      icon: app.isPackaged ? 'interceptor-desktop' : path.join(paths.assetsDir, APP_ICON_FILE),
    });
    engine = await createEngine({ power, loginItem, ...(paths.helperPath ? { helperPath: paths.helperPath } : {}) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    dialog.showErrorBox('Interceptor cannot start', message);
    app.exit(1);
    return;
  }
  const current = engine;
  quit.setEngine(current);
  if (quit.quitting) {
    // Quit was chosen while the engine was starting: apply the quit setting now.
    await current.shutdown(shutdownOptionsForQuit(settings)).catch(() => undefined);
    return;
  }

  registerIpcHandlers({
    ipcMain,
    engine: current,
    isTrustedSender: createSenderCheck({ getWebContentsId: () => (windowAlive(win) ? win.webContents.id : null), origin }),
    log,
  });
  forwardEngineEvents(current, (channel, message) => {
    if (windowAlive(win)) win.webContents.send(channel, message);
  });

  const onState = (state: FullState): void => {
    settings = state.settings;
    trayController.setState(state);
  };
  const notifications = new NotificationPolicy({
    appName: (id) => trayController.currentState?.apps.find((a) => a.definition.id === id)?.definition.name,
  });
  current.on('state', onState);
  current.on('log', (entry) => {
    trayController.observeLog(entry);
    showNotifications(notifications.observeLog(entry));
  });
  current.on('snapshot', (snapshot) => showNotifications(notifications.observeSnapshot(snapshot)));
  onState(await current.invoke('getState', {}));

  app.on('will-quit', () => {
    trayController.dispose();
  });
}
