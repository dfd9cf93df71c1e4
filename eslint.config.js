// Lint for the whole repo, with the layer boundaries of DESIGN.md as errors:
//   electron/common ← electron/engine ← electron/main, electron/preload;
//   renderer/ imports only types from electron/common.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const ELECTRON = { name: 'electron', message: 'electron/common and electron/engine run under plain Node: never import electron.' };
const upperLayers = (layers) =>
  layers.map((layer) => ({
    group: [`**/${layer}/**`, `**/${layer}`],
    message: `this layer must not import from ${layer} (layers: common ← engine ← main, preload; renderer imports only types from common).`,
  }));

/** The boundary rules, exported so test/lint can prove each one fails on a violation. */
export const boundaryRules = [
  {
    files: ['electron/common/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [ELECTRON],
        patterns: [...upperLayers(['engine', 'main', 'preload', 'renderer']), { group: ['node:*'], message: 'electron/common is shared with the renderer: no Node built-ins.' }],
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
          { group: ['**/electron/common/**', '**/electron/common'], allowTypeImports: true, message: 'the renderer may import only types from electron/common (use `import type`).' },
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
