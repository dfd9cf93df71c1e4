// Shared by the engine's tests: a temp config dir per test, engine creation and cleanup.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventName, EventPayloads } from '../../electron/common/contract.js';
import { createEngine, type Engine, type EngineOptions } from '../../electron/engine/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HELPER = path.join(ROOT, 'native/build/interceptor-helper');

export function tempDir(prefix = 'interceptor-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An engine in a fresh config dir; `t.after` shuts it down and removes the dir. */
export async function testEngine(
  t: { after: (fn: () => unknown) => void },
  options: EngineOptions = {},
): Promise<{ engine: Engine; dir: string }> {
  const { dir, cleanup } = options.configDir ? { dir: options.configDir, cleanup: () => undefined } : tempDir();
  const engine = await createEngine({ autostart: false, ...options, configDir: dir });
  t.after(async () => {
    await engine.shutdown({ leaveRunning: false });
    cleanup();
  });
  return { engine, dir };
}

/** Resolves with the first event payload that satisfies `pred`. */
export function waitFor<E extends EventName>(
  engine: { on: Engine['on'] },
  event: E,
  pred: (p: EventPayloads[E]) => boolean,
  timeoutMs = 10_000,
): Promise<EventPayloads[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const off = engine.on(event, (p) => {
      if (!pred(p)) return;
      clearTimeout(timer);
      off();
      resolve(p);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * The real-process tests need the native helper: without it they fail at once and say how to
 * build it (never skip), as the native suite does.
 */
export function requireHelper(): void {
  if (process.platform !== 'linux') throw new Error(`prerequisite missing: the native helper runs on Linux only (this is ${process.platform})`);
  if (!existsSync(HELPER)) throw new Error(`prerequisite missing: ${HELPER} (build it with \`make -C native\`)`);
}

export const zeroShares = { cpu: 0, netUp: 0, netDown: 0, disk: 0, mem: 0 };

/** The CLI runs from dist/: build the node side (tsc, then the CLI bundle) when dist is missing or older than the sources. */
export async function ensureBuilt(): Promise<void> {
  const { readdirSync, statSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const out = path.join(ROOT, 'dist/electron/engine/cli/main.js');
  const newest = (dir: string): number => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) m = Math.max(m, newest(p));
      else if (e.name.endsWith('.ts')) m = Math.max(m, statSync(p).mtimeMs);
    }
    return m;
  };
  const src = Math.max(newest(path.join(ROOT, 'electron/common')), newest(path.join(ROOT, 'electron/engine')));
  const mtime = (file: string) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const built = mtime(out);
  if (built >= src && mtime(path.join(ROOT, 'dist/electron/engine/cli/main.bundle.mjs')) >= built) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), 'node'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(out)) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}
