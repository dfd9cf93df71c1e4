// Proves each layer boundary rule of eslint.config.js fails on a deliberate
// violation (and passes the allowed form), linting in-memory sources under the
// paths they would have in the tree: among them, that the dashboard imports the pure
// modules of electron/common as they are and only types from its zod schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function restrictedImportErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  assert.ok(result, 'eslint returned no result');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `parse error in fixture for ${file}`);
  return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

const violations: [string, string, string][] = [
  ['engine imports electron', 'electron/engine/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
  ['engine imports main', 'electron/engine/x.ts', "import { a } from '../main/main.js';\nexport const b = a;\n"],
  ['engine imports preload', 'electron/engine/x.ts', "import { a } from '../preload/preload.js';\nexport const b = a;\n"],
  ['engine imports renderer', 'electron/engine/x.ts', "import { a } from '../../renderer/src/main.js';\nexport const b = a;\n"],
  ['common imports electron', 'electron/common/x.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n"],
  ['common imports engine', 'electron/common/x.ts', "import { a } from '../engine/index.js';\nexport const b = a;\n"],
  ['common imports main', 'electron/common/x.ts', "import { a } from '../main/main.js';\nexport const b = a;\n"],
  ['common imports node built-ins', 'electron/common/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n"],
  ['main imports renderer', 'electron/main/x.ts', "import { a } from '../../renderer/src/main.js';\nexport const b = a;\n"],
  ['renderer imports a value from the contract (zod schemas)', 'renderer/src/x.ts', "import { parseCommandArgs } from '../../electron/common/contract.js';\nexport const a = parseCommandArgs;\n"],
  ['renderer imports a value from the model (zod schemas)', 'renderer/src/x.ts', "import { OwnerLimitsSchema } from '../../electron/common/model.js';\nexport const a = OwnerLimitsSchema;\n"],
  ['a pure module of common imports zod', 'electron/common/x.ts', "import { z } from 'zod';\nexport const a = z.string();\n"],
  ['a pure module of common imports a value from the model', 'electron/common/x.ts', "import { OwnerLimitsSchema } from './model.js';\nexport const a = OwnerLimitsSchema;\n"],
  ['a pure module of common imports a value from the contract', 'electron/common/x.ts', "import { parseCommandArgs } from './contract.js';\nexport const a = parseCommandArgs;\n"],
  ['renderer imports engine', 'renderer/src/x.ts', "import type { Engine } from '../../electron/engine/index.js';\nexport type A = Engine;\n"],
  ['renderer imports main', 'renderer/src/x.ts', "import { a } from '../../electron/main/main.js';\nexport const b = a;\n"],
  ['renderer imports preload', 'renderer/src/x.ts', "import { a } from '../../electron/preload/preload.js';\nexport const b = a;\n"],
  ['renderer imports electron', 'renderer/src/x.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n"],
];

for (const [name, file, code] of violations) {
  test(`boundary rule fails when ${name}`, async () => {
    const errors = await restrictedImportErrors(file, code);
    assert.equal(errors.length, 1, `expected one boundary error for ${file}, got: ${JSON.stringify(errors)}`);
  });
}

const allowed: [string, string, string][] = [
  ['renderer imports types from common', 'renderer/src/x.ts', "import type { Snapshot } from '../../electron/common/model.js';\nexport type A = Snapshot;\n"],
  [
    'renderer imports values from the pure modules of common',
    'renderer/src/x.ts',
    "import { parseResourceValue } from '../../electron/common/resources.js';\nimport { capacityLimit } from '../../electron/common/capacity.js';\n" +
      "import { PROFILE_LABELS } from '../../electron/common/profiles.js';\nimport { CommandError } from '../../electron/common/errors.js';\n" +
      "import { ContractClient } from '../../electron/common/wire.js';\nimport { limitHitText } from '../../electron/common/event-text.js';\n" +
      'export const a = [parseResourceValue, capacityLimit, PROFILE_LABELS, CommandError, ContractClient, limitHitText];\n',
  ],
  ['a pure module of common imports types from the model', 'electron/common/x.ts', "import type { Capacity } from './model.js';\nexport type A = Capacity;\n"],
  ['the schema modules import zod and the pure modules', 'electron/common/model.ts', "import { z } from 'zod';\nimport { PROFILE_NAMES } from './profiles.js';\nexport const a = z.enum(PROFILE_NAMES);\n"],
  ['engine imports common', 'electron/engine/x.ts', "import { parseCommandArgs } from '../common/contract.js';\nexport const a = parseCommandArgs;\n"],
  ['main imports engine and electron', 'electron/main/x.ts', "import { app } from 'electron';\nimport { a } from '../engine/index.js';\nexport const b = [app, a];\n"],
];

for (const [name, file, code] of allowed) {
  test(`boundary rules allow: ${name}`, async () => {
    assert.deepEqual(await restrictedImportErrors(file, code), []);
  });
}
