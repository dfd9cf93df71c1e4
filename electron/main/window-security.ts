// Everything the shell decides about the dashboard window's security, as plain
// functions over electron-like objects (tests pass mocks; main.ts passes the real
// BrowserWindow / session / shell). Imports only types from 'electron'.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Event, HandlerDetails, OnHeadersReceivedListenerDetails, Session, WebContents, WebPreferences } from 'electron';
import { contentTypeFor } from '../common/content-types.js';

/** Strict CSP: nothing inline, nothing remote, no plugins, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The privileged custom scheme the packaged dashboard is served from (never file://). */
export const DASHBOARD_SCHEME = 'interceptor';
export const DASHBOARD_HOST = 'dashboard';
export const DASHBOARD_URL = `${DASHBOARD_SCHEME}://${DASHBOARD_HOST}/index.html`;

/** Where the dashboard comes from: the built files behind our scheme, or a dev server. */
export type DashboardOrigin = { kind: 'bundled'; url: string } | { kind: 'devServer'; url: string };

export function dashboardOrigin(options: { isPackaged: boolean; devServerUrl?: string | undefined }): DashboardOrigin {
  const dev = options.devServerUrl;
  if (!options.isPackaged && dev) {
    const parsed = safeUrl(dev);
    // A dev server is only trusted on loopback over http(s).
    if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.hostname)) {
      return { kind: 'devServer', url: parsed.href };
    }
    throw new Error(`dev server URL must be http(s) on loopback, got "${dev}"`);
  }
  return { kind: 'bundled', url: DASHBOARD_URL };
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

function safeUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** True when `url` is a page of our dashboard (same origin as the dashboard origin). */
export function isDashboardUrl(url: string | null | undefined, origin: DashboardOrigin): boolean {
  if (!url) return false;
  const parsed = safeUrl(url);
  const expected = safeUrl(origin.url);
  if (!parsed || !expected) return false;
  if (origin.kind === 'bundled') {
    return parsed.protocol === expected.protocol && parsed.host === expected.host;
  }
  return parsed.origin === expected.origin;
}

/** Only http(s) links leave the app, and only to the system browser. */
export function isExternalUrlAllowed(url: string): boolean {
  const parsed = safeUrl(url);
  return !!parsed && (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.hostname !== '';
}

/** The webPreferences every Interceptor window is created with. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

/** Response headers with our CSP forced in (any CSP the server sent is replaced). */
export function withCspHeader(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}

export interface WindowSecurityDeps {
  webContents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>;
  session: { webRequest: Pick<Session['webRequest'], 'onHeadersReceived'> } & Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;
  openExternal: (url: string) => Promise<void>;
  log?: (message: string) => void;
}

/**
 * Installs the navigation, new-window, permission and CSP rules on a window:
 * - every navigation away from the loaded page is prevented (the dashboard is a single page);
 * - window.open / target=_blank never create a window; http(s) go to the system browser;
 * - <webview> cannot be attached; every permission request is denied;
 * - every response carries the strict CSP header.
 */
export function installWindowSecurity(deps: WindowSecurityDeps): void {
  const log = deps.log ?? (() => {});
  const { webContents, session } = deps;

  const openOutside = (url: string): void => {
    if (isExternalUrlAllowed(url)) {
      deps.openExternal(url).catch((err: unknown) => log(`cannot open ${url}: ${String(err)}`));
    } else {
      log(`blocked link to ${url}`);
    }
  };

  webContents.on('will-navigate', (event: Event, url: string) => {
    event.preventDefault();
    openOutside(url);
  });
  webContents.on('will-redirect', (event: Event, url: string) => {
    event.preventDefault();
    log(`blocked redirect to ${url}`);
  });
  webContents.on('will-attach-webview', (event: Event) => {
    event.preventDefault();
  });
  webContents.setWindowOpenHandler((details: HandlerDetails) => {
    openOutside(details.url);
    return { action: 'deny' };
  });

  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details: OnHeadersReceivedListenerDetails, callback) => {
    callback({ responseHeaders: withCspHeader(details.responseHeaders) });
  });
}


/**
 * The handler of our `interceptor://dashboard/...` scheme (protocol.handle): serves files
 * of the built dashboard only, never outside its root, always with the CSP header.
 */
export function createDashboardProtocolHandler(rootDir: string, read: (file: string) => Promise<Buffer> = readFile) {
  const root = path.resolve(rootDir);
  return async (request: { url: string; method?: string }): Promise<Response> => {
    const headers = (type: string) => ({ 'Content-Type': type, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' });
    const url = safeUrl(request.url);
    if (!url || url.protocol !== `${DASHBOARD_SCHEME}:` || url.host !== DASHBOARD_HOST) {
      return new Response('not found', { status: 404, headers: headers('text/plain') });
    }
    if (request.method && request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('method not allowed', { status: 405, headers: headers('text/plain') });
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return new Response('bad request', { status: 400, headers: headers('text/plain') });
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(root, '.' + rel);
    if (rel.includes('\0') || (file !== root && !file.startsWith(root + path.sep))) {
      return new Response('forbidden', { status: 403, headers: headers('text/plain') });
    }
    try {
      const body = await read(file);
      const type = contentTypeFor(path.extname(file));
      return new Response(new Uint8Array(body), { status: 200, headers: headers(type) });
    } catch {
      return new Response('not found', { status: 404, headers: headers('text/plain') });
    }
  };
}
