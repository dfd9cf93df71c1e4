// Electron Forge: `electron-forge start` (development) and `electron-forge package`.
// Installers (AppImage, deb) are built by electron-builder (electron-builder.yml).
// The native helper is an extraResource: it lands in <resources>/interceptor-helper,
// outside app.asar (an asar member cannot be exec'd); electron/main/paths.ts hands
// that path to the engine in a packaged app.
import { spawnSync } from 'node:child_process';
import type { ForgeConfig } from '@electron-forge/shared-types';

export const HELPER_RESOURCE = 'native/build/interceptor-helper';

/** What goes into app.asar: the built app, its icons, package.json and production node_modules. */
export const KEEP_IN_APP = /^\/(dist|assets|node_modules)(\/|$)|^\/package\.json$/;

function build(): Promise<void> {
  const result = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  return result.status === 0 ? Promise.resolve() : Promise.reject(new Error('scripts/build.mjs failed'));
}

const config: ForgeConfig = {
  packagerConfig: {
    name: 'Interceptor',
    executableName: 'interceptor-desktop',
    icon: 'assets/icon',
    asar: {
      // node-pty's native addon must be a real file too.
      unpack: '**/*.node',
    },
    extraResource: [HELPER_RESOURCE],
    ignore: (file: string) => file !== '' && !KEEP_IN_APP.test(file),
    prune: true,
  },
  rebuildConfig: {
    onlyModules: ['node-pty'],
  },
  makers: [],
  hooks: {
    // Runs before both start and package: build main, preload, dashboard and helper.
    generateAssets: async () => build(),
  },
};

export default config;
