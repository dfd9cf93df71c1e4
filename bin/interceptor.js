#!/usr/bin/env node
// The `interceptor` command: runs the compiled CLI from dist/ (built by `npm run build`).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const modules = new URL('../dist/electron/engine/cli/main.js', import.meta.url);
const bundle = new URL('../dist/electron/engine/cli/main.bundle.mjs', import.meta.url);
const mtime = (url) => statSync(fileURLToPath(url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
// The bundle (npm run build) starts an app ~105 ms sooner (bench/cli-start.ts); a tsc run after it rewrites main.js, and then
// the bundle is stale: run the modules.
const entry = mtime(bundle) >= mtime(modules) ? bundle : modules;
if (mtime(modules) < 0) {
  process.stderr.write('interceptor: the CLI is not built: run `npm run build` (or `npx tsc -p tsconfig.node.json`) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// flush what is pending on stdout/stderr, then exit even if a handle lingers
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
