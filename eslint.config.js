// Lint for the whole repo, with the layer boundaries of docs/ARCHITECTURE.md as errors:
//   electron/common ← electron/engine ← electron/main, electron/preload;
//   renderer/ imports electron/common's pure modules as they are, and only types from its
//   two schema modules (contract.ts, model.ts), so zod stays out of the dashboard's bundle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ELECTRON = { name: 'electron', message: 'electron/common and electron/engine run under plain Node: never import electron.' };
const LAYERS = 'layers: common ← engine ← main, preload; renderer imports common (its schema modules as types only)';
const upperLayers = (layers) =>
  layers.map((layer) => ({
    group: [`**/${layer}/**`, `**/${layer}`],
    message: `this layer must not import from ${layer} (${LAYERS}).`,
  }));
/** The modules of electron/common that hold zod schemas. */
const SCHEMA_MODULES = ['contract', 'model'];
const schemaModules = (prefix) => SCHEMA_MODULES.flatMap((m) => [`${prefix}${m}`, `${prefix}${m}.js`]);
/** What every file of electron/common obeys: shared with the renderer, so no Node, no upper layer. */
const COMMON_PATTERNS = [...upperLayers(['engine', 'main', 'preload', 'renderer']), { group: ['node:*'], message: 'electron/common is shared with the renderer: no Node built-ins.' }];

/** The boundary rules, exported so test/lint can prove each one fails on a violation. */
export const boundaryRules = [
  {
    files: ['electron/common/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [ELECTRON], patterns: COMMON_PATTERNS }],
    },
  },
  {
    // The pure modules (everything but the schemas): the dashboard imports them as they are.
    files: ['electron/common/**/*.ts'],
    ignores: SCHEMA_MODULES.map((m) => `electron/common/${m}.ts`),
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [ELECTRON, { name: 'zod', message: 'a pure module of electron/common: the dashboard bundles it, so no zod (schemas go in contract.ts or model.ts).' }],
        patterns: [...COMMON_PATTERNS, { group: schemaModules('**/'), allowTypeImports: true, message: 'a pure module of electron/common takes only types from the schema modules (contract.ts, model.ts): the dashboard bundles it.' }],
      }],
    },
  },
  {
    files: ['electron/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [ELECTRON],
        patterns: upperLayers(['main', 'preload', 'renderer']),
      }],
    },
  },
  {
    files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: upperLayers(['renderer']),
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'the renderer talks to the engine only through its bridge.' }],
        patterns: [
          { group: schemaModules('**/electron/common/'), allowTypeImports: true, message: 'the renderer takes only types from the schema modules of electron/common (contract.ts, model.ts: use `import type`), so zod stays out of its bundle; values come from the pure modules (resources, capacity, profiles, errors, rpc, wire, event-text).' },
          { group: ['**/electron/engine/**', '**/electron/main/**', '**/electron/preload/**', '**/electron/engine', '**/electron/main', '**/electron/preload'], message: 'the renderer must not import engine, main or preload code.' },
          { group: ['node:*'], message: 'the renderer runs in a browser: no Node built-ins.' },
        ],
      }],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'native/**', 'test-artifacts/**', 'bench/results/**', 'test/lint/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
  },
  ...boundaryRules,
);
