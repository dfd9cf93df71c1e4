#!/usr/bin/env node
// Runs every test suite (TypeScript unit, lint rules, native helper on real
// processes, engine on real processes, browser end-to-end) with node's test runner
// and prints one closing line: "N passed, N failed".
// Usage: node scripts/run-tests.mjs [path-filter...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killMarkedSync } from './marked-processes.mjs';

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

// The native suite runs once more against each sanitizer build of the helper
// (native/Makefile `sanitizers`; the harness fails a test on any report).
const runs = [{ label: '', files, env: {}, timeoutMs: undefined }];
const nativeFiles = files.filter((f) => path.relative(root, f).startsWith('test/native/'));
if (process.platform === 'linux' && nativeFiles.length > 0) {
  for (const san of ['asan', 'tsan']) {
    const helper = path.join(root, 'native', `build-${san}`, 'interceptor-helper');
    // (time limit: a helper halted by a report can leave a failed test's servers
    // open, and the file would never end; the run takes about a minute)
    runs.push({ label: `native suite, ${san} helper`, files: nativeFiles, env: { INTERCEPTOR_HELPER: helper }, timeoutMs: 5 * 60 * 1000 });
  }
}

/**
 * Kills what a run left running: every process whose environment carries the run's mark (its test
 * files' processes, their helpers and apps), and says how many. A runner killed at the time limit
 * leaves its test files' processes behind; a test that leaks a process shows here too.
 */
const RUN_MARK = 'INTERCEPTOR_TEST_RUN';
function killLeftovers(markValue, label) {
  if (process.platform !== 'linux') return;
  const killed = killMarkedSync(RUN_MARK, markValue);
  if (killed > 0) console.log(`# ${label || 'test run'}: killed ${killed} process(es) it left running`);
}

const counts = { passed: 0, failed: 0, skipped: 0 };
for (const [index, run] of runs.entries()) {
  const markValue = `${process.pid}-${index}`;
  if (run.label) console.log(`\n# ${run.label}`);
  const countsFile = path.join(mkdtempSync(path.join(tmpdir(), 'interceptor-tests-')), 'counts.json');
  const result = spawnSync(
    process.execPath,
    [
      '--import', 'tsx',
      '--test',
      '--test-concurrency=1', // real-process suites measure CPU shares: never run them side by side
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=' + path.join(root, 'scripts/count-reporter.mjs'), '--test-reporter-destination=' + countsFile,
      ...run.files,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, INTERCEPTOR_TEST: '1', [RUN_MARK]: markValue, ...run.env }, timeout: run.timeoutMs, killSignal: 'SIGKILL' },
  );
  killLeftovers(markValue, run.label);
  let got = { passed: 0, failed: 0, skipped: 0 };
  try {
    got = JSON.parse(readFileSync(countsFile, 'utf8'));
  } catch {
    got.failed = 1; // the runner itself died before reporting
  }
  if (result.status !== 0 && got.failed === 0) got.failed = 1;
  if (result.signal) console.log(`# ${run.label || 'test run'} ended by ${result.signal} (time limit)`);
  counts.passed += got.passed;
  counts.failed += got.failed;
  counts.skipped += got.skipped ?? 0;
}
const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
console.log(`${counts.passed} passed, ${counts.failed} failed${skipped}`);
process.exit(counts.failed > 0 ? 1 : 0);
