// Electron Forge: `electron-forge start` (development), `electron-forge package`, and
// `electron-forge make` (a .deb and a .zip). The AppImage, and the .deb that also puts
// the `interceptor` command on PATH, come from electron-builder (electron-builder.yml).
// The native helper is an extraResource: it lands in <resources>/interceptor-helper,
// outside app.asar (an asar member cannot be exec'd); electron/main/paths.ts hands
// that path to the engine in a packaged app.
import { spawnSync } from 'node:child_process';
import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerZIP } from '@electron-forge/maker-zip';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

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
      // node-pty's and better-sqlite3's native addons must be real files too.
      unpack: '**/*.node',
    },
    extraResource: [HELPER_RESOURCE],
    ignore: (file: string) => file !== '' && !KEEP_IN_APP.test(file),
    prune: true,
  },
  rebuildConfig: {
    onlyModules: ['node-pty', 'better-sqlite3'],
  },
  makers: [
    new MakerZIP({}, ['linux', 'darwin']),
    new MakerDeb({
      options: {
        name: 'interceptor',
        productName: 'Interceptor',
        genericName: 'P2P resource caps',
        bin: 'interceptor-desktop',
        maintainer: 'Interceptor maintainers <maintainers@users.noreply.b-seed-ddc0e985.example>',
        homepage: 'https://interceptor.example/',
        icon: 'assets/icon.png',
        categories: ['Utility'],
        section: 'utils',
        priority: 'optional',
      },
    }),
  ],
  plugins: [
    // The same fuses as electron-builder.yml's electronFuses.
    new FusesPlugin({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    }),
  ],
  hooks: {
    // Runs before both start and package: build main, preload, dashboard and helper.
    generateAssets: async () => build(),
  },
};

export default config;
