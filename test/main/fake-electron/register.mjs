// Node module hook: `import ... from 'electron'` resolves to the fake in this directory.
// Used only by shell-wiring.test.ts's child process (node --import tsx --import this).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
