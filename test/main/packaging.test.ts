import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ResolvedForgeConfig } from '@electron-forge/shared-types';
import { autostartEntry, desktopExecQuote, xdgAutostart } from '../../electron/engine/autostart/index.js';
import { HELPER_NAME, loginCommand, shellPaths } from '../../electron/main/paths.js';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

describe('packaging', () => {
  it('forge.config.ts loads through Forge itself: helper outside the asar, build before start/package, deb and zip makers, fuses', async () => {
    const loadForgeConfig = (require('@electron-forge/core/dist/util/forge-config.js') as { default: (dir: string) => Promise<ResolvedForgeConfig> }).default;
    const config = await loadForgeConfig(root);
    const packager = config.packagerConfig;
    assert.deepEqual(packager.extraResource, ['native/build/interceptor-helper']);
    assert.equal(path.basename((packager.extraResource as string[])[0]!), HELPER_NAME);
    assert.ok(packager.asar, 'app packed in an asar');
    assert.equal(typeof config.hooks?.generateAssets, 'function');
    // `electron-forge make`: a .deb and a .zip, and the fuses flipped on package
    const makers = config.makers as unknown as Array<{
      name: string;
      config: { options?: Record<string, unknown> };
      prepareConfig(arch: string): Promise<void>;
      isSupportedOnCurrentPlatform(): boolean;
      ensureExternalBinariesExist(): void;
    }>;
    assert.deepEqual(makers.map((m) => m.name).sort(), ['deb', 'zip']);
    for (const m of makers) {
      await m.prepareConfig('x64');
      assert.ok(m.isSupportedOnCurrentPlatform(), m.name);
      m.ensureExternalBinariesExist(); // the deb maker's dpkg and fakeroot: Debian's own
    }
    const deb = makers.find((m) => m.name === 'deb')!.config.options!;
    assert.equal(deb.bin, 'interceptor-desktop');
    assert.match(String(deb.maintainer), /^.+ <.+@.+>$/);
    assert.ok(existsSync(path.join(root, String(deb.icon))));
    const fuses = (config.plugins as Array<{ name: string; fusesConfig?: Record<string | number, unknown> }>).find((p) => p.name === 'fuses');
    assert.ok(fuses, 'the fuses plugin');
    const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<'RunAsNode' | 'EnableCookieEncryption' | 'EnableEmbeddedAsarIntegrityValidation' | 'OnlyLoadAppFromAsar' | 'EnableNodeOptionsEnvironmentVariable', number> };
    assert.equal(fuses.fusesConfig![FuseV1Options.RunAsNode], false);
    assert.equal(fuses.fusesConfig![FuseV1Options.EnableCookieEncryption], true);
    assert.equal(fuses.fusesConfig![FuseV1Options.EnableEmbeddedAsarIntegrityValidation], true);
    assert.equal(fuses.fusesConfig![FuseV1Options.OnlyLoadAppFromAsar], true);
    assert.equal(fuses.fusesConfig![FuseV1Options.EnableNodeOptionsEnvironmentVariable], false);
    const ignore = packager.ignore as (file: string) => boolean;
    for (const kept of ['/dist', '/dist/electron/main/main.js', '/dist/electron/preload/preload.cjs', '/dist/renderer/index.html', '/assets/tray-running.png', '/package.json', '/node_modules/ws/index.js']) {
      assert.equal(ignore(kept), false, kept);
    }
    for (const dropped of ['/electron/main/main.ts', '/native/build/interceptor-helper', '/native/src/main.c', '/test/main/x.test.ts', '/forge.config.ts', '/distfoo', '/package.json.bak']) {
      assert.equal(ignore(dropped), true, dropped);
    }
  });

  it('electron-builder.yml passes electron-builder\'s own schema: AppImage + deb, helper in extraResources only, fuses, deb metadata, the CLI on PATH', async () => {
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
    const fuses = (config as unknown as { electronFuses: Record<string, boolean> }).electronFuses;
    assert.deepEqual(
      [fuses.runAsNode, fuses.enableCookieEncryption, fuses.enableEmbeddedAsarIntegrityValidation, fuses.onlyLoadAppFromAsar, fuses.enableNodeOptionsEnvironmentVariable],
      [false, true, true, true, false],
    );
    // the deb's metadata fpm insists on, and the CLI on PATH
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.match(pkg.author.email, /^[^@\s]+@[^@\s]+$/);
    assert.match(pkg.homepage, /^https:\/\//);
    assert.equal(pkg.main, 'dist/electron/main/entry.js');
    const linux = config.linux as unknown as { maintainer: string; executableName: string };
    assert.match(linux.maintainer, /^.+ <.+@.+>$/);
    const deb = (config as unknown as { deb: { fpm: string[] } }).deb;
    assert.deepEqual(deb.fpm, ['packaging/linux/interceptor=/usr/bin/interceptor']);
    const wrapper = path.join(root, 'packaging/linux/interceptor');
    assert.equal(spawnSync('sh', ['-n', wrapper]).status, 0, 'the wrapper is valid sh');
    assert.match(readFileSync(wrapper, 'utf8'), new RegExp(`exec /opt/Interceptor/${linux.executableName} .*--interceptor-cli "\\$@"`));
  });

  it('the desktop entry electron-builder writes for the deb and the AppImage passes desktop-file-validate', async () => {
    // electron-builder's own classes, as its linux targets use them (typed here by what the test calls)
    const { Packager, Platform } = require('app-builder-lib') as {
      Packager: new (o: { projectDir: string; targets: unknown }) => { validateConfig(): Promise<void>; createHelper(p: unknown): Promise<{ platformSpecificBuildOptions: unknown }> };
      Platform: { LINUX: { createTarget(t: string): unknown } };
    };
    const { LinuxTargetHelper } = require('app-builder-lib/out/targets/LinuxTargetHelper.js') as {
      LinuxTargetHelper: new (p: unknown) => { computeDesktopEntry(o: unknown, exec: string): Promise<string> };
    };
    const packager = new Packager({ projectDir: root, targets: Platform.LINUX.createTarget('dir') });
    await packager.validateConfig();
    const linux = await packager.createHelper(Platform.LINUX);
    const entry = await new LinuxTargetHelper(linux).computeDesktopEntry(linux.platformSpecificBuildOptions, '/opt/Interceptor/interceptor-desktop %U');
    assert.match(entry, /^Name=Interceptor$/m);
    assert.match(entry, /^Icon=interceptor-desktop$/m);
    assert.match(entry, /^StartupWMClass=Interceptor$/m);
    assert.match(entry, /^Categories=Utility;$/m);
    validateDesktopFile('interceptor-desktop.desktop', entry);
  });

  it('the autostart entry (start at login) passes desktop-file-validate, with awkward paths quoted', () => {
    const command = ['/home/a b/Apps/Interceptor-0.1.0.AppImage', '--hidden'];
    const text = autostartEntry({ command, icon: '/home/a b/icon.png' });
    assert.match(text, /^Exec="\/home\/a b\/Apps\/Interceptor-0\.1\.0\.AppImage" --hidden$/m);
    validateDesktopFile('interceptor.desktop', text);
    validateDesktopFile('interceptor.desktop', autostartEntry({ command: ['/usr/bin/electron', '/src/it\'s "here" $HOME 100%', '--hidden'] }));
    assert.equal(desktopExecQuote('100%'), '100%%');
    assert.equal(desktopExecQuote('a"b'), '"a\\\\"b"', 'quote escaped with a backslash, then the backslash doubled by the string rules');
    assert.throws(() => desktopExecQuote('a\nb'));
  });

  it('the autostart toggle writes and removes the entry; an entry the desktop disabled reads as off', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'interceptor-autostart-'));
    try {
      const item = xdgAutostart({ command: ['/opt/Interceptor/interceptor-desktop', '--hidden'], dir });
      assert.equal((await item.describe()).enabled, false);
      const on = await item.set(true);
      assert.equal(on.enabled, true);
      assert.equal(on.how, `XDG autostart entry ${path.join(dir, 'interceptor.desktop')}`);
      const file = path.join(dir, 'interceptor.desktop');
      validateDesktopFile('interceptor.desktop', readFileSync(file, 'utf8'));
      writeFileSync(file, readFileSync(file, 'utf8') + 'Hidden=true\n');
      assert.equal((await item.describe()).enabled, false, 'disabled in the desktop\'s settings');
      assert.equal((await item.set(false)).enabled, false);
      assert.ok(!existsSync(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('what starts the app at login: the AppImage itself, the installed binary, or Electron on the project', () => {
    assert.deepEqual(loginCommand({ isPackaged: true, execPath: '/tmp/.mount_x/interceptor-desktop', appPath: '/x', appImage: '/home/a/Interceptor.AppImage' }), ['/home/a/Interceptor.AppImage', '--hidden']);
    assert.deepEqual(loginCommand({ isPackaged: true, execPath: '/opt/Interceptor/interceptor-desktop', appPath: '/x', appImage: undefined }), ['/opt/Interceptor/interceptor-desktop', '--hidden']);
    assert.deepEqual(loginCommand({ isPackaged: false, execPath: '/src/node_modules/electron/dist/electron', appPath: '/src', appImage: undefined }), ['/src/node_modules/electron/dist/electron', '/src', '--hidden']);
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

/** Debian's validator (desktop-file-utils): errors fail; the file name matters to it. */
function validateDesktopFile(name: string, text: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'interceptor-desktop-'));
  try {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    const r = spawnSync('desktop-file-validate', [file], { encoding: 'utf8' });
    assert.ok(!r.error, 'desktop-file-validate is missing: bash scripts/setup.sh installs desktop-file-utils');
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${text}`);
    assert.doesNotMatch(r.stdout, /error:/, text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
