// The whole tree passes lint (including the layer boundaries): part of the one test command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

test('eslint reports no errors on the repository', { timeout: 240_000 }, async () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const eslint = new ESLint({ cwd: root });
  const results = await eslint.lintFiles(['.']);
  const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(root, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}`));
  assert.ok(results.length > 5, 'eslint linted almost nothing: is the config broken?');
  assert.deepEqual(errors, []);
});
