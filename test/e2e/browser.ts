// What the dashboard's browser tests share: Debian's Chromium (never a downloaded
// browser), the built dashboard, the artifacts folder, polling with a clear failure, and a real
// engine and server with Chromium on its dashboard.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createEngine, type Engine } from '../../electron/engine/index.js';
import { startServer } from '../../electron/engine/server/index.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
/** Screenshots kept after a run (gitignored). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** Fails (does not skip) without Chromium; builds the dashboard when it is missing; makes the artifacts folder. */
export function prepareBrowserTest(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the dashboard's end-to-end tests`);
  if (!existsSync(path.join(ROOT, 'dist/renderer/index.html'))) {
    const built = spawnSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the dashboard failed');
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

/** Polls `read` until `ok` holds; the last value is in the failure message. */
export async function waitFor<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Collects the page's errors and CSP refusals into `problems` (each test file asserts it stays empty). */
export function watchConsole(page: { on(event: 'console', fn: (m: { type(): string; text(): string }) => void): unknown; on(event: 'pageerror', fn: (e: Error) => void): unknown }, problems: string[], prefix = ''): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) problems.push(`${prefix}${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${prefix}pageerror: ${e.message}`));
}

/** Closes what a browser test opened, in order, whatever failed. */
export async function closeAll(parts: Array<{ close(): Promise<unknown> } | { shutdown(): Promise<unknown> } | null | undefined>, dir = ''): Promise<void> {
  for (const p of parts) {
    if (!p) continue;
    await ('close' in p ? p.close() : p.shutdown()).catch(() => {});
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A real engine and server in a temp config dir, prepared by `prepare`, and Chromium on its dashboard. */
export interface DashboardFixture {
  engine: Engine;
  page: Page;
  close(): Promise<void>;
}

export async function openDashboard(prefix: string, viewport: { width: number; height: number }, prepare: (engine: Engine) => Promise<unknown>): Promise<DashboardFixture> {
  prepareBrowserTest();
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const engine = await createEngine({ configDir: dir, autostart: false });
  const server = await startServer(engine, { port: 0 });
  await prepare(engine);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(server.url);
  return {
    engine,
    page,
    async close() {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      await engine.shutdown().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
