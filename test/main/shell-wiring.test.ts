// electron/main/main.ts itself, run under Node against a recording fake of Electron's
// main-process API (test/main/fake-electron) and the real engine in a temp config dir.
// The real Electron binary cannot be downloaded here; this is the closest run of the
// wiring: window options, IPC registration and sender checks, tray menu actions,
// power-driven profiles, hide-on-close, second instance, quit and crash paths.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { COMMAND_NAMES } from '../../electron/common/contract.js';
import { CONTENT_SECURITY_POLICY } from '../../electron/main/window-security.js';

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempConfig = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'interceptor-shell-'));
  dirs.push(d);
  return d;
};

type Report = Record<string, unknown> & { error?: string };

function runShell(scenario: string, configHome: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; report: Report; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './test/main/fake-electron/register.mjs', 'test/main/fake-electron/drive.mjs'],
      { cwd: root, env: { ...process.env, XDG_CONFIG_HOME: configHome, FAKE_APP_PATH: root, FAKE_SCENARIO: scenario, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = output.split('\n').find((l) => l.startsWith('REPORT '));
      if (!line) return reject(new Error(`no report (exit ${code}):\n${output}`));
      resolve({ code, report: JSON.parse(line.slice(7)) as Report, output });
    });
  });
}

describe('main.ts wiring (fake Electron, real engine)', () => {
  it('window, IPC, tray, profiles, hide on close, second instance, quit', { timeout: 90_000 }, async () => {
    const { code, report, output } = await runShell('main', tempConfig());
    assert.equal(report.error, undefined, `${report.error}\n${output}`);
    assert.equal(code, 0);
    assert.equal(report.privilegedBeforeReady, true);
    assert.deepEqual(report.privileged, [{ scheme: 'interceptor', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    assert.equal(report.applicationMenu, null);
    assert.deepEqual(report.protocolSchemes, ['interceptor']);
    assert.deepEqual(report.handlers, COMMAND_NAMES.map((n) => `interceptor:${n}`).sort());
    const prefs = report.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.preload, path.join(root, 'dist/electron/preload/preload.cjs'));
    assert.equal(report.loadedUrl, 'interceptor://dashboard/index.html');
    assert.equal(report.shownAtStart, true);
    assert.deepEqual(report.securityInstalled, { willNavigate: 1, openHandler: 'function', headers: 'function', permissions: 'function' });
    assert.deepEqual(report.windowOpen, { action: 'deny' });
    assert.deepEqual(report.openedExternally, ['https://example.org/']);
    assert.deepEqual(report.ipcTrusted, { ok: true, profile: 'inUse' });
    assert.equal((report.ipcForeign as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal((report.ipcInvalid as { error: { code: string } }).error.code, 'invalid');
    assert.equal(report.trayImageBefore, 'tray-running.png');
    const paused = report.trayAfterPause as { image: string; tooltip: string; resumeEnabled: boolean };
    assert.equal(paused.image, 'tray-paused.png');
    assert.match(paused.tooltip, /Paused until/);
    assert.equal(paused.resumeEnabled, true);
    assert.ok((report.eventsSent as string[]).includes('interceptor:event:state'));
    assert.equal(report.profileOnBattery, 'battery');
    assert.equal(report.profileIdle, 'idle');
    assert.equal(report.profileByHand, 'battery', 'a pick in the tray holds against the powerMonitor');
    assert.equal(report.profileAutoAgain, 'inUse', 'automatic again: the powerMonitor decides');
    assert.equal(report.closeHidden, true);
    assert.equal(report.secondInstanceShows, true);
    const dashboard = report.dashboard as { status: number; csp: string };
    assert.equal(dashboard.csp, CONTENT_SECURITY_POLICY);
    assert.equal(dashboard.status, existsSync(path.join(root, 'dist/renderer/index.html')) ? 200 : 404);
    assert.deepEqual(report.quitRecord, ['app.quit', 'app.quit', 'app.finished'], 'quit held once for the engine, then finished');
    assert.match(output, /quit: stopping apps/);
    assert.equal(report.windowDestroyedOnQuit, true);
  });

  it('a pause from the tray is still shown after the shell restarts', { timeout: 90_000 }, async () => {
    const config = tempConfig();
    const first = await runShell('restartPaused', config);
    assert.equal(first.report.error, undefined, `${first.report.error}\n${first.output}`);
    assert.equal(first.report.trayImage, 'tray-running.png');
    const second = await runShell('crash', config); // starts, reads the state, then crashes
    assert.equal(second.report.error, undefined, `${second.report.error}\n${second.output}`);
    assert.equal(second.report.trayImage, 'tray-paused.png');
    assert.match(String(second.report.status), /^Paused until /);
  });

  it('a crash of the main process releases the apps per onEngineLoss and exits 1', { timeout: 90_000 }, async () => {
    const { report, output } = await runShell('crash', tempConfig());
    assert.equal(report.error, undefined, `${report.error}\n${output}`);
    assert.deepEqual(report.record, ['app.exit(1)']);
    assert.match(output, /fatal: Error: simulated bug/);
    assert.match(output, /crash: stopping apps/); // default onEngineLoss = terminate
  });

  it('a second instance quits at once and leaves the first alone', { timeout: 60_000 }, async () => {
    const { report, output } = await runShell('lockTaken', tempConfig(), { FAKE_LOCK: 'taken' });
    assert.equal(report.error, undefined, `${report.error}\n${output}`);
    assert.deepEqual(report, { windows: 0, trays: 0, handlers: 0, record: ['app.quit', 'app.finished'] });
  });
});
