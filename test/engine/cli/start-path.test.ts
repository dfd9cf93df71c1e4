// What `interceptor run` loads before it launches an app with no cap (cli/run.ts launchUncapped):
// the CLI bundle's static imports from main.bundle.mjs and from the run command's chunk. The
// contract's zod schemas took 25-34 ms to load there; they load with the engine, after the launch.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ROOT, ensureBuilt } from '../helpers.js';

const CLI = path.join(ROOT, 'dist/electron/engine/cli');
const read = (file: string) => readFileSync(path.join(CLI, file), 'utf8');
const staticImports = (code: string) => [...code.matchAll(/^import\s*(?:[^;]*?\sfrom\s*)?"\.\/([^"]+)"/gm)].map((m) => m[1]!);
const dynamicImports = (code: string) => [...code.matchAll(/\bimport\("\.\/([^"]+)"\)/g)].map((m) => m[1]!);

/** The files loaded with `entry`, itself included. */
function loadedWith(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const next of staticImports(read(entry))) loadedWith(next, seen);
  return seen;
}

before(ensureBuilt);

test('interceptor run reaches the launch of an app with no cap without loading zod; the engine loads it after', () => {
  const runChunk = readdirSync(CLI).find((f) => /^run\.bundle-\w+\.mjs$/.test(f));
  assert.ok(runChunk, 'the CLI bundle has a chunk for `run`');
  const beforeLaunch = loadedWith(runChunk, loadedWith('main.bundle.mjs'));
  const code = [...beforeLaunch].map(read);
  assert.ok(code.some((c) => c.includes('async function launchUncapped(')), 'the launch is among them');
  const withZod = [...beforeLaunch].filter((f) => read(f).includes('ZodError'));
  assert.deepEqual(withZod, [], 'files with zod loaded before the launch');
  // (and the engine, imported after it, does bring zod: the check above looks at the right thing)
  const later = new Set<string>();
  for (const c of code) for (const d of dynamicImports(c)) loadedWith(d, later);
  assert.ok([...later].some((f) => read(f).includes('ZodError')));
});
