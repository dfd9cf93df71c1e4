#!/usr/bin/env node
// The `interceptor` command: runs the compiled CLI from dist/ (built by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/electron/engine/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('interceptor: the CLI is not built: run `npm run build` (or `npx tsc -p tsconfig.node.json`) first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// flush what is pending on stdout/stderr, then exit even if a handle lingers
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
