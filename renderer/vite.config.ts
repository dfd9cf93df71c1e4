// The dashboard's build: renderer/ → dist/renderer, relative asset paths so the same
// files load from file:// in Electron and from `interceptor serve`. Nothing inline:
// the CSP (script-src 'self'; style-src 'self') forbids inline scripts and styles.
import { defineConfig } from 'vite';

// No Node built-ins here (lint: renderer/ is browser code); file URLs are enough on Linux, macOS and Windows alike.
const dir = (relative: string) => decodeURIComponent(new URL(relative, import.meta.url).pathname).replace(/^\/([A-Za-z]:)/, '$1');
const root = dir('.');

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: dir('../dist/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
});
