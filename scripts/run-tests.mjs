#!/usr/bin/env node
// Runs every test suite (TypeScript unit, lint rules, native helper on real
// processes, engine on real processes, browser end-to-end) with node's test runner
// and prints one closing line: "N passed, N failed".
// Usage: node scripts/run-tests.mjs [path-filter...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filters = process.argv.slice(2);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(full).isDirectory()) found.push(...findTests(full));
    else if (/\.test\.tsx?$/.test(name)) found.push(full);
  }
  return found;
}

// Order: fast pure suites first, real-process and browser suites last.
const ORDER = ['test/common', 'test/lint', 'test/engine/policies', 'test/renderer', 'test/main', 'test/native', 'test/engine', 'test/e2e'];
const rank = (file) => {
  const rel = path.relative(root, file);
  const i = ORDER.findIndex((prefix) => rel.startsWith(prefix + '/'));
  return i < 0 ? ORDER.length : i;
};
const files = findTests(path.join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

if (files.length === 0) {
  console.error('no test files matched');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const countsFile = path.join(mkdtempSync(path.join(tmpdir(), 'interceptor-tests-')), 'counts.json');
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    '--test-concurrency=1', // real-process suites measure CPU shares: never run them side by side
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=' + path.join(root, 'scripts/count-reporter.mjs'), '--test-reporter-destination=' + countsFile,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, INTERCEPTOR_TEST: '1' } },
);

let counts = { passed: 0, failed: 0, skipped: 0 };
try {
  counts = JSON.parse(readFileSync(countsFile, 'utf8'));
} catch {
  counts.failed = 1; // the runner itself died before reporting
}
if (result.status !== 0 && counts.failed === 0) counts.failed = 1;
const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`);
process.exit(counts.failed > 0 ? 1 : 0);
