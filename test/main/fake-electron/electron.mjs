// A stand-in for the parts of Electron's main-process API that electron/main/main.ts
// uses, recording what the shell does with them. Plain JS: the real types are checked
// by the typecheck test against node_modules/electron/electron.d.ts.
import { EventEmitter } from 'node:events';

export const record = [];
const note = (...entry) => record.push(entry);
const preventable = () => ({ defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } });

// As in Electron, 'ready' comes after the main module has run: here, just after the
// first whenReady() call.
let readyResolve;
let isReady = false;
const ready = new Promise((r) => (readyResolve = r)).then(() => { isReady = true; });

class FakeApp extends EventEmitter {
  isPackaged = false;
  exitCode = null;
  finished = false;
  getAppPath() { return process.env.FAKE_APP_PATH; }
  requestSingleInstanceLock() { return process.env.FAKE_LOCK !== 'taken'; }
  whenReady() { setImmediate(() => readyResolve()); return ready; }
  quit() {
    note('app.quit');
    const e = preventable();
    this.emit('before-quit', e);
    if (e.defaultPrevented) return;
    for (const w of windows) w.close();
    this.emit('will-quit', preventable());
    this.finished = true;
    note('app.finished');
  }
  exit(code) { note('app.exit', code); this.exitCode = code; this.finished = true; }
}
export const app = new FakeApp();

export const windows = [];
let nextId = 1;
class FakeWebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextId++;
    this.sent = [];
    this.openHandler = null;
    this.session = {
      headersListener: null,
      permissionRequest: null,
      permissionCheck: null,
      webRequest: { onHeadersReceived: (fn) => (this.session.headersListener = fn) },
      setPermissionRequestHandler: (fn) => (this.session.permissionRequest = fn),
      setPermissionCheckHandler: (fn) => (this.session.permissionCheck = fn),
    };
    this.mainFrame = { url: '', parent: null };
  }
  setWindowOpenHandler(fn) { this.openHandler = fn; }
  send(channel, message) { this.sent.push([channel, message]); }
  isDestroyed() { return false; }
  reload() { note('webContents.reload'); }
}
export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new FakeWebContents();
    this.visible = false;
    this.destroyed = false;
    this.url = null;
    windows.push(this);
    note('BrowserWindow', options);
  }
  loadURL(url) { this.url = url; this.webContents.mainFrame.url = url; setImmediate(() => this.emit('ready-to-show')); return Promise.resolve(); }
  show() { this.visible = true; }
  hide() { this.visible = false; }
  focus() {}
  isMinimized() { return false; }
  restore() {}
  isDestroyed() { return this.destroyed; }
  close() {
    const e = preventable();
    this.emit('close', e);
    if (!e.defaultPrevented) { this.destroyed = true; this.emit('closed'); }
    return !e.defaultPrevented;
  }
}

export const Menu = {
  applicationMenu: undefined,
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (m) => { Menu.applicationMenu = m; },
};

export const trays = [];
export class Tray extends EventEmitter {
  constructor(image) { super(); this.image = image; this.tooltip = ''; this.menu = null; this.renders = 0; trays.push(this); }
  setImage(image) { this.image = image; }
  setToolTip(t) { this.tooltip = t; }
  setContextMenu(menu) { this.menu = menu; this.renders += 1; }
  isDestroyed() { return false; }
}

export const notifications = [];
export class Notification extends EventEmitter {
  static isSupported() { return true; }
  constructor(options) { super(); this.options = options; }
  show() { notifications.push(this.options); }
}

export const nativeImage = { createFromPath: (p) => ({ path: p }) };

class FakePowerMonitor extends EventEmitter {
  onBattery = false;
  idle = 0;
  isOnBatteryPower() { return this.onBattery; }
  getSystemIdleTime() { return this.idle; }
}
export const powerMonitor = new FakePowerMonitor();

export const protocol = {
  privileged: null,
  handlers: new Map(),
  registeredBeforeReady: null,
  registerSchemesAsPrivileged(schemes) { this.registeredBeforeReady = !isReady; this.privileged = schemes; },
  handle(scheme, fn) { if (!isReady) throw new Error('protocol.handle before ready'); this.handlers.set(scheme, fn); },
};

export const ipcMain = {
  handlers: new Map(),
  handle(channel, fn) { this.handlers.set(channel, fn); },
  removeHandler(channel) { this.handlers.delete(channel); },
};

export const dialog = { showErrorBox: (title, body) => note('showErrorBox', title, body) };
export const shell = { opened: [], openExternal(url) { this.opened.push(url); return Promise.resolve(); } };

export default { app, BrowserWindow, Menu, Tray, Notification, nativeImage, powerMonitor, protocol, ipcMain, dialog, shell };
