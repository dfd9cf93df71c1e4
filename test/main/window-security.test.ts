import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CONTENT_SECURITY_POLICY,
  DASHBOARD_URL,
  createDashboardProtocolHandler,
  dashboardOrigin,
  installWindowSecurity,
  isDashboardUrl,
  isExternalUrlAllowed,
  secureWebPreferences,
  withCspHeader,
  type WindowSecurityDeps,
} from '../../electron/main/window-security.js';

describe('window security', () => {
  it('creates windows isolated, sandboxed, without node', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.preload, '/app/preload.cjs');
  });

  it('has a strict CSP without unsafe-inline or unsafe-eval', () => {
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(CONTENT_SECURITY_POLICY.includes(directive), directive);
    }
    const headers = withCspHeader({ 'content-security-policy': ["script-src *"], 'X-Other': ['1'] });
    assert.deepEqual(headers['Content-Security-Policy'], [CONTENT_SECURITY_POLICY]);
    assert.equal(headers['content-security-policy'], undefined);
    assert.deepEqual(headers['X-Other'], ['1']);
  });

  it('opens only http(s) links outside', () => {
    assert.equal(isExternalUrlAllowed('https://example.org/x'), true);
    assert.equal(isExternalUrlAllowed('http://example.org'), true);
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'interceptor://dashboard/', 'not a url', 'ms-settings:x', 'data:text/html,x']) {
      assert.equal(isExternalUrlAllowed(bad), false, bad);
    }
  });

  it('recognises dashboard URLs only', () => {
    const bundled = dashboardOrigin({ isPackaged: true, devServerUrl: 'http://localhost:5173' });
    assert.equal(bundled.kind, 'bundled'); // packaged apps never trust a dev server
    assert.equal(isDashboardUrl(DASHBOARD_URL, bundled), true);
    assert.equal(isDashboardUrl('interceptor://dashboard/index.html#/apps', bundled), true);
    assert.equal(isDashboardUrl('interceptor://evil/index.html', bundled), false);
    assert.equal(isDashboardUrl('file:///index.html', bundled), false);
    assert.equal(isDashboardUrl('https://example.org/', bundled), false);
    assert.equal(isDashboardUrl(null, bundled), false);
    const dev = dashboardOrigin({ isPackaged: false, devServerUrl: 'http://localhost:5173/' });
    assert.equal(dev.kind, 'devServer');
    assert.equal(isDashboardUrl('http://localhost:5173/index.html', dev), true);
    assert.equal(isDashboardUrl('http://localhost:5174/', dev), false);
    assert.throws(() => dashboardOrigin({ isPackaged: false, devServerUrl: 'http://example.org:5173' }), /loopback/);
    assert.throws(() => dashboardOrigin({ isPackaged: false, devServerUrl: 'file:///x' }), /loopback/);
  });

  it('denies navigation, new windows, webviews and permissions; forces the CSP header', async () => {
    const listeners = new Map<string, (...args: unknown[]) => void>();
    let openHandler: ((d: { url: string }) => { action: string }) | null = null;
    let permissionHandler: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    let permissionCheck: (() => boolean) | null = null;
    let headersListener: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void) | null = null;
    const opened: string[] = [];
    const deps = {
      webContents: {
        on: (event: string, fn: (...args: unknown[]) => void) => listeners.set(event, fn),
        setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
      },
      session: {
        webRequest: { onHeadersReceived: (fn: typeof headersListener) => (headersListener = fn) },
        setPermissionRequestHandler: (fn: typeof permissionHandler) => (permissionHandler = fn),
        setPermissionCheckHandler: (fn: typeof permissionCheck) => (permissionCheck = fn),
      },
      openExternal: async (url: string) => void opened.push(url),
    } as unknown as WindowSecurityDeps;
    installWindowSecurity(deps);

    const nav = { prevented: false, preventDefault() { this.prevented = true; } };
    listeners.get('will-navigate')!(nav, 'https://example.org/page');
    assert.equal(nav.prevented, true);
    const nav2 = { prevented: false, preventDefault() { this.prevented = true; } };
    listeners.get('will-navigate')!(nav2, 'file:///etc/passwd');
    assert.equal(nav2.prevented, true);
    const redirect = { prevented: false, preventDefault() { this.prevented = true; } };
    listeners.get('will-redirect')!(redirect, 'https://example.org');
    assert.equal(redirect.prevented, true);
    const webview = { prevented: false, preventDefault() { this.prevented = true; } };
    listeners.get('will-attach-webview')!(webview);
    assert.equal(webview.prevented, true);

    assert.deepEqual(openHandler!({ url: 'https://example.org/docs' }), { action: 'deny' });
    assert.deepEqual(openHandler!({ url: 'javascript:alert(1)' }), { action: 'deny' });
    assert.deepEqual(openHandler!({ url: 'file:///bin/sh' }), { action: 'deny' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(opened, ['https://example.org/page', 'https://example.org/docs']);

    let granted: boolean | null = null;
    permissionHandler!(null, 'media', (ok) => (granted = ok));
    assert.equal(granted, false);
    assert.equal(permissionCheck!(), false);

    let headers: Record<string, string[]> | undefined;
    headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (headers = r.responseHeaders));
    assert.deepEqual(headers!['Content-Security-Policy'], [CONTENT_SECURITY_POLICY]);
  });

  describe('dashboard protocol', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'interceptor-dash-'));
    const root = path.join(base, 'dist');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><script type="module" src="./assets/a.js"></script>');
    writeFileSync(path.join(root, 'assets', 'a.js'), 'console.log(1)');
    writeFileSync(path.join(base, 'interceptor-secret.txt'), 'secret');
    after(() => rmSync(base, { recursive: true, force: true }));
    const handle = createDashboardProtocolHandler(root);

    it('serves the built files with the CSP header', async () => {
      const res = await handle({ url: 'interceptor://dashboard/index.html' });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /text\/html/);
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.match(await res.text(), /doctype/);
      const js = await handle({ url: 'interceptor://dashboard/assets/a.js' });
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type')!, /javascript/);
      assert.equal((await handle({ url: 'interceptor://dashboard/' })).status, 200);
    });

    it('never serves outside its root or other hosts', async () => {
      for (const url of [
        'interceptor://dashboard/../interceptor-secret.txt',
        'interceptor://dashboard/%2e%2e/interceptor-secret.txt',
        'interceptor://dashboard/assets/..%2f..%2finterceptor-secret.txt',
        'interceptor://dashboard/%00',
      ]) {
        const res = await handle({ url });
        assert.ok(res.status === 403 || res.status === 404, `${url} → ${res.status}`);
        assert.doesNotMatch(await res.text(), /secret/);
      }
      assert.equal((await handle({ url: 'interceptor://other/index.html' })).status, 404);
      assert.equal((await handle({ url: 'interceptor://dashboard/missing.js' })).status, 404);
      assert.equal((await handle({ url: 'interceptor://dashboard/index.html', method: 'POST' })).status, 405);
    });
  });
});
