import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ResolvedForgeConfig } from '@electron-forge/shared-types';
import { HELPER_NAME, shellPaths } from '../../electron/main/paths.js';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

describe('packaging', () => {
  it('forge.config.ts loads through Forge itself: helper as an extra resource outside the asar, build before start/package', async () => {
    const loadForgeConfig = (require('@electron-forge/core/dist/util/forge-config.js') as { default: (dir: string) => Promise<ResolvedForgeConfig> }).default;
    const config = await loadForgeConfig(root);
    const packager = config.packagerConfig;
    assert.deepEqual(packager.extraResource, ['native/build/interceptor-helper']);
    assert.equal(path.basename((packager.extraResource as string[])[0]!), HELPER_NAME);
    assert.ok(packager.asar, 'app packed in an asar');
    assert.equal(typeof config.hooks?.generateAssets, 'function');
    const ignore = packager.ignore as (file: string) => boolean;
    for (const kept of ['/dist', '/dist/electron/main/main.js', '/dist/electron/preload/preload.cjs', '/dist/renderer/index.html', '/assets/tray-running.png', '/package.json', '/node_modules/ws/index.js']) {
      assert.equal(ignore(kept), false, kept);
    }
    for (const dropped of ['/electron/main/main.ts', '/native/build/interceptor-helper', '/native/src/main.c', '/test/main/x.test.ts', '/forge.config.ts', '/distfoo', '/package.json.bak']) {
      assert.equal(ignore(dropped), true, dropped);
    }
  });

  it('electron-builder.yml passes electron-builder\'s own schema: AppImage + deb, helper in extraResources only', async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig: (dir: string, p: string | null, c: null) => Promise<Record<string, unknown>>;
      validateConfiguration: (c: unknown, logger: unknown) => Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = (await getConfig(root, null, null)) as {
      files: Array<string | { filter: string[] }>;
      extraResources: Array<{ from: string; to: string }>;
      linux: { target: string[] };
      asar: boolean;
    };
    await validateConfiguration(config, new DebugLogger(false));
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
    assert.deepEqual(config.extraResources, [{ from: 'native/build/interceptor-helper', to: HELPER_NAME }]);
    const files = config.files.flatMap((f) => (typeof f === 'string' ? [f] : f.filter));
    assert.ok(files.includes('dist/**') && files.includes('package.json'), JSON.stringify(files));
    assert.ok(!files.some((f) => f.includes('native')), 'the helper is not inside the asar');
    assert.equal(config.asar, true);
  });

  it('a packaged app hands the engine <resources>/interceptor-helper; development lets the engine find its build', () => {
    const packaged = shellPaths({ isPackaged: true, appPath: '/opt/Interceptor/resources/app.asar', resourcesPath: '/opt/Interceptor/resources' });
    assert.equal(packaged.helperPath, '/opt/Interceptor/resources/interceptor-helper');
    assert.equal(packaged.preload, '/opt/Interceptor/resources/app.asar/dist/electron/preload/preload.cjs');
    assert.equal(packaged.rendererDir, '/opt/Interceptor/resources/app.asar/dist/renderer');
    const dev = shellPaths({ isPackaged: false, appPath: root, resourcesPath: '/x' });
    assert.equal(dev.preload, path.join(root, 'dist/electron/preload/preload.cjs'));
    assert.equal(dev.helperPath, undefined);
    assert.equal(dev.assetsDir, path.join(root, 'assets'));
  });

  it('the icons the shell loads exist (tray states with @2x, app icon)', () => {
    for (const f of ['tray-running', 'tray-paused', 'tray-at-cap']) {
      assert.ok(existsSync(path.join(root, 'assets', `${f}.png`)), f);
      assert.ok(existsSync(path.join(root, 'assets', `${f}@2x.png`)), `${f}@2x`);
    }
    assert.ok(existsSync(path.join(root, 'assets', 'icon.png')));
  });
});
